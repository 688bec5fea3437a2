import IR

/// Family H, softmax-router mixtures of experts: Llama-like decoders (`LlamaRecipe`'s attention block and forward
/// pass) whose MLP is, on every sparse layer, a router linear plus an `Op.moe` over gated-MLP experts (and, for some,
/// an always-on shared expert). Each architecture states where its router and experts live and how it routes.
public enum MoERecipe: DispatchingRecipe {
    public static let family = "H: softmax-router MoE"

    public static let builders: [(architecture: String, build: Builder)] = [
        ("MixtralForCausalLM", { model, checkpoint in
            // top-k of the logits, then softmax over the k: softmax, top-k, renormalised.
            try build(model, checkpoint) { _, moe in
                MoEBlock(router: "block_sparse_moe.gate",
                         experts: .perExpert(experts: "block_sparse_moe.experts", gate: "w1", up: "w3", down: "w2"),
                         count: moe.experts, ff: moe.expertSize, routing: MoERouting(topK: moe.topK, renormalize: true))
            }
        }),
    ]

    /// The Llama forward pass of `model` with `block(spec, moeConfig)` as the feed-forward of its sparse layers.
    static func build(_ model: ModelDirectory, _ checkpoint: Checkpoint,
                      adjusting adjust: (inout LlamaSpec, MoEConfig) throws -> Void = { _, _ in },
                      block: @escaping (LlamaSpec, MoEConfig) -> MoEBlock) throws -> Graph {
        let moe = try model.config(MoEConfig.self)
        var spec = LlamaSpec(try model.config(LlamaConfig.self))
        try adjust(&spec, moe)
        let layerBlock = block(spec, moe)
        spec.feedForward = { b, h, l, prefix, name, w in
            moe.isSparse(l) ? try layerBlock.build(&b, h, prefix: prefix, name: name, w: w) : nil
        }
        return try LlamaRecipe.forward(spec, head: DecoderHead(model), model: model, checkpoint: checkpoint)
    }
}
