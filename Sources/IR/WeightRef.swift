/// A reference to weight data by checkpoint name: the graph never holds weight bytes.
///
/// `transform` says how the stored tensor(s) become the matrix an op reads; it runs once, at compile time,
/// when the weight blob is written.
public struct WeightRef: Hashable, Sendable, CustomStringConvertible {
    /// Logical shape as the op reads it (e.g. `[out, in]` for a linear layer).
    public var shape: [Int]
    public var transform: WeightTransform

    public init(_ name: String, shape: [Int]) {
        self.shape = shape
        self.transform = .tensor(name)
    }

    public init(shape: [Int], transform: WeightTransform) {
        self.shape = shape
        self.transform = transform
    }

    /// Every checkpoint tensor this weight is made from.
    public var sourceNames: [String] { transform.sourceNames }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    public var description: String { "\(transform)\(shape)" }
}

/// How checkpoint tensors are turned into the matrix an op reads.
public indirect enum WeightTransform: Hashable, Sendable, CustomStringConvertible {
    /// A checkpoint tensor as stored (converted to f32).
    case tensor(String)
    /// Rows of several matrices stacked (fused projections: q|k|v, gate|up).
    case concatRows([WeightTransform])
    /// Rows `start ..< start+count` of a matrix (split of fused checkpoint tensors such as W_pack).
    case sliceRows(WeightTransform, start: Int, count: Int)
    /// Every element multiplied by a constant (folded config scalars).
    case scaled(WeightTransform, Float)
    /// The transpose of a stored `[rows, cols]` matrix (GPT-2's Conv1D keeps weights as `[in, out]`).
    case transposed(WeightTransform, rows: Int, cols: Int)
    /// Every row divided by its L2 norm (at least 1e-12), like `torch.nn.functional.normalize` (Baichuan2's NormHead).
    case rowNormalized(WeightTransform)
    /// Column j of a matrix multiplied by element j of a vector: W·diag(s), an elementwise scale of a linear's input
    /// folded into its weight.
    case columnsScaled(WeightTransform, by: WeightTransform)
    /// −eˣ of every element (Mamba's A = −exp(A_log), folded at compile time).
    case negatedExp(WeightTransform)

    /// The transforms this one is computed from (none for a tensor).
    public var operands: [WeightTransform] {
        switch self {
        case .tensor: []
        case .concatRows(let parts): parts
        case .sliceRows(let base, _, _), .scaled(let base, _), .transposed(let base, _, _), .rowNormalized(let base),
             .negatedExp(let base):
            [base]
        case .columnsScaled(let base, let vector): [base, vector]
        }
    }

    public var sourceNames: [String] {
        if case .tensor(let name) = self { return [name] }
        return operands.flatMap(\.sourceNames)
    }

    /// The computed sub-transforms that occur more than once in this one (GPT-OSS's de-interleaved gate and up
    /// halves both read one transposed block): evaluating each of them once saves repeating its work.
    public var repeatedOperands: Set<WeightTransform> {
        var seen = Set<WeightTransform>(), repeated = Set<WeightTransform>()
        func visit(_ t: WeightTransform) {
            for operand in t.operands {
                if case .tensor = operand { continue }
                if seen.insert(operand).inserted { visit(operand) } else { repeated.insert(operand) }
            }
        }
        visit(self)
        return repeated
    }

    public var description: String {
        switch self {
        case .tensor(let name): name
        case .concatRows(let parts): "concat(" + parts.map(\.description).joined(separator: ", ") + ")"
        case .sliceRows(let base, let start, let count): "\(base)[\(start)..<\(start + count)]"
        case .scaled(let base, let factor): "\(base)*\(factor)"
        case .transposed(let base, _, _): "\(base)ᵀ"
        case .rowNormalized(let base): "normalize(\(base))"
        case .columnsScaled(let base, let vector): "\(base)·diag(\(vector))"
        case .negatedExp(let base): "-exp(\(base))"
        }
    }
}
