import Foundation
import IR

/// All tensors of a model directory: `model.safetensors`, a sharded set named by `model.safetensors.index.json`,
/// or every `*.safetensors` file in the directory.
public final class Checkpoint: @unchecked Sendable {
    public let directory: URL
    private var files: [SafetensorsFile] = []
    private var location: [String: (file: SafetensorsFile, entry: TensorEntry)] = [:]

    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        var names: [String]
        if fm.fileExists(atPath: index.path) {
            let data = try Data(contentsOf: index)
            guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw FrontendError.missingKey(file: index.path, key: "weight_map")
            }
            names = Array(Set(map.values)).sorted()
        } else {
            let contents = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
            names = contents.filter { $0.hasSuffix(".safetensors") }.sorted()
        }
        guard !names.isEmpty else {
            throw FrontendError.missingFile(directory.appendingPathComponent("model.safetensors").path)
        }
        for name in names {
            let file = try SafetensorsFile(path: directory.appendingPathComponent(name).path)
            files.append(file)
            for (tensor, entry) in file.tensors { location[tensor] = (file, entry) }
        }
    }

    /// Names of every tensor in the checkpoint.
    public var tensorNames: [String] { location.keys.sorted() }

    /// Whether the checkpoint has a tensor of this name.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// Shape of a stored tensor.
    public func shape(of name: String) throws -> [Int] { try find(name).entry.shape }

    /// A tensor converted to f32, checked against `expectedShape` when given.
    public func floats(_ name: String, expectedShape: [Int]? = nil) throws -> [Float] {
        let (file, entry) = try find(name)
        if let expectedShape, expectedShape != entry.shape {
            throw FrontendError.tensorShape(name: name, file: file.path, expected: expectedShape, found: entry.shape)
        }
        return try convert(name, file, entry, elements: 0 ..< entry.shape.reduce(1, *))
    }

    /// Elements `elements` of a stored tensor (in row-major order) converted to f32: a slice without the rest.
    public func floats(_ name: String, elements: Range<Int>) throws -> [Float] {
        let (file, entry) = try find(name)
        guard elements.lowerBound >= 0, elements.upperBound <= entry.shape.reduce(1, *) else {
            throw FrontendError.tensorShape(name: name, file: file.path, expected: [elements.upperBound], found: entry.shape)
        }
        return try convert(name, file, entry, elements: elements)
    }

    private func convert(_ name: String, _ file: SafetensorsFile, _ entry: TensorEntry, elements: Range<Int>) throws -> [Float] {
        let all = file.bytes(of: entry)
        let count = elements.count
        switch entry.dtype {
        case .f32:
            let raw = UnsafeRawBufferPointer(rebasing: all[(4 * elements.lowerBound)..<(4 * elements.upperBound)])
            return [Float](unsafeUninitializedCapacity: count) { out, n in
                _ = raw.copyBytes(to: UnsafeMutableRawBufferPointer(out))
                n = count
            }
        case .bf16:
            return elements.map { Float(bitPattern: UInt32(all.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
        case .f16:
            return elements.map { Float(Float16(bitPattern: all.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .i32:
            throw FrontendError.unsupportedDType(name: name, file: file.path, dtype: "I32")
        }
    }

    /// Materialises a weight reference as a row-major f32 array of `weight.shape`.
    public func materialize(_ weight: WeightRef) throws -> [Float] {
        var cache = EvaluationCache(repeated: weight.transform.repeatedOperands)
        let values = try evaluate(weight.transform, rowLength: weight.shape.count == 2 ? weight.shape[1] : 1, cache: &cache)
        guard values.count == weight.count else {
            throw FrontendError.tensorShape(name: weight.transform.description, file: directory.path,
                                            expected: weight.shape, found: [values.count])
        }
        return values
    }

    /// What one weight's evaluation keeps: each source tensor converted once (fused per-head layouts slice the same
    /// tensor many times), and the results of the sub-transforms that occur more than once.
    private struct EvaluationCache {
        struct Key: Hashable {
            var transform: WeightTransform
            var rowLength: Int
        }

        let repeated: Set<WeightTransform>
        var loaded: [String: [Float]] = [:]
        var results: [Key: [Float]] = [:]
    }

    /// Evaluates a transform, once per weight for a sub-transform that occurs more than once.
    private func evaluate(_ transform: WeightTransform, rowLength: Int, cache: inout EvaluationCache) throws -> [Float] {
        guard cache.repeated.contains(transform) else { return try compute(transform, rowLength: rowLength, cache: &cache) }
        let key = EvaluationCache.Key(transform: transform, rowLength: rowLength)
        if let values = cache.results[key] { return values }
        let values = try compute(transform, rowLength: rowLength, cache: &cache)
        cache.results[key] = values
        return values
    }

    private func compute(_ transform: WeightTransform, rowLength: Int, cache: inout EvaluationCache) throws -> [Float] {
        switch transform {
        case .tensor(let name):
            if let values = cache.loaded[name] { return values }
            let values = try floats(name)
            cache.loaded[name] = values
            return values
        case .concatRows(let parts):
            var values: [Float] = []
            for part in parts { values += try evaluate(part, rowLength: rowLength, cache: &cache) }
            return values
        case .sliceRows(.tensor(let name), let start, let count) where cache.loaded[name] == nil && start >= 0 && count >= 0:
            // One expert of a stacked 3-D tensor (or rows of a fused matrix) without converting the rest.
            return try floats(name, elements: start * rowLength ..< (start + count) * rowLength)
        case .sliceRows(let base, let start, let count):
            let all = try evaluate(base, rowLength: rowLength, cache: &cache)
            guard start >= 0, count >= 0, (start + count) * rowLength <= all.count else {
                throw FrontendError.tensorShape(name: base.description, file: directory.path,
                                                expected: [start + count, rowLength], found: [all.count / max(rowLength, 1), rowLength])
            }
            return Array(all[start * rowLength ..< (start + count) * rowLength])
        case .scaled(let base, let factor):
            return try evaluate(base, rowLength: rowLength, cache: &cache).map { $0 * factor }
        case .negatedExp(let base):
            return try evaluate(base, rowLength: rowLength, cache: &cache).map { -Foundation.exp($0) }
        case .rowNormalized(let base):
            var values = try evaluate(base, rowLength: rowLength, cache: &cache)
            for start in stride(from: 0, to: values.count, by: max(rowLength, 1)) {
                let row = start ..< min(start + rowLength, values.count)
                let norm = Float(values[row].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
                let divisor = max(norm, 1e-12)
                for i in row { values[i] /= divisor }
            }
            return values
        case .transposed(let base, let rows, let cols):
            let source = try evaluate(base, rowLength: cols, cache: &cache)
            guard source.count == rows * cols else {
                throw FrontendError.tensorShape(name: base.description, file: directory.path, expected: [rows, cols], found: [source.count])
            }
            return [Float](unsafeUninitializedCapacity: source.count) { out, n in
                for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = source[r * cols + c] } }
                n = source.count
            }
        case .columnsScaled(let base, let vector):
            let matrix = try evaluate(base, rowLength: rowLength, cache: &cache)
            let factors = try evaluate(vector, rowLength: 1, cache: &cache)
            guard factors.count == rowLength, matrix.count % max(rowLength, 1) == 0 else {
                throw FrontendError.tensorShape(name: vector.description, file: directory.path, expected: [rowLength],
                                                found: [factors.count])
            }
            return matrix.enumerated().map { $1 * factors[$0 % rowLength] }
        }
    }

    private func find(_ name: String) throws -> (file: SafetensorsFile, entry: TensorEntry) {
        guard let found = location[name] else {
            if let file = files.first(where: { $0.unreadable[name] != nil }), let dtype = file.unreadable[name] {
                throw FrontendError.unsupportedDType(name: name, file: file.path, dtype: dtype)
            }
            throw FrontendError.missingTensor(name: name, searched: directory.path)
        }
        return found
    }
}
