import Foundation
import RuntimeLib
import XCTest

final class BlobTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmc-blob-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private static let info = Array(#"{"architecture":"llama"}"#.utf8)
    private static let tokenizer = Array("tokenizer bytes".utf8)

    /// A well-formed header for a blob of [header | info | tokenizer | pad | 8192 weight bytes at 4096].
    private func goodHeader() -> llmc_blob_header {
        var h = llmc_blob_header()
        withUnsafeMutableBytes(of: &h.magic) { $0.copyBytes(from: Array("LLMCBLB1".utf8)) }
        h.version = UInt32(LLMC_BLOB_VERSION)
        h.header_bytes = UInt32(MemoryLayout<llmc_blob_header>.size)
        h.info_offset = UInt64(MemoryLayout<llmc_blob_header>.size)
        h.info_bytes = UInt64(Self.info.count)
        h.tokenizer_offset = h.info_offset + h.info_bytes
        h.tokenizer_bytes = UInt64(Self.tokenizer.count)
        h.weights_offset = 4096
        h.weights_bytes = 8192
        h.vocab_size = 32000
        h.max_position = 2048
        h.default_ctx = 2048
        h.bos_id = 1
        h.pad_id = -1
        h.n_eos = 2
        h.eos_ids.0 = 2
        h.eos_ids.1 = 31999
        h.temperature = 0.7
        h.top_p = 0.9
        h.top_k = 50
        h.min_p = 0
        h.repetition_penalty = 1
        return h
    }

    /// Writes [fake executable | pad to 4096 | blob | trailer] and returns its path.
    private func writeFile(
        _ header: llmc_blob_header, executableBytes: Int = 5000, trailerOffset: UInt64? = nil,
        trailerMagic: String = "LLMCTRL1", blobBytes: Int = 4096 + 8192
    ) throws -> String {
        var file = [UInt8](repeating: 0x7F, count: executableBytes)
        file += [UInt8](repeating: 0, count: (4096 - file.count % 4096) % 4096)
        let blobOffset = UInt64(file.count)
        var blob = [UInt8](repeating: 0xAB, count: blobBytes)
        withUnsafeBytes(of: header) { raw in
            for (i, b) in raw.enumerated() where i < blob.count { blob[i] = b }
        }
        let infoStart = MemoryLayout<llmc_blob_header>.size
        if blob.count >= infoStart + Self.info.count + Self.tokenizer.count {
            blob.replaceSubrange(infoStart..<infoStart + Self.info.count, with: Self.info)
            let tokStart = infoStart + Self.info.count
            blob.replaceSubrange(tokStart..<tokStart + Self.tokenizer.count, with: Self.tokenizer)
        }
        file += blob
        withUnsafeBytes(of: (trailerOffset ?? blobOffset).littleEndian) { file += $0 }
        file += Array(trailerMagic.utf8)
        let path = directory.appendingPathComponent("model-\(UUID().uuidString).bin").path
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func open(_ path: String, populate: Int32 = 0) -> (Int32, llmc_blob, String) {
        var blob = llmc_blob()
        var err = [CChar](repeating: 0, count: 512)
        let rc = llmc_blob_open(path, populate, &blob, &err, UInt64(err.count))
        return (rc, blob, err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    private func assertRejected(_ path: String, _ fragment: String, file: StaticString = #filePath,
                                line: UInt = #line) {
        var (rc, blob, message) = open(path)
        XCTAssertEqual(rc, -1, file: file, line: line)
        XCTAssertNil(blob.header, file: file, line: line)
        XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line)
        llmc_blob_close(&blob)
    }

    func testWellFormedBlobOpens() throws {
        let path = try writeFile(goodHeader())
        for populate: Int32 in [0, 1] {
            var (rc, blob, message) = open(path, populate: populate)
            XCTAssertEqual(rc, 0, message)
            XCTAssertEqual(blob.blob_bytes, 4096 + 8192)
            XCTAssertEqual(blob.header.pointee.vocab_size, 32000)
            XCTAssertEqual(Int(bitPattern: blob.weights) % 4096, 0)
            XCTAssertEqual(blob.weights[0], 0xAB)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: blob.tokenizer, count: Self.tokenizer.count)),
                           Self.tokenizer)
            let info = blob.info_json.withMemoryRebound(to: UInt8.self, capacity: Self.info.count) {
                Array(UnsafeBufferPointer(start: $0, count: Self.info.count))
            }
            XCTAssertEqual(info, Self.info)
            llmc_blob_close(&blob)
            XCTAssertNil(blob.header)
        }
        var noTokenizer = goodHeader()
        noTokenizer.tokenizer_offset = 0
        noTokenizer.tokenizer_bytes = 0
        var (rc, blob, _) = open(try writeFile(noTokenizer))
        XCTAssertEqual(rc, 0)
        XCTAssertNil(blob.tokenizer)
        llmc_blob_close(&blob)
    }

    func testBrokenFilesAreRejected() throws {
        assertRejected(directory.appendingPathComponent("missing.bin").path, "cannot open")
        let empty = directory.appendingPathComponent("empty.bin").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        assertRejected(empty, "does not end with an LLMCTRL1 trailer")
        assertRejected(try writeFile(goodHeader(), trailerMagic: "LLMCTRL2"), "does not end with an LLMCTRL1 trailer")
        assertRejected(try writeFile(goodHeader(), trailerOffset: 4100), "not a 4096-aligned offset")
        assertRejected(try writeFile(goodHeader(), trailerOffset: 1 << 40), "not a 4096-aligned offset inside")
        assertRejected(try writeFile(goodHeader(), blobBytes: 64), "smaller than its header")
    }

    func testBadHeadersAreRejected() throws {
        func rejected(_ fragment: String, _ change: (inout llmc_blob_header) -> Void,
                      line: UInt = #line) throws {
            var h = goodHeader()
            change(&h)
            assertRejected(try writeFile(h), fragment, line: line)
            // the same check through the in-memory validator
            var err = [CChar](repeating: 0, count: 256)
            XCTAssertEqual(llmc_blob_validate(&h, 4096 + 8192, &err, 256), -1, line: line)
        }
        try rejected("bad blob magic") { $0.magic.0 = 0x58 }
        try rejected("blob version 2") { $0.version = 2 }
        try rejected("header_bytes is 100") { $0.header_bytes = 100 }
        try rejected("weights_offset 4000 is not 4096-aligned") { $0.weights_offset = 4000 }
        try rejected("weights [4096, +8193) outside the blob") { $0.weights_bytes = 8193 }
        try rejected("weights [0,") { $0.weights_offset = 0 }
        try rejected("weights [8192,") { $0.weights_offset = 8192 }
        try rejected("info JSON") { $0.info_offset = 12288 }
        try rejected("info JSON") { $0.info_bytes = UInt64.max }
        try rejected("tokenizer") { $0.tokenizer_bytes = 1 << 20 }
        try rejected("vocab_size 0") { $0.vocab_size = 0 }
        try rejected("max_position 0") { $0.max_position = 0 }
        try rejected("default_ctx 4096 not in [1, max_position 2048]") { $0.default_ctx = 4096 }
        try rejected("n_eos 9") { $0.n_eos = 9 }
        try rejected("eos id 32000 outside") { $0.eos_ids.1 = 32000 }
        try rejected("sampling defaults") { $0.top_p = 1.5 }
        try rejected("sampling defaults") { $0.temperature = -.infinity }
        try rejected("sampling defaults") { $0.repetition_penalty = 0 }
    }
}
