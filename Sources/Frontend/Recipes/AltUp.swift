import IR

/// AltUp (alternating updates, Gemma-3n): the residual stream is `streams` copies of the hidden state side by side,
/// one value `[T, streams·d]`; layers compute on the active stream only, and a learned per-token mix predicts every
/// stream before the layer and corrects them after it. Weights are named under `prefix` (`model.layers.N.altup.`).
struct AltUp {
    let streams: Int
    let active: Int
    let width: Int
    let eps: Float
    let prefix: String
    let name: String

    /// Router modalities tanh(router(router_norm(x) / d)) `[T, streams]` (the 1/d folded into the norm weight).
    private func modalities(_ x: ValueID, _ b: inout GraphBuilder, _ w: WeightBinder, _ tag: String) throws -> ValueID {
        let norm = try w(prefix + "router_norm.weight", [width])
        let scaled = WeightRef(shape: norm.shape, transform: .scaled(norm.transform, 1 / Float(width)))
        let normed = b.rmsNorm(x, weight: scaled, eps: eps, name: name + "router_norm." + tag)
        let routed = try b.linear(normed, module: prefix + "modality_router", rows: streams, weights: w,
                                  name: name + "modality_router." + tag)
        return b.unary(routed, .tanh, name: name + "modalities." + tag)
    }

    /// The active stream's columns of a streams value.
    func activeStream(_ x: ValueID, _ b: inout GraphBuilder, name: String) -> ValueID {
        b.slice(x, start: active * width, count: width, name: name)
    }

    /// predictions = x + per token, stream i gets Σ_j coefs[i·streams + j] · stream j.
    func predict(_ x: ValueID, _ b: inout GraphBuilder, _ w: WeightBinder) throws -> ValueID {
        let coefs = try b.linear(try modalities(activeStream(x, &b, name: name + "active_input"), &b, w, "predict"),
                                 module: prefix + "prediction_coefs", rows: streams * streams, weights: w,
                                 name: name + "prediction_coefs")
        return b.add(x, b.blockMix(x, coefficients: coefs, blocks: streams, name: name + "predict_mix"), name: name + "predictions")
    }

    /// corrected stream i = prediction i + (coefs[i] + 1) · (activated − active prediction).
    func correct(_ predictions: ValueID, activated: ValueID, _ b: inout GraphBuilder, _ w: WeightBinder) throws -> ValueID {
        let coefs = try b.linear(try modalities(activated, &b, w, "correct"), module: prefix + "correction_coefs",
                                 rows: streams, weights: w, name: name + "correction_coefs")
        let gains = b.unary(coefs, .shift(1), name: name + "correction_gains")
        let negated = b.scale(activeStream(predictions, &b, name: name + "active_prediction"), by: -1,
                              name: name + "active_prediction_negated")
        let innovation = b.add(activated, negated, name: name + "innovation")
        return b.add(predictions, b.blockMix(innovation, coefficients: gains, blocks: 1, name: name + "correct_mix"),
                     name: name + "corrected")
    }
}

extension GraphBuilder {
    /// x · target / max(rms(x), √1e-5) per row: Gemma-3n's AltUp projections keep the magnitude of the stream they
    /// come from (`target`: that stream's rms `[T, 1]`).
    mutating func magnitudeMatched(_ x: ValueID, target: ValueID, name: String) -> ValueID {
        let magnitude = rowStatistic(x, .rms(floor: 1e-5), name: name + ".magnitude")
        return div(mul(x, target, name: name + ".times_target"), magnitude, name: name)
    }
}
