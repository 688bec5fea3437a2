import IR

extension GraphBuilder {
    /// One Gated DeltaNet mixer (transformers' Qwen3NextGatedDeltaNet) of the checkpoint module `p`, nodes named under
    /// `n`, on the normed rows h; its conv window and delta-rule state use recurrent state slots `stateSlot`:
    /// in_proj_qkvz → (q, k, v, z) and in_proj_ba → (b, a), both stored grouped per key head and de-interleaved here
    /// at compile time; (q, k, v) ← SiLU(causal depthwise conv1d(q | k | v)); q and k l2-normalised per head (an RMS
    /// norm of eps 1e-6 / keyDim, the 1/√keyDim folded into the rule's scales with the query's own 1/√keyDim);
    /// o ← gated delta rule (decay exp(−exp(A_log)·softplus(a + dt_bias)), β = sigmoid(b)); out_proj(RMSNorm(o) ⊙ silu(z))
    /// with the norm per value head.
    mutating func gatedDeltaNet(_ h: ValueID, _ s: GatedDeltaNetShape, eps: Float, stateSlot: Int, module p: String, name n: String,
                                weights w: WeightBinder) throws -> ValueID {
        let d = type(of: h).cols
        let perGroup = s.valueHeads / s.keyHeads
        let (keyWidth, valueWidth) = (s.keyHeads * s.keyDim, s.valueHeads * s.valueDim)
        // Per key head, in_proj_qkvz holds [q, k, v, z] of widths keyDim, keyDim, perGroup·valueDim, perGroup·valueDim
        // and in_proj_ba holds [b, a] of perGroup values each.
        func grouped(_ tensor: WeightRef, group: Int, parts: [(start: Int, count: Int)]) -> WeightRef {
            let rows = parts.flatMap { part in
                (0..<s.keyHeads).map { g in WeightTransform.sliceRows(tensor.transform, start: g * group + part.start, count: part.count) }
            }
            return WeightRef(shape: [parts.reduce(0) { $0 + $1.count } * s.keyHeads, d], transform: .concatRows(rows))
        }
        let groupValues = perGroup * s.valueDim
        let qkvzGroup = 2 * s.keyDim + 2 * groupValues
        let qkvz = try w(p + "in_proj_qkvz.weight", [s.keyHeads * qkvzGroup, d])
        let ba = try w(p + "in_proj_ba.weight", [2 * s.valueHeads, d])
        let mixed = linear(h, weight: grouped(qkvz, group: qkvzGroup, parts: [(0, s.keyDim), (s.keyDim, s.keyDim), (2 * s.keyDim, groupValues)]),
                           name: n + "in_proj_qkv")
        let z = linear(h, weight: grouped(qkvz, group: qkvzGroup, parts: [(2 * s.keyDim + groupValues, groupValues)]), name: n + "in_proj_z")
        let beta = linear(h, weight: grouped(ba, group: 2 * perGroup, parts: [(0, perGroup)]), name: n + "in_proj_b")
        let decay = linear(h, weight: grouped(ba, group: 2 * perGroup, parts: [(perGroup, perGroup)]), name: n + "in_proj_a")

        let conv = try ConvSpec(module: p + "conv1d", channels: s.convChannels, kernel: s.convKernel, bias: false, activation: .silu,
                                stateSlot: stateSlot, weights: w)
        let convolved = causalConv1d(mixed, conv, name: n + "conv1d")
        func l2(_ x: ValueID, _ label: String) -> ValueID {
            rmsNorm(x, weight: nil, eps: 1e-6 / Float(s.keyDim), groupSize: s.keyDim, name: n + label + "_l2norm")
        }
        let q = l2(slice(convolved, start: 0, count: keyWidth, name: n + "q"), "q")
        let k = l2(slice(convolved, start: keyWidth, count: keyWidth, name: n + "k"), "k")
        let v = slice(convolved, start: 2 * keyWidth, count: valueWidth, name: n + "v")

        let root = Float(s.keyDim).squareRoot()
        let aLog = try w(p + "A_log", [s.valueHeads])
        let gated = LinearAttentionSpec.Decay.gated(a: WeightRef(shape: [s.valueHeads], transform: .negatedExp(aLog.transform)),
                                                    dtBias: try w(p + "dt_bias", [s.valueHeads]))
        let spec = LinearAttentionSpec(stateSlot: stateSlot, keyHeads: s.keyHeads, valueHeads: s.valueHeads, keyDim: s.keyDim,
                                       valueDim: s.valueDim, queryScale: 1 / Float(s.keyDim), keyScale: 1 / root, decay: gated, deltaRule: true)
        let core = linearAttention(q: q, k: k, v: v, decay: decay, beta: beta, spec, name: n + "delta_rule")
        let normed = rmsNorm(core, weight: try w(p + "norm.weight", [s.valueDim]), eps: eps, groupSize: s.valueDim, name: n + "norm")
        let output = gatedActivation(gate: z, up: normed, .silu, name: n + "gate")
        return try linear(output, module: p + "out_proj", rows: d, weights: w, name: n + "out_proj")
    }
}
