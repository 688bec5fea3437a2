import Foundation
import IR
#if canImport(Glibc)
import Glibc
#endif

/// One tensor's entry in a safetensors header.
public struct TensorEntry: Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range inside the data area (after the 8-byte length and the JSON header).
    public let dataRange: Range<Int>
}

/// A memory-mapped `.safetensors` file whose header has been fully validated.
///
/// Validation: the 8-byte header length lies within the file, the JSON is well formed, every tensor's dtype is
/// a safetensors dtype, dtype × shape equals its byte length, every range lies inside the data area, and no two ranges
/// overlap. Tensors of dtypes llmc does not read (I64 buffers such as BERT's `embeddings.position_ids`, U8, BOOL, ...)
/// are listed in `unreadable` and fail only when a recipe asks for them.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let tensors: [String: TensorEntry]
    /// Tensors whose dtype llmc does not read: name → safetensors dtype name.
    public let unreadable: [String: String]
    private let base: UnsafeRawPointer
    private let mappedSize: Int
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FrontendError.missingFile(path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FrontendError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size >= 8 else { throw FrontendError.badSafetensors(file: path, reason: "file is \(size) bytes, shorter than the 8-byte header length") }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw FrontendError.unreadable(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(map)
        mappedSize = size
        do {
            let headerLength = base.loadUnaligned(as: UInt64.self).littleEndian
            guard headerLength <= UInt64(size - 8) else {
                throw FrontendError.badSafetensors(file: path, reason: "header length \(headerLength) runs past the end of the file (\(size) bytes)")
            }
            dataStart = 8 + Int(headerLength)
            let header = Data(bytes: base + 8, count: Int(headerLength))
            (tensors, unreadable) = try Self.parseHeader(header, dataSize: size - dataStart, path: path)
        } catch {
            munmap(map, size)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedSize) }

    /// Raw bytes of a tensor (valid while this file is alive).
    public func bytes(of entry: TensorEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + dataStart + entry.dataRange.lowerBound, count: entry.dataRange.count)
    }

    /// Bytes per element of the safetensors dtypes llmc validates but does not read.
    private static let otherDTypeSizes = ["F64": 8, "I64": 8, "U64": 8, "U32": 4, "I16": 2, "U16": 2, "I8": 1, "U8": 1,
                                          "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1]

    private static func parseHeader(_ header: Data, dataSize: Int, path: String) throws
        -> (tensors: [String: TensorEntry], unreadable: [String: String]) {
        guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
            throw FrontendError.badSafetensors(file: path, reason: "header is not a JSON object")
        }
        var entries: [String: TensorEntry] = [:]
        var unreadable: [String: String] = [:]
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw FrontendError.badSafetensors(file: path, reason: "tensor '\(name)' has a malformed entry") }
            let dtype = DType(safetensorsName: dtypeName)
            guard let elementSize = dtype?.size ?? otherDTypeSizes[dtypeName] else {
                throw FrontendError.unsupportedDType(name: name, file: path, dtype: dtypeName)
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw FrontendError.badSafetensors(file: path, reason: "tensor '\(name)' offsets \(offsets) lie outside the data area (\(dataSize) bytes); the file may be truncated")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw FrontendError.badSafetensors(file: path, reason: "tensor '\(name)' has a negative dimension in \(shape)")
            }
            let expected = shape.reduce(1, *) * elementSize
            guard expected == offsets[1] - offsets[0] else {
                throw FrontendError.badSafetensors(file: path, reason: "tensor '\(name)' is \(dtypeName) \(shape) = \(expected) bytes but its offsets span \(offsets[1] - offsets[0])")
            }
            ranges.append((name, offsets[0]..<offsets[1]))
            if let dtype {
                entries[name] = TensorEntry(name: name, dtype: dtype, shape: shape, dataRange: offsets[0]..<offsets[1])
            } else {
                unreadable[name] = dtypeName
            }
        }
        let sorted = ranges.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw FrontendError.badSafetensors(file: path, reason: "tensors '\(a.name)' and '\(b.name)' overlap")
        }
        return (entries, unreadable)
    }
}

extension DType {
    /// Maps safetensors dtype names; nil for dtypes llmc does not read.
    init?(safetensorsName: String) {
        switch safetensorsName {
        case "F32": self = .f32
        case "F16": self = .f16
        case "BF16": self = .bf16
        case "I32": self = .i32
        default: return nil
        }
    }
}
