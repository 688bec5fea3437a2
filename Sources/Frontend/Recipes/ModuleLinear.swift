import IR

extension GraphBuilder {
    /// `input · Wᵀ (+ b)` of the checkpoint module `module`: `<module>.weight` of `[rows, input width]` and, when `bias`,
    /// `<module>.bias` of `[rows]`, both bound (presence and shape checked) by `w`; the node is named `name`.
    mutating func linear(_ input: ValueID, module: String, rows: Int, bias: Bool = false, weights w: WeightBinder,
                         name: String) throws -> ValueID {
        let weight = try w(module + ".weight", [rows, self.type(of: input).cols])
        return linear(input, weight: weight, bias: try w.optional(bias, module + ".bias", [rows]), name: name)
    }
}
