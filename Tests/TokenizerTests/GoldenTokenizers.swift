import Foundation
@testable import Frontend
import XCTest

/// The tokenizers under golden/tokenizer and the transformers outputs that make_tokenizer_goldens.py wrote for them.
enum GoldenTokenizers {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/tokenizer")

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// A temporary copy of golden tokenizer directory `name` (removed after the test) whose `file` has `original`
    /// replaced by `replacement`.
    static func modifiedCopy(of name: String, replacing original: String, with replacement: String,
                             in file: String = "tokenizer.json", testCase: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let source = directory(name)
        for entry in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            var text = try String(contentsOf: source.appendingPathComponent(entry).resolvingSymlinksInPath(),
                                  encoding: .utf8)
            if entry == file {
                XCTAssertTrue(text.contains(original), "fixture text not found: \(original)")
                text = text.replacingOccurrences(of: original, with: replacement)
            }
            try text.write(to: dir.appendingPathComponent(entry), atomically: false, encoding: .utf8)
        }
        return dir
    }

    /// Asserts that building the section of `dir` fails with a message containing every part.
    static func assertBuildFails(_ dir: URL, mentioning parts: [String], file: StaticString = #filePath,
                                 line: UInt = #line) {
        XCTAssertThrowsError(try TokenizerSection.build(modelDirectory: dir), file: file, line: line) { error in
            let message = "\(error)"
            for part in parts {
                XCTAssertTrue(message.contains(part), "'\(message)' lacks '\(part)'", file: file, line: line)
            }
        }
    }

    static func golden(_ name: String) throws -> Golden {
        let data = try Data(contentsOf: root.appendingPathComponent("\(name).json"))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    struct Golden: Decodable {
        let tokenizer: String
        let vocabSize: Int
        let bosTokenId: Int?
        let eosTokenId: Int?
        let cases: [TextCase]
        let pairCases: [PairCase]
        let decodeCases: [DecodeCase]

        enum CodingKeys: String, CodingKey {
            case tokenizer, vocabSize = "vocab_size", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
            case cases, pairCases = "pair_cases", decodeCases = "decode_cases"
        }
    }

    struct TextCase: Decodable {
        let text: String
        let ids: [Int]
        let idsNoSpecial: [Int]
        let decoded: String
        let decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, idsNoSpecial = "ids_no_special", decoded, decodedSkipSpecial = "decoded_skip_special"
        }
    }

    /// tok(a, b, truncation=..., max_length=...) from transformers; `error` when it refuses the pair.
    struct PairCase: Decodable {
        let a: String
        let b: String?
        let maxLength: Int?
        let noSpecial: Bool
        let ids: [Int]?
        let typeIds: [Int]?
        let truncated: Bool?
        let error: String?

        enum CodingKeys: String, CodingKey {
            case a, b, maxLength = "max_length", noSpecial = "no_special", ids, typeIds = "type_ids", truncated, error
        }
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
        let textSkipSpecial: String
        let bytesHex: String

        enum CodingKeys: String, CodingKey {
            case ids, text, textSkipSpecial = "text_skip_special", bytesHex = "bytes_hex"
        }

        var bytes: [UInt8] {
            let hex = Array(bytesHex.utf8)
            return stride(from: 0, to: hex.count, by: 2).map {
                UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)!
            }
        }
    }
}
