import Foundation
import RuntimeLib
import XCTest

/// Error reported by the C tokenizer API.
struct RuntimeTokenizerError: Error, CustomStringConvertible {
    let description: String

    /// The NUL-terminated message the C API wrote into its err buffer.
    init(message: [CChar]) {
        description = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Swift wrapper over llmc_tokenizer (RuntimeLib) for the tests: owns a copy of the section bytes at a chosen
/// alignment offset and the loaded tokenizer.
final class RuntimeTokenizer: @unchecked Sendable {
    private let storage: UnsafeMutableRawPointer
    let handle: OpaquePointer

    /// Loads section bytes placed `misalignment` bytes past a 16-byte boundary.
    init(section: [UInt8], misalignment: Int = 0) throws {
        storage = UnsafeMutableRawPointer.allocate(byteCount: section.count + misalignment, alignment: 16)
        let start = storage.advanced(by: misalignment)
        section.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: section.count) }
        var err = [CChar](repeating: 0, count: 512)
        guard let t = llmc_tokenizer_load(start.assumingMemoryBound(to: UInt8.self), UInt64(section.count), &err, 512)
        else {
            storage.deallocate()
            throw RuntimeTokenizerError(message: err)
        }
        handle = t
    }

    deinit {
        llmc_tokenizer_free(handle)
        storage.deallocate()
    }

    var vocabSize: Int { Int(llmc_tokenizer_vocab_size(handle)) }

    func encode(_ text: String, addSpecial: Bool) throws -> [Int] {
        try encode(bytes: Array(text.utf8), addSpecial: addSpecial)
    }

    func encode(bytes: [UInt8], addSpecial: Bool) throws -> [Int] {
        var out: UnsafeMutablePointer<Int32>?
        var err = [CChar](repeating: 0, count: 512)
        let n = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buf.count, 1)) {
                llmc_tokenizer_encode(handle, $0, UInt64(buf.count), addSpecial ? 1 : 0, &out, &err, 512)
            }
        }
        guard n >= 0, let out else { throw RuntimeTokenizerError(message: err) }
        defer { free(out) }
        return (0..<Int(n)).map { Int(out[$0]) }
    }

    /// The result of llmc_tokenizer_encode_pair.
    struct PairEncoding: Equatable {
        let ids: [Int]
        let typeIds: [Int]
        let truncated: Bool
    }

    /// llmc_tokenizer_encode_pair: `b` nil encodes `a` alone; maxLength 0 does not truncate.
    func encodePair(_ a: String, _ b: String?, addSpecial: Bool, maxLength: Int = 0) throws -> PairEncoding {
        var ids: UnsafeMutablePointer<Int32>?, typeIds: UnsafeMutablePointer<Int32>?
        var truncated: Int32 = -1
        var err = [CChar](repeating: 0, count: 512)
        let n = a.withCString { pa in
            let call = { (pb: UnsafePointer<CChar>?) in
                llmc_tokenizer_encode_pair(self.handle, pa, UInt64(a.utf8.count), pb, UInt64(b?.utf8.count ?? 0),
                                           addSpecial ? 1 : 0, Int64(maxLength), &ids, &typeIds, &truncated, &err, 512)
            }
            return b.map { $0.withCString { call($0) } } ?? call(nil)
        }
        guard n >= 0, let ids, let typeIds else { throw RuntimeTokenizerError(message: err) }
        defer {
            free(ids)
            free(typeIds)
        }
        XCTAssertTrue(truncated == 0 || truncated == 1)
        return PairEncoding(ids: (0..<Int(n)).map { Int(ids[$0]) }, typeIds: (0..<Int(n)).map { Int(typeIds[$0]) },
                            truncated: truncated == 1)
    }

    /// llmc_tokenizer_num_special.
    func numSpecial(pair: Bool) -> Int { Int(llmc_tokenizer_num_special(handle, pair ? 1 : 0)) }

    /// llmc_tokenizer_token_id.
    func tokenId(_ token: String) -> Int {
        Int(llmc_tokenizer_token_id(handle, token, UInt64(token.utf8.count)))
    }

    /// llmc_tokenizer_decode (replaced: true) or llmc_tokenizer_decode_bytes (replaced: false).
    func decode(_ ids: [Int], skipSpecial: Bool, replaced: Bool = true) throws -> [UInt8] {
        let ids32 = ids.map { Int32(truncatingIfNeeded: $0) }
        var out: UnsafeMutablePointer<CChar>?
        var err = [CChar](repeating: 0, count: 512)
        let n = ids32.withUnsafeBufferPointer { buf in
            (replaced ? llmc_tokenizer_decode : llmc_tokenizer_decode_bytes)(
                handle, buf.baseAddress, UInt64(buf.count), skipSpecial ? 1 : 0, &out, &err, 512)
        }
        guard n >= 0, let out else { throw RuntimeTokenizerError(message: err) }
        defer { free(out) }
        XCTAssertEqual(out[Int(n)], 0, "decode output is not NUL-terminated")
        return (0..<Int(n)).map { UInt8(bitPattern: out[$0]) }
    }
}
