/// Family-A checkpoints that transformers cannot load without remote code but whose math is a native member's (vLLM
/// serves them the same way). Vendor names and config keys are mapped here and in `LlamaChatGLM`, `LlamaQWen`,
/// `LlamaMuP`; the forward pass is Llama's.
extension LlamaVariants {
    static let emulated: [LlamaVariant] = [
        // Llama exactly (vLLM maps these names to LlamaForCausalLM); InternLM's `bias` puts biases on q/k/v/o.
        LlamaVariant(plain: ["AquilaForCausalLM", "AquilaModel", "XverseForCausalLM", "InternLMForCausalLM"]),
        // GritLM generating: Mistral under the architecture name vLLM's hf_overrides give it.
        LlamaVariant(plain: ["GritLM"]),
        // Qwen2 plus multi-token-prediction layers (`model.mtp_layers.*`) that generation does not read.
        LlamaVariant(plain: ["MiMoForCausalLM"]),
        internLM2, baichuan, baichuan2, fairseq2, chatGLM, qwen, miniCPM, teleFLM,
    ]

    /// InternLM2: one `wqkv` per layer whose rows go per key/value group (queries, key, value), w1/w3/w2 SwiGLU.
    static let internLM2 = LlamaVariant(["InternLM2ForCausalLM"]) { s, _, _ in
        s.names = .internLM2
        s.qkv = .groupedPerKVHead
    }

    /// Baichuan-7B: q|k|v fused in `W_pack`, Llama otherwise. Baichuan2 (vocabulary of 125696, vLLM's rule) divides
    /// each lm_head row by its L2 norm (NormHead).
    static let baichuan = LlamaVariant(["BaiChuanForCausalLM"]) { s, _, _ in
        s.names.qkv = "self_attn.W_pack"
        s.qkv = .fused
        s.normalizedHead = s.config.vocabSize == 125696
    }

    /// BaichuanForCausalLM: Baichuan2-7B when hidden_size is 4096 (vLLM's rule; the 13B models use ALiBi, family G).
    static let baichuan2 = LlamaVariant(["BaichuanForCausalLM"]) { model, checkpoint in
        let s = try baichuan.spec(model, checkpoint)
        let config = model.path("config.json")
        guard s.config.hiddenSize == 4096 else {
            throw FrontendError.badValue(file: config, key: "hidden_size",
                reason: "BaichuanForCausalLM with hidden_size \(s.config.hiddenSize) is the 13B ALiBi model, not Llama-like")
        }
        return s
    }

    /// fairseq2's Llama: its own names, and q/k rows in Meta's original pair order. vLLM permutes those rows to the
    /// half-split layout; rotating adjacent pairs of the stored rows instead is the same attention.
    static let fairseq2 = LlamaVariant(["Fairseq2LlamaForCausalLM"]) { s, _, _ in
        s.names = .fairseq2
        s.ropeStyle = .interleaved
    }
}

extension LlamaWeightNames {
    static let internLM2 = LlamaWeightNames(
        embed: "model.tok_embeddings", lmHead: "output", attentionNorm: "attention_norm", mlpNorm: "ffn_norm",
        qkv: "attention.wqkv", o: "attention.wo", gate: "feed_forward.w1", up: "feed_forward.w3", down: "feed_forward.w2")

    static let fairseq2 = LlamaWeightNames(
        embed: "decoder_frontend.embed", finalNorm: "decoder.layer_norm", lmHead: "final_proj",
        layerPrefix: { "decoder.layers.\($0)." }, attentionNorm: "self_attn_layer_norm", mlpNorm: "ffn_layer_norm",
        o: "self_attn.output_proj", gate: "ffn.gate_proj", up: "ffn.inner_proj", down: "ffn.output_proj")
}
