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

    /// Architectures whose config (`Source`: `LlamaConfig`, or a vendor config translated to one) gives the spec, in
    /// which `adjust` then sets the knobs that depart from Llama (weight names, fused projections, multipliers, ...).
    init<Source: LlamaConfigSource>(_ architectures: [String], config: Source.Type,
                                    adjusting adjust: @escaping @Sendable (inout LlamaSpec, Source, ModelDirectory) throws -> Void) {
        self.init(architectures) { model, _ in
            let source = try model.config(Source.self)
            var s = LlamaSpec(source.llama)
            try adjust(&s, source, model)
            return s
        }
    }

    /// Architectures read through `LlamaConfig` whose spec `adjust` departs from Llama's.
    init(_ architectures: [String],
         adjusting adjust: @escaping @Sendable (inout LlamaSpec, LlamaConfig, ModelDirectory) throws -> Void) {
        self.init(architectures, config: LlamaConfig.self, adjusting: adjust)
    }

    /// Architectures whose knobs all come from `LlamaConfig` (biases, windows, NoPE layers, non-gated MLP).
    init(plain architectures: [String]) {
        self.init(architectures, adjusting: { _, _, _ in })
    }
}

/// A config.json type that reads as a `LlamaConfig`.
protocol LlamaConfigSource: Decodable, SendableMetatype {
    var llama: LlamaConfig { get }
}

extension LlamaConfig: LlamaConfigSource {
    var llama: LlamaConfig { self }
}

/// Every member of family A: the natively supported architectures here, the emulated vendor checkpoints in
/// `LlamaEmulated*.swift`.
enum LlamaVariants {
    static let all: [LlamaVariant] = native + emulated

    static let native: [LlamaVariant] = [
        // LlamaForCausalLM also serves EXAONE-3, InternLM3 and IQuest-Coder through their model_type.
        LlamaVariant(plain: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "InternLM3ForCausalLM",
                             "IQuestCoderForCausalLM", "SeedOssForCausalLM", "SmolLM3ForCausalLM", "ArceeForCausalLM"]),
        LlamaVariant(["Qwen3ForCausalLM"]) { s, _, _ in
            s.qkNorm = .beforeRope
        },
        LlamaVariant(["ApertusForCausalLM"]) { s, _, _ in
            s.qkNorm = .beforeRope
            s.names.attentionNorm = "attention_layernorm"
            s.names.mlpNorm = "feedforward_layernorm"
        },
        LlamaVariant(["HunYuanDenseV1ForCausalLM"]) { s, _, _ in
            s.qkNorm = .afterRope
            s.names.qNorm = "self_attn.query_layernorm"
            s.names.kNorm = "self_attn.key_layernorm"
        },
        LlamaVariant(["GraniteForCausalLM"]) { s, _, model in
            s.apply(try model.config(GraniteMultipliers.self))
        },
        LlamaVariant(["Phi3ForCausalLM"]) { s, _, _ in
            s.qkv = .fused
            s.gateUpFused = true
        },
        LlamaVariant(["GlmForCausalLM"]) { s, _, _ in
            s.ropeStyle = .interleaved
            s.gateUpFused = true
        },
        LlamaVariant(["Ernie4_5ForCausalLM"]) { s, _, _ in
            s.ropeStyle = .interleaved
        },
        LlamaVariant(["ExaoneForCausalLM"]) { s, _, _ in
            s.names = .exaone
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

extension LlamaSpec {
    /// Granite's (and GraniteMoE's) scalars on the embeddings, residual branches, attention and logits.
    mutating func apply(_ m: GraniteMultipliers) {
        embeddingMultiplier = m.embedding
        residualMultiplier = m.residual
        attentionScale = m.attention
        logitMultiplier = 1 / m.logitsScaling
    }
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
