import Foundation
@testable import Frontend
import XCTest

/// Each supported decoder (alone and in sequences, with Strip stops, Metaspace schemes, byte-fallback edge cases) on
/// token lists, against what tokenizers' decoders return (golden/tokenizer/decoder_cases.json).
final class DecoderGoldenTests: XCTestCase {
    func testDecodersMatchTokenizers() throws {
        let url = GoldenTokenizers.root.appendingPathComponent("decoder_cases.json")
        let golden = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let tokens = try XCTUnwrap(golden["tokens"] as? [String])
        let cases = try XCTUnwrap(golden["cases"] as? [[String: Any]])
        XCTAssertGreaterThan(cases.count, 500)
        let idOfToken = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        var tokenizers: [Data: RuntimeTokenizer] = [:]
        for c in cases {
            let decoder = try XCTUnwrap(c["decoder"])
            let key = try JSONSerialization.data(withJSONObject: decoder, options: .sortedKeys)
            if tokenizers[key] == nil { tokenizers[key] = try tokenizer(decoder: decoder, vocab: idOfToken) }
            let tokenizer = try XCTUnwrap(tokenizers[key])
            let list = try XCTUnwrap(c["tokens"] as? [String])
            let ids = try list.map { try XCTUnwrap(idOfToken[$0]) }
            let label = "\(String(decoding: key, as: UTF8.self)) on \(list)"
            let text = try XCTUnwrap(c["text"] as? String)
            XCTAssertEqual(try tokenizer.decode(ids, skipSpecial: false), Array(text.utf8), label)
            let hex = Array(try XCTUnwrap(c["bytes_hex"] as? String).utf8)
            let bytes = stride(from: 0, to: hex.count, by: 2).map {
                UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16) ?? 0
            }
            XCTAssertEqual(try tokenizer.decode(ids, skipSpecial: false, replaced: false), bytes, label)
        }
        print("decoders: \(cases.count) token lists through \(tokenizers.count) decoders checked against tokenizers")
    }

    /// A tokenizer.json with the vocabulary and decoder (no merges) in a temporary directory, compiled and loaded.
    private func tokenizer(decoder: Any, vocab: [String: Int]) throws -> RuntimeTokenizer {
        let json: [String: Any] = [
            "version": "1.0", "added_tokens": [Any](), "normalizer": NSNull(), "pre_tokenizer": NSNull(),
            "post_processor": NSNull(), "decoder": decoder,
            "model": ["type": "BPE", "vocab": vocab, "merges": [Any]()],
        ]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("tokenizer.json"))
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir))
        return try RuntimeTokenizer(section: section.bytes)
    }
}
