/// Family-A checkpoints that transformers cannot load without remote code but whose math is a native member's
/// (vLLM serves them the same way). Vendor names and config keys are mapped here; the forward pass is Llama's.
extension LlamaVariants {
    static let emulated: [LlamaVariant] = [
        // Llama exactly (vLLM maps these names to LlamaForCausalLM); InternLM's `bias` puts biases on q/k/v/o.
        LlamaVariant(plain: ["AquilaForCausalLM", "AquilaModel", "XverseForCausalLM", "InternLMForCausalLM"]),
        // Qwen2 plus multi-token-prediction layers (`model.mtp_layers.*`) that generation does not read.
        LlamaVariant(plain: ["MiMoForCausalLM"]),
    ]
}
