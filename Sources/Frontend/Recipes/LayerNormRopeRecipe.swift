import IR

/// Family D, LayerNorm + RoPE sequential decoders: StableLM (partial rotary, q/k/v bias, parallel residual option),
/// StarCoder2 (biased LayerNorm, GELU-tanh MLP, sliding window), Persimmon (fused per-head q/k/v, per-head q/k
/// LayerNorm, ReLU²), Nemotron (LayerNorm1P, ReLU²), OLMo-1 (LayerNorm without weight or bias), Jais-2 (ReLU², biases),
/// Orion (remote code; StableLM's block with full RoPE).
public enum LayerNormRopeRecipe: Recipe {
    public static let family = "D: LayerNorm-RoPE"
    public static let architectures = ["Jais2ForCausalLM", "NemotronForCausalLM", "OLMoForCausalLM", "OlmoForCausalLM",
                                       "OrionForCausalLM", "PersimmonForCausalLM", "StableLmForCausalLM", "Starcoder2ForCausalLM"]

    /// Module names and norm kind of one model type.
    private struct Layout {
        var qkv: (Int) -> QKVWeights
        var output: String
        /// gate (nil: non-gated), up, down modules under `mlp.`.
        var mlp: (gate: String?, up: String, down: String)
        var finalNorm: String
        var normWeight = true
        var normBias = true
        var normOffset: Float = 0
    }

    private static func layout(_ modelType: String) -> Layout? {
        let separate: (Int) -> QKVWeights = { l in
            let a = "model.layers.\(l).self_attn."
            return .separate(q: a + "q_proj", k: a + "k_proj", v: a + "v_proj")
        }
        switch modelType {
        case "stablelm", "orion", "olmo":
            return Layout(qkv: separate, output: "o_proj", mlp: ("gate_proj", "up_proj", "down_proj"), finalNorm: "model.norm",
                          normWeight: modelType != "olmo", normBias: modelType != "olmo")
        case "starcoder2":
            return Layout(qkv: separate, output: "o_proj", mlp: (nil, "c_fc", "c_proj"), finalNorm: "model.norm")
        case "nemotron", "jais2":
            return Layout(qkv: separate, output: "o_proj", mlp: (nil, "up_proj", "down_proj"), finalNorm: "model.norm",
                          normOffset: modelType == "nemotron" ? 1 : 0)
        case "persimmon":
            return Layout(qkv: { .fused("model.layers.\($0).self_attn.query_key_value", .grouped) }, output: "dense",
                          mlp: (nil, "dense_h_to_4h", "dense_4h_to_h"), finalNorm: "model.final_layernorm")
        default:
            return nil
        }
    }

    public static func build(_ model: ModelDirectory, checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(LayerNormDecoderConfig.self)
        guard let layout = layout(c.modelType) else {
            throw FrontendError.badValue(file: model.path("config.json"), key: "model_type",
                                         reason: "'\(c.modelType)' is not a family D model type (stablelm, starcoder2, persimmon, nemotron, olmo, jais2, orion)")
        }
        func norm(_ module: String) -> NormRef {
            NormRef(module: module, eps: c.normEps, weight: layout.normWeight, bias: layout.normBias, weightOffset: layout.normOffset)
        }
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding("model.embed_tokens", vocab: c.vocabSize, dim: c.hiddenSize)
        let rotary = Rotary(c.rope, headDim: c.headDim, style: .neox)
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            // StableLM keeps one bias-free LayerNorm per head; Persimmon one LayerNorm shared by the heads.
            func headNorm(_ module: String) -> NormRef {
                var n = NormRef(module: p + "self_attn." + module, eps: c.normEps)
                if c.modelType == "stablelm" { (n.bias, n.heads) = (false, .modulePerHead) }
                return n
            }
            let qkNorm = c.qkNorm ? (q: headNorm("q_layernorm"), k: headNorm("k_layernorm")) : nil
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, qkv: layout.qkv(l),
                                           qkvBias: c.qkvBias, output: p + "self_attn." + layout.output, outputBias: c.outputBias,
                                           qkNorm: qkNorm, rotary: rotary, scale: 1 / Float(c.headDim).squareRoot(),
                                           clip: c.clipQKV, window: c.layerWindows[l])
            let mlp = MLPBlock(up: p + "mlp." + layout.mlp.up, down: p + "mlp." + layout.mlp.down,
                               gate: layout.mlp.gate.map { p + "mlp." + $0 }, width: c.intermediateSize,
                               activation: c.activation, bias: c.mlpBias)
            // StableLM's parallel residual has no post_attention_layernorm: the MLP reads the input norm.
            let mlpNorm = norm(p + (c.parallelResidual ? "input_layernorm" : "post_attention_layernorm"))
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: c.parallelResidual ? .parallel : .sequential,
                                                 attentionNorm: norm(p + "input_layernorm"), mlpNorm: mlpNorm,
                                                 attention: attention, mlp: mlp))
        }
        let logits = try blocks.lastLogits(x, finalNorm: norm(layout.finalNorm), embedding: embed, tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
