import IR

extension GraphBuilder {
    /// The output of a LoRA adapter stored as `nn.Sequential(Linear(in, rank), Linear(rank, rows))` without biases
    /// (Zamba2's per-invocation adapters): B(A(x)) with `<module>.0.weight` `[rank, in]` and `<module>.1.weight`
    /// `[rows, rank]`. Added to the adapted projection's output rather than folded into its weight, because the
    /// weight is shared by invocations with different adapters.
    mutating func loRA(_ x: ValueID, module: String, rank: Int, rows: Int, weights w: WeightBinder, name: String) throws -> ValueID {
        let down = try linear(x, module: module + ".0", rows: rank, weights: w, name: name + "_a")
        return try linear(down, module: module + ".1", rows: rows, weights: w, name: name + "_b")
    }
}
