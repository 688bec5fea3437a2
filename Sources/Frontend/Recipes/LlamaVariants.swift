import IR

/// How a set of `architectures` names maps onto the Llama forward pass: a function from the model directory to the
/// `LlamaSpec` of its knobs.
struct LlamaVariant: Sendable {
    let architectures: [String]
    let spec: @Sendable (ModelDirectory, Checkpoint) throws -> LlamaSpec

    init(_ architectures: [String], spec: @escaping @Sendable (ModelDirectory, Checkpoint) throws -> LlamaSpec) {
        self.architectures = architectures
        self.spec = spec
    }

    /// Architectures whose knobs all come from `LlamaConfig` (biases, windows, NoPE layers, non-gated MLP).
    init(plain architectures: [String]) {
        self.init(architectures) { model, _ in LlamaSpec(try model.config(LlamaConfig.self)) }
    }
}

/// Every member of family A: the natively supported architectures here, the emulated vendor checkpoints in
/// `LlamaEmulated*.swift`.
enum LlamaVariants {
    static let all: [LlamaVariant] = native + emulated

    static let native: [LlamaVariant] = [
        // LlamaForCausalLM also serves EXAONE-3, InternLM3 and IQuest-Coder through their model_type.
        LlamaVariant(plain: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "InternLM3ForCausalLM",
                             "IQuestCoderForCausalLM", "SeedOssForCausalLM", "SmolLM3ForCausalLM", "ArceeForCausalLM"]),
        LlamaVariant(["Qwen3ForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.qkNorm = .beforeRope
            return s
        },
        LlamaVariant(["ApertusForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.qkNorm = .beforeRope
            s.names.attentionNorm = "attention_layernorm"
            s.names.mlpNorm = "feedforward_layernorm"
            return s
        },
        LlamaVariant(["HunYuanDenseV1ForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.qkNorm = .afterRope
            s.names.qNorm = "self_attn.query_layernorm"
            s.names.kNorm = "self_attn.key_layernorm"
            return s
        },
        LlamaVariant(["GraniteForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            let m = try model.config(GraniteMultipliers.self)
            s.embeddingMultiplier = m.embedding
            s.residualMultiplier = m.residual
            s.attentionScale = m.attention
            s.logitMultiplier = 1 / m.logitsScaling
            return s
        },
        LlamaVariant(["Phi3ForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.qkv = .fused
            s.gateUpFused = true
            return s
        },
        LlamaVariant(["GlmForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.ropeStyle = .interleaved
            s.gateUpFused = true
            return s
        },
        LlamaVariant(["Ernie4_5ForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.ropeStyle = .interleaved
            return s
        },
        LlamaVariant(["ExaoneForCausalLM"]) { model, _ in
            var s = LlamaSpec(try model.config(LlamaConfig.self))
            s.names = .exaone
            return s
        },
    ]
}

extension LlamaWeightNames {
    /// EXAONE-3 checkpoints (transformers' conversion mapping for model_type exaone).
    static let exaone = LlamaWeightNames(
        embed: "transformer.wte", finalNorm: "transformer.ln_f", layerPrefix: { "transformer.h.\($0)." },
        attentionNorm: "ln_1", mlpNorm: "ln_2", q: "attn.attention.q_proj", k: "attn.attention.k_proj",
        v: "attn.attention.v_proj", o: "attn.attention.out_proj", gate: "mlp.c_fc_0", up: "mlp.c_fc_1", down: "mlp.c_proj")
}

/// Granite's muP-style scalars (`GraniteConfig` defaults: all 1).
struct GraniteMultipliers: Decodable {
    var embedding: Float
    var residual: Float
    /// The softmax scale itself (not a factor on 1/sqrt(head_dim)).
    var attention: Float
    /// Logits are divided by this.
    var logitsScaling: Float

    enum CodingKeys: String, CodingKey {
        case embedding = "embedding_multiplier", residual = "residual_multiplier"
        case attention = "attention_multiplier", logitsScaling = "logits_scaling"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embedding = try c.decodeIfPresent(Float.self, forKey: .embedding) ?? 1
        residual = try c.decodeIfPresent(Float.self, forKey: .residual) ?? 1
        attention = try c.decodeIfPresent(Float.self, forKey: .attention) ?? 1
        logitsScaling = try c.decodeIfPresent(Float.self, forKey: .logitsScaling) ?? 1
        guard logitsScaling != 0 else {
            throw DecodingError.dataCorruptedError(forKey: .logitsScaling, in: c, debugDescription: "must not be 0")
        }
    }
}
