import IR

/// RMSNorms of dt, B and C before the scan: weightless in Falcon-Mamba, with `dt_layernorm.weight`,
/// `b_layernorm.weight` and `c_layernorm.weight` in Jamba.
struct MambaInnerNorms {
    var eps: Float
    var weighted: Bool
}

extension GraphBuilder {
    /// One Mamba-1 mixer (transformers' MambaMixer) of the checkpoint module `p` (e.g. `backbone.layers.0.mixer.`),
    /// nodes named under `n`, on the normed hidden rows h; its conv window and SSM state use recurrent state slot
    /// `stateSlot`:
    /// in_proj → (x, z); x ← act(causal depthwise conv1d(x)); x_proj(x) → (dt, B, C), optionally RMS-normed;
    /// dt ← dt_proj.weight · dt; y ← selective scan(x, softplus(dt + dt_proj.bias), A = −exp(A_log), B, C, D) (the bias
    /// and softplus applied inside the scan, as transformers' selective scan takes them); out_proj(y ⊙ silu(z)).
    mutating func mambaMixer(_ h: ValueID, _ s: MambaMixerShape, innerNorms: MambaInnerNorms?, stateSlot: Int,
                             module p: String, name n: String, weights w: WeightBinder) throws -> ValueID {
        let (d, channels, state, rank, kernel) = (s.hiddenSize, s.intermediateSize, s.stateSize, s.timeStepRank, s.convKernel)
        let projected = try linear(h, module: p + "in_proj", rows: 2 * channels, bias: s.projectionBias, weights: w, name: n + "in_proj")
        let x = slice(projected, start: 0, count: channels, name: n + "x")
        let z = slice(projected, start: channels, count: channels, name: n + "z")

        let conv = try ConvSpec(module: p + "conv1d", channels: channels, kernel: kernel, bias: s.convBias, activation: s.activation,
                                stateSlot: stateSlot, weights: w)
        let convolved = causalConv1d(x, conv, name: n + "conv1d")

        let parameters = try linear(convolved, module: p + "x_proj", rows: rank + 2 * state, weights: w, name: n + "x_proj")
        var dt = slice(parameters, start: 0, count: rank, name: n + "dt_low")
        var b = slice(parameters, start: rank, count: state, name: n + "B")
        var c = slice(parameters, start: rank + state, count: state, name: n + "C")
        if let norms = innerNorms {
            func norm(_ x: ValueID, _ module: String, _ width: Int) throws -> ValueID {
                rmsNorm(x, weight: try w.optional(norms.weighted, p + module + ".weight", [width]), eps: norms.eps, name: n + module)
            }
            dt = try norm(dt, "dt_layernorm", rank)
            b = try norm(b, "b_layernorm", state)
            c = try norm(c, "c_layernorm", state)
        }
        dt = try linear(dt, module: p + "dt_proj", rows: channels, weights: w, name: n + "dt_proj")

        let aLog = try w(p + "A_log", [channels, state])
        let scan = ScanSpec(stateSlot: stateSlot, heads: channels, headDim: 1, groups: 1, stateSize: state,
                            a: WeightRef(shape: [state * channels],
                                         transform: .negatedExp(.transposed(aLog.transform, rows: channels, cols: state))),
                            d: try w(p + "D", [channels]), dtBias: try w(p + "dt_proj.bias", [channels]), dtSoftplus: true)
        let y = selectiveScan(x: convolved, dt: dt, b: b, c: c, scan, name: n + "scan")
        let gated = gatedActivation(gate: z, up: y, .silu, name: n + "gate")
        return try linear(gated, module: p + "out_proj", rows: d, bias: s.projectionBias, weights: w, name: n + "out_proj")
    }
}

extension ConvSpec {
    /// The depthwise conv of the checkpoint module `module` (`.weight` `[channels, 1, kernel]`, transposed to taps
    /// tap-major at compile time; `.bias` `[channels]` when `bias`), followed by `activation` (nil: none).
    init(module: String, channels: Int, kernel: Int, bias: Bool, activation: UnaryOp?, stateSlot: Int, weights w: WeightBinder) throws {
        let taps = try w(module + ".weight", [channels, 1, kernel])
        self.init(stateSlot: stateSlot, channels: channels, kernel: kernel,
                  weight: WeightRef(shape: [kernel * channels], transform: .transposed(taps.transform, rows: channels, cols: kernel)),
                  bias: try w.optional(bias, module + ".bias", [channels]), activation: activation)
    }
}
