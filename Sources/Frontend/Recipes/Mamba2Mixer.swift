import IR

/// Where a Mamba-2 mixer's output gate silu(z) sits relative to its group RMSNorm.
public enum Mamba2GatedNorm: Sendable, Equatable {
    /// RMSNorm(y ⊙ silu(z)) (Mamba-2, Bamba, Granite-4.0-H, Falcon-H1 with mamba_norm_before_gate false).
    case gateThenNorm
    /// RMSNorm(y) ⊙ silu(z) (Falcon-H1's default mamba_norm_before_gate).
    case normThenGate
    /// y ⊙ silu(z) without a norm (Falcon-H1 with mamba_rms_norm false; the checkpoint has no norm weight).
    case gateOnly
}

/// Constant factors of a Mamba-2 mixer that fold into its projections (Falcon-H1's muP multipliers): each of the
/// five in_proj output segments (z, x, B, C, dt) is scaled by its `inProjection` factor, and the mixer's output by
/// `output`.
public struct Mamba2Scales: Sendable, Equatable {
    /// Factors on in_proj's z, x, B, C and dt rows (Falcon-H1: ssm_multipliers, the weight also × ssm_in_multiplier).
    public var inProjection: [Float]
    /// Factor on in_proj's weight only (the input scale; its bias is not scaled by it).
    public var input: Float
    public var output: Float

    public static let identity = Mamba2Scales(inProjection: [1, 1, 1, 1, 1], input: 1, output: 1)

    public init(inProjection: [Float], input: Float, output: Float) {
        self.inProjection = inProjection
        self.input = input
        self.output = output
    }
}

extension GraphBuilder {
    /// One Mamba-2 mixer (transformers' Mamba2Mixer, scanned sequentially: exact, no chunking needed) of the
    /// checkpoint module `p`, nodes named under `n`, on the normed hidden rows h, with recurrent state slot `stateSlot`:
    /// in_proj → (z, xBC, dt); xBC ← act(causal depthwise conv1d(xBC)) → (x, B, C); y ← selective scan with
    /// dt ← softplus(dt + dt_bias) per head, A = −exp(A_log) per head, B and C shared by groups of heads, D per head;
    /// out_proj(gated RMSNorm(y, z) in groups of channels / n_groups, the gate placed as `s.gatedNorm` says). The
    /// norm's weight and the `scales` fold into in_proj's rows and out_proj's columns.
    mutating func mamba2Mixer(_ h: ValueID, _ s: Mamba2MixerShape, scales: Mamba2Scales = .identity, stateSlot: Int,
                              module p: String, name n: String, weights w: WeightBinder) throws -> ValueID {
        let (channels, convChannels, bc, heads) = (s.channels, s.convChannels, s.groups * s.stateSize, s.heads)
        let rows = channels + convChannels + heads
        let segments = zip([channels, channels, bc, bc, heads], scales.inProjection).map { (count: $0, factor: $1) }
        let inWeight = try w(p + "in_proj.weight", [rows, s.hiddenSize])
        let inBias = try w.optional(s.projectionBias, p + "in_proj.bias", [rows])
        let projected = linear(h, weight: WeightRef(shape: inWeight.shape, transform: Self.segmentsScaled(inWeight.transform, segments, by: scales.input)),
                               bias: inBias.map { WeightRef(shape: $0.shape, transform: Self.segmentsScaled($0.transform, segments, by: 1)) },
                               name: n + "in_proj")
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
        let groupSize = channels / s.groups
        let gated: ValueID
        switch s.gatedNorm {
        case .gateThenNorm:
            let product = gatedActivation(gate: z, up: y, .silu, name: n + "gate")
            gated = rmsNorm(product, weight: nil, eps: s.normEps, groupSize: groupSize, name: n + "norm")
        case .normThenGate:
            let normed = rmsNorm(y, weight: nil, eps: s.normEps, groupSize: groupSize, name: n + "norm")
            gated = gatedActivation(gate: z, up: normed, .silu, name: n + "gate")
        case .gateOnly:
            gated = gatedActivation(gate: z, up: y, .silu, name: n + "gate")
        }
        let out = try w(p + "out_proj.weight", [s.hiddenSize, channels])
        var outWeight = out.transform
        if s.gatedNorm != .gateOnly { outWeight = .columnsScaled(outWeight, by: try w(p + "norm.weight", [channels]).transform) }
        if scales.output != 1 { outWeight = .scaled(outWeight, scales.output) }
        let outBias = try w.optional(s.outputBias, p + "out_proj.bias", [s.hiddenSize])
        return linear(gated, weight: WeightRef(shape: out.shape, transform: outWeight),
                      bias: outBias?.multiplied(by: scales.output),
                      name: n + "out_proj")
    }

    /// `t`'s consecutive row segments each scaled by its factor, all by `common`; `t` itself when every factor is 1.
    private static func segmentsScaled(_ t: WeightTransform, _ segments: [(count: Int, factor: Float)], by common: Float) -> WeightTransform {
        guard segments.contains(where: { $0.factor * common != 1 }) else { return t }
        var start = 0
        return .concatRows(segments.map { segment in
            defer { start += segment.count }
            let rows = WeightTransform.sliceRows(t, start: start, count: segment.count)
            return segment.factor * common == 1 ? rows : .scaled(rows, segment.factor * common)
        })
    }
}
