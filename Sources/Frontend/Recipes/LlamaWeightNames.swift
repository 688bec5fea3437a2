/// Where a Llama-like checkpoint keeps each weight. Module paths without the `.weight` / `.bias` suffix; per-layer
/// paths are relative to `layerPrefix(l)`. Hugging Face's Llama names by default; vendors that name things their own way
/// (EXAONE, InternLM2, Qwen-1, ChatGLM, Baichuan, fairseq2) change the fields they differ in.
struct LlamaWeightNames {
    var embed = "model.embed_tokens"
    var finalNorm = "model.norm"
    var lmHead = "lm_head"
    var layerPrefix: @Sendable (Int) -> String = { "model.layers.\($0)." }
    var attentionNorm = "input_layernorm"
    var mlpNorm = "post_attention_layernorm"
    var q = "self_attn.q_proj"
    var k = "self_attn.k_proj"
    var v = "self_attn.v_proj"
    /// The fused q|k|v projection (used when `LlamaSpec.qkv` is not `.separate`).
    var qkv = "self_attn.qkv_proj"
    var o = "self_attn.o_proj"
    var qNorm = "self_attn.q_norm"
    var kNorm = "self_attn.k_norm"
    var gate = "mlp.gate_proj"
    var up = "mlp.up_proj"
    /// The fused gate|up projection (used when `LlamaSpec.gateUpFused`).
    var gateUp = "mlp.gate_up_proj"
    var down = "mlp.down_proj"
    /// The MLP activation's own parameters (Apertus' xIELU).
    var activation = "mlp.act_fn"
}

extension LlamaWeightNames {
    /// These names, or, when the checkpoint holds the base model saved on its own (`LlamaModel`, `Qwen2Model`, ...:
    /// `embed_tokens.weight` without the `model.` prefix), the same names without it.
    func locatingBaseModel(in checkpoint: Checkpoint) -> LlamaWeightNames {
        let prefix = "model."
        guard embed.hasPrefix(prefix), !checkpoint.contains(embed + ".weight"),
              checkpoint.contains(String(embed.dropFirst(prefix.count)) + ".weight") else { return self }
        var names = self
        let layer = layerPrefix
        names.embed = String(embed.dropFirst(prefix.count))
        names.finalNorm = finalNorm.hasPrefix(prefix) ? String(finalNorm.dropFirst(prefix.count)) : finalNorm
        names.layerPrefix = { l in
            let full = layer(l)
            return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
        }
        return names
    }
}
