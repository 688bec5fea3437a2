import Foundation

/// The tokenizers under golden/tokenizer and the transformers outputs that make_tokenizer_goldens.py wrote for them.
enum GoldenTokenizers {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/tokenizer")

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

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
        let decodeCases: [DecodeCase]

        enum CodingKeys: String, CodingKey {
            case tokenizer, vocabSize = "vocab_size", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
            case cases, decodeCases = "decode_cases"
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
