import Foundation

/// Writes small safetensors files (optionally corrupted) and model directories for tests.
enum SafetensorsFixture {
    struct Tensor {
        var name: String
        var dtype = "F32"
        var shape: [Int]
        var values: [Float]
    }

    /// A temporary directory removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("llmc-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Serialises tensors; `offsets` overrides a tensor's data_offsets and `headerLength` the 8-byte length.
    static func bytes(_ tensors: [Tensor], offsets: [String: [Int]] = [:], headerLength: UInt64? = nil) -> Data {
        var header: [String: Any] = [:]
        var data = Data()
        for t in tensors {
            let start = data.count
            for v in t.values {
                switch t.dtype {
                case "BF16": withUnsafeBytes(of: UInt16(v.bitPattern >> 16)) { data.append(contentsOf: $0) }
                case "F16": withUnsafeBytes(of: Float16(v).bitPattern) { data.append(contentsOf: $0) }
                default: withUnsafeBytes(of: v.bitPattern) { data.append(contentsOf: $0) }
                }
            }
            header[t.name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": offsets[t.name] ?? [start, data.count]]
        }
        let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data()
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        return out
    }
}
