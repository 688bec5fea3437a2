import IR

extension GraphBuilder {
    /// One Mamba-2 mixer (transformers' Mamba2Mixer, scanned sequentially: exact, no chunking needed) of the
    /// checkpoint module `p`, nodes named under `n`, on the normed hidden rows h, with recurrent state slot `stateSlot`:
    /// in_proj → (z, xBC, dt); xBC ← act(causal depthwise conv1d(xBC)) → (x, B, C); y ← selective scan with
    /// dt ← softplus(dt + dt_bias) per head, A = −exp(A_log) per head, B and C shared by groups of heads, D per head;
    /// out_proj(gated RMSNorm(y ⊙ silu(z)) in groups of channels / n_groups). The norm's weight is folded into
    /// out_proj's columns.
    mutating func mamba2Mixer(_ h: ValueID, _ s: Mamba2MixerShape, stateSlot: Int, module p: String, name n: String,
                              weights w: WeightBinder) throws -> ValueID {
        let (channels, convChannels, bc, heads) = (s.channels, s.convChannels, s.groups * s.stateSize, s.heads)
        let projected = try linear(h, module: p + "in_proj", rows: channels + convChannels + heads, bias: s.projectionBias,
                                   weights: w, name: n + "in_proj")
        let z = slice(projected, start: 0, count: channels, name: n + "z")
        let xBC = slice(projected, start: channels, count: convChannels, name: n + "xBC")
        let dt = slice(projected, start: channels + convChannels, count: heads, name: n + "dt")

        let conv = try ConvSpec(module: p + "conv1d", channels: convChannels, kernel: s.convKernel, bias: s.convBias,
                                activation: s.activation, stateSlot: stateSlot, weights: w)
        let convolved = causalConv1d(xBC, conv, name: n + "conv1d")
        let x = slice(convolved, start: 0, count: channels, name: n + "x")
        let b = slice(convolved, start: channels, count: bc, name: n + "B")
        let c = slice(convolved, start: channels + bc, count: bc, name: n + "C")

        let aLog = try w(p + "A_log", [heads])
        let scan = ScanSpec(stateSlot: stateSlot, heads: heads, headDim: s.headDim, groups: s.groups, stateSize: s.stateSize,
                            a: WeightRef(shape: [heads], transform: .negatedExp(aLog.transform)), d: try w(p + "D", [heads]),
                            dtBias: try w(p + "dt_bias", [heads]), dtSoftplus: true)
        let y = selectiveScan(x: x, dt: dt, b: b, c: c, scan, name: n + "scan")
        let gated = gatedActivation(gate: z, up: y, .silu, name: n + "gate")
        let normed = rmsNorm(gated, weight: nil, eps: s.normEps, groupSize: channels / s.groups, name: n + "norm")
        let (norm, out) = (try w(p + "norm.weight", [channels]), try w(p + "out_proj.weight", [s.hiddenSize, channels]))
        return linear(normed, weight: WeightRef(shape: out.shape, transform: .columnsScaled(out.transform, by: norm.transform)),
                      bias: try w.optional(s.projectionBias, p + "out_proj.bias", [s.hiddenSize]), name: n + "out_proj")
    }
}
