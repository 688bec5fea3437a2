/// Llama checkpoints trained with muP-style scalars (remote code; vLLM's `minicpm` and `teleflm`): the Granite
/// treatment of embedding, residual and logit factors, Llama names and keys otherwise.
extension LlamaVariants {
    /// MiniCPM 1/2 (dense): embeddings × scale_emb, each residual branch × scale_depth/√layers, the final hidden state
    /// ÷ (hidden_size / dim_model_base) before the head.
    static let miniCPM = LlamaVariant(["MiniCPMForCausalLM"]) { s, _, model in
        s.apply(try model.config(MiniCPMScalars.self))
    }

    /// TeleFLM: embeddings × input_mult and logits × output_mult / mup_scale_factor when use_mup.
    static let teleFLM = LlamaVariant(["TeleFLMForCausalLM"]) { s, _, model in
        let m = try model.config(TeleFLMScalars.self)
        if m.useMuP {
            s.embeddingMultiplier = m.inputMult
            s.logitMultiplier = m.outputMult / m.mupScaleFactor
        }
    }
}

extension LlamaSpec {
    /// MiniCPM's scalings (MiniCPM 1/2, MiniCPM3): embeddings × scale_emb, each residual branch × scale_depth/√layers,
    /// the final hidden state ÷ (hidden_size / dim_model_base) before the head.
    mutating func apply(_ m: MiniCPMScalars) {
        embeddingMultiplier = m.scaleEmb
        residualMultiplier = Float(Double(m.scaleDepth) / Double(config.layers).squareRoot())
        logitMultiplier = m.dimModelBase / Float(config.hiddenSize)
    }
}

/// MiniCPM's scalars (remote `configuration_minicpm.py`: all default to 1); MoE and non-muP variants are refused.
struct MiniCPMScalars: Decodable {
    var scaleEmb: Float
    var scaleDepth: Float
    var dimModelBase: Float

    enum CodingKeys: String, CodingKey {
        case scaleEmb = "scale_emb", scaleDepth = "scale_depth", dimModelBase = "dim_model_base"
        case experts = "num_experts", useMuP = "use_mup"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let experts = try c.decodeIfPresent(Int.self, forKey: .experts), experts > 0 {
            throw DecodingError.dataCorruptedError(forKey: .experts, in: c, debugDescription: "MiniCPM-MoE is not supported")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .useMuP) == false {
            throw DecodingError.dataCorruptedError(forKey: .useMuP, in: c, debugDescription: "MiniCPM without muP scaling is not supported")
        }
        scaleEmb = try c.decodeIfPresent(Float.self, forKey: .scaleEmb) ?? 1
        scaleDepth = try c.decodeIfPresent(Float.self, forKey: .scaleDepth) ?? 1
        dimModelBase = try c.decodeIfPresent(Float.self, forKey: .dimModelBase) ?? 1
    }
}

/// TeleFLM's muP scalars (vLLM reads them only when use_mup).
struct TeleFLMScalars: Decodable {
    var useMuP: Bool
    var inputMult: Float
    var outputMult: Float
    var mupScaleFactor: Float

    enum CodingKeys: String, CodingKey {
        case useMuP = "use_mup", inputMult = "input_mult", outputMult = "output_mult", mupScaleFactor = "mup_scale_factor"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        useMuP = try c.decodeIfPresent(Bool.self, forKey: .useMuP) ?? false
        guard useMuP else { (inputMult, outputMult, mupScaleFactor) = (1, 1, 1); return }
        inputMult = try c.decode(Float.self, forKey: .inputMult)
        outputMult = try c.decode(Float.self, forKey: .outputMult)
        mupScaleFactor = try c.decode(Float.self, forKey: .mupScaleFactor)
        guard mupScaleFactor != 0 else {
            throw DecodingError.dataCorruptedError(forKey: .mupScaleFactor, in: c, debugDescription: "must not be 0")
        }
    }
}
