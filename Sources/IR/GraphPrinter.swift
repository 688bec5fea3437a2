extension Graph {
    /// Parameters read by the graph (each distinct weight counted once; fused weights count their parts).
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } }

    /// One line per node: `%12 = linear(%11) f32[T, 576]  layers.0.self_attn.q_proj  W=...`.
    public func dump() -> String {
        var lines: [String] = []
        for (index, node) in nodes.enumerated() {
            let args = node.op.inputs.map(\.description).joined(separator: ", ")
            let weights = node.op.weights.map(\.description).joined(separator: " ")
            lines.append("%\(index) = \(node.op.mnemonic)(\(args)) \(node.type)  \(node.name)" + (weights.isEmpty ? "" : "  " + weights))
        }
        if let logits { lines.append("output logits = \(logits)") }
        if let pooling {
            let named = [("hidden", pooling.hidden), ("pooled", pooling.pooled), ("sequence_logits", pooling.sequenceLogits),
                         ("token_logits", pooling.tokenLogits)]
            for case let (name, value?) in named { lines.append("output \(name) = \(value)") }
        }
        return lines.joined(separator: "\n")
    }
}

extension Op {
    /// Short op name for dumps.
    public var mnemonic: String {
        switch self {
        case .tokenIDs: "token_ids"
        case .embedding: "embedding"
        case .rmsNorm: "rms_norm"
        case .linear(_, _, _, let acc): acc == nil ? "linear" : "linear_acc"
        case .rope: "rope"
        case .attention: "attention"
        case .gatedActivation(_, _, let act):
            switch act {
            case .silu: "swiglu"
            case .geluTanh: "geglu_tanh"
            case .relu: "reglu"
            case .gelu: "geglu"
            case .clampedSwiGLU: "swiglu_clamped"
            }
        case .add: "add"
        case .mul: "mul"
        case .div: "div"
        case .rowStatistic(_, let s): "row_\(s)"
        case .blockMix: "block_mix"
        case .concat: "concat"
        case .unary(_, let f): "\(f)"
        case .layerNorm: "layer_norm"
        case .positionEmbedding: "position_embedding"
        case .scale: "scale"
        case .slice: "slice"
        case .lastRow: "last_row"
        case .tokenTypes: "token_types"
        case .pool(_, let reduction): "pool_\(reduction.rawValue)"
        case .l2Normalize: "l2_normalize"
        case .causalConv1d: "causal_conv1d"
        case .selectiveScan: "selective_scan"
        case .linearAttention(_, _, _, _, _, let spec): spec.deltaRule ? "gated_delta_rule" : "linear_attention"
        case .moe(_, _, let spec): "moe_top\(spec.routing.topK)_of\(spec.experts.count)"
        }
    }
}
