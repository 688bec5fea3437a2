import IR

/// Family E, parallel attention + MLP blocks: GPT-J (one LayerNorm, GPT-J interleaved partial RoPE, lm_head bias),
/// GPT-NeoX (fused per-head q/k/v, partial RoPE, parallel or sequential residual), Falcon (multi-query or grouped
/// fused q/k/v, shared or separate norms, RoPE or ALiBi), Phi-1/2 (partial RoPE, per-head q/k LayerNorm option,
/// lm_head bias), Cohere and Cohere2 (bias-free LayerNorm, interleaved RoPE, logit scale; Cohere2 sliding layers with
/// RoPE and full layers without).
public enum ParallelBlockRecipe: DispatchingRecipe {
    public static let family = "E: parallel block"
    public static let builders: [(architecture: String, build: Builder)] = [
        ("Cohere2ForCausalLM", standard), ("CohereForCausalLM", standard), ("FalconForCausalLM", falcon),
        ("GPTJForCausalLM", gptj), ("GPTNeoXForCausalLM", standard), ("PhiForCausalLM", standard),
    ]

    private static func gptj(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(GPTConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding("transformer.wte", vocab: c.vocabSize, dim: c.hiddenSize)
        // GPT-J's sinusoidal table hard-codes base 10000.
        let rotary = Rotary(rotaryDim: c.rotaryDim, style: .interleaved, rope: RopeConfig(theta: 10000, scaling: .none))
        for l in 0..<c.layers {
            let p = "transformer.h.\(l)."
            let norm = NormRef(module: p + "ln_1", eps: c.layerNormEps)
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.heads, headDim: c.headDim,
                                           qkv: .separate(q: p + "attn.q_proj", k: p + "attn.k_proj", v: p + "attn.v_proj"),
                                           qkvBias: false, output: p + "attn.out_proj", outputBias: false, rotary: rotary,
                                           scale: 1 / Float(c.headDim).squareRoot())
            let mlp = MLPBlock(up: p + "mlp.fc_in", down: p + "mlp.fc_out", width: c.intermediateSize, activation: c.activation, bias: true)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: .parallel, attentionNorm: norm, mlpNorm: norm,
                                                 attention: attention, mlp: mlp))
        }
        let logits = try blocks.lastLogits(x, finalNorm: NormRef(module: "transformer.ln_f", eps: c.layerNormEps), embedding: embed,
                                           tied: c.tiedEmbeddings, bias: true)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }

    private static func falcon(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(FalconConfig.self)
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding("transformer.word_embeddings", vocab: c.vocabSize, dim: c.hiddenSize)
        let scale = 1 / Float(c.headDim).squareRoot()
        // Falcon adds alibi / sqrt(head_dim) to the scaled logits.
        let alibi = c.alibi ? AlibiSlopes.bloom(heads: c.heads).map { $0 * scale } : nil
        let rotary = c.alibi ? nil : Rotary(rotaryDim: c.headDim, style: .neox, rope: c.rope)
        for l in 0..<c.layers {
            let p = "transformer.h.\(l)."
            func norm(_ name: String) -> NormRef { NormRef(module: p + name, eps: c.layerNormEps) }
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                           qkv: .fused(p + "self_attention.query_key_value", .grouped), qkvBias: c.bias,
                                           output: p + "self_attention.dense", outputBias: c.bias, rotary: rotary, scale: scale,
                                           alibiSlopes: alibi)
            let mlp = MLPBlock(up: p + "mlp.dense_h_to_4h", down: p + "mlp.dense_4h_to_h", width: c.intermediateSize,
                               activation: c.activation, bias: c.bias)
            let layer: DecoderLayer = switch c.block {
            case .parallelTwoNorms:
                DecoderLayer(name: "layers.\(l)", residual: .parallel, attentionNorm: norm("ln_attn"), mlpNorm: norm("ln_mlp"),
                             attention: attention, mlp: mlp)
            case .parallelSharedNorm:
                DecoderLayer(name: "layers.\(l)", residual: .parallel, attentionNorm: norm("input_layernorm"),
                             mlpNorm: norm("input_layernorm"), attention: attention, mlp: mlp)
            case .sequential:
                DecoderLayer(name: "layers.\(l)", residual: .sequential, attentionNorm: norm("input_layernorm"),
                             mlpNorm: norm("post_attention_layernorm"), attention: attention, mlp: mlp)
            }
            x = try blocks.layer(x, layer)
        }
        let logits = try blocks.lastLogits(x, finalNorm: NormRef(module: "transformer.ln_f", eps: c.layerNormEps), embedding: embed,
                                           tied: c.tiedEmbeddings)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }

    /// Module names of the models read through `LayerNormDecoderConfig`.
    private struct Layout {
        var prefix: String
        var embedding: String
        var qkv: (String) -> QKVWeights
        var output: String
        var mlp: (gate: String?, up: String, down: String)
        /// Norm feeding the MLP (the input norm itself when shared).
        var mlpNorm: String
        var finalNorm: String
        var ropeStyle: RopeStyle
        var normBias = true
        var lmHeadBias = false
        /// Per-head q/k norm modules under `self_attn.` and how they store their weights.
        var qkNorms = (q: "q_layernorm", k: "k_layernorm")
        var qkNormHeads: HeadWeights = .shared
    }

    private static func layout(_ c: LayerNormDecoderConfig) -> Layout? {
        let separate: (String) -> QKVWeights = { .separate(q: $0 + "self_attn.q_proj", k: $0 + "self_attn.k_proj", v: $0 + "self_attn.v_proj") }
        switch c.modelType {
        case "gpt_neox":
            return Layout(prefix: "gpt_neox.layers.", embedding: "gpt_neox.embed_in",
                          qkv: { .fused($0 + "attention.query_key_value", .grouped) }, output: "attention.dense",
                          mlp: (nil, "dense_h_to_4h", "dense_4h_to_h"), mlpNorm: "post_attention_layernorm",
                          finalNorm: "gpt_neox.final_layer_norm", ropeStyle: .neox)
        case "phi":
            return Layout(prefix: "model.layers.", embedding: "model.embed_tokens", qkv: separate, output: "self_attn.dense",
                          mlp: (nil, "fc1", "fc2"), mlpNorm: "input_layernorm", finalNorm: "model.final_layernorm",
                          ropeStyle: .neox, lmHeadBias: true)
        case "cohere", "cohere2":
            return Layout(prefix: "model.layers.", embedding: "model.embed_tokens", qkv: separate, output: "self_attn.o_proj",
                          mlp: ("gate_proj", "up_proj", "down_proj"), mlpNorm: "input_layernorm", finalNorm: "model.norm",
                          ropeStyle: .interleaved, normBias: false, qkNorms: ("q_norm", "k_norm"), qkNormHeads: .matrix)
        default:
            return nil
        }
    }

    /// GPT-NeoX, Phi, Cohere, Cohere2.
    private static func standard(_ model: ModelDirectory, _ checkpoint: Checkpoint) throws -> Graph {
        let c = try model.config(LayerNormDecoderConfig.self)
        guard let layout = layout(c) else {
            throw FrontendError.badValue(file: model.path("config.json"), key: "model_type",
                                         reason: "'\(c.modelType)' is not a family E model type (gpt_neox, phi, cohere, cohere2)")
        }
        func norm(_ module: String) -> NormRef { NormRef(module: module, eps: c.normEps, bias: layout.normBias) }
        var blocks = LayerNormBlocks(checkpoint: checkpoint)
        var (x, embed) = try blocks.embedding(layout.embedding, vocab: c.vocabSize, dim: c.hiddenSize)
        let rotary = Rotary(c.rope, headDim: c.headDim, style: layout.ropeStyle)
        for l in 0..<c.layers {
            let p = layout.prefix + "\(l)."
            func headNorm(_ module: String) -> NormRef {
                NormRef(module: p + "self_attn." + module, eps: c.normEps, bias: layout.normBias, heads: layout.qkNormHeads)
            }
            let qkNorm = c.qkNorm ? (q: headNorm(layout.qkNorms.q), k: headNorm(layout.qkNorms.k)) : nil
            let attention = AttentionBlock(heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, qkv: layout.qkv(p),
                                           qkvBias: c.qkvBias, output: p + layout.output, outputBias: c.outputBias,
                                           qkNorm: qkNorm, rotary: c.layerRope[l] ? rotary : nil,
                                           scale: 1 / Float(c.headDim).squareRoot(), window: c.layerWindows[l])
            let mlp = MLPBlock(up: p + "mlp." + layout.mlp.up, down: p + "mlp." + layout.mlp.down,
                               gate: layout.mlp.gate.map { p + "mlp." + $0 }, width: c.intermediateSize,
                               activation: c.activation, bias: c.mlpBias)
            x = try blocks.layer(x, DecoderLayer(name: "layers.\(l)", residual: c.parallelResidual ? .parallel : .sequential,
                                                 attentionNorm: norm(p + "input_layernorm"), mlpNorm: norm(p + layout.mlpNorm),
                                                 attention: attention, mlp: mlp))
        }
        // Pythia checkpoints name the GPT-NeoX head embed_out.
        let head = checkpoint.contains("embed_out.weight") ? "embed_out" : "lm_head"
        let logits = try blocks.lastLogits(x, finalNorm: norm(layout.finalNorm), embedding: embed, tied: c.tiedEmbeddings,
                                           module: head, bias: layout.lmHeadBias, logitScale: c.logitScale)
        return blocks.finish(logits: logits, architecture: model.architecture, dimensions: c.dimensions)
    }
}
