import Foundation
import IR

/// Decodes a JSON file of a model directory into a `Decodable` config, turning decoding failures into
/// `FrontendError`s that name the file and the key.
enum ConfigDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FrontendError.missingFile(url.path)
        }
        return try decode(type, from: data, file: url.path)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch let error as FrontendError {
            throw error
        }
    }

    private static func path(_ codingPath: [CodingKey], _ last: CodingKey? = nil) -> String {
        (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ error: DecodingError, file: String) -> FrontendError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingKey(file: file, key: path(context.codingPath, key))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .badValue(file: file, key: path(context.codingPath), reason: context.debugDescription)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .unreadable(file: file, reason: "not valid JSON") }
            return .badValue(file: file, key: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .unreadable(file: file, reason: "\(error)")
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a required positive integer.
    func positive(_ key: Key) throws -> Int {
        let value = try decode(Int.self, forKey: key)
        guard value > 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must be positive, got \(value)")
        }
        return value
    }

    /// Decodes an optional positive integer.
    func positiveIfPresent(_ key: Key) throws -> Int? {
        guard let value = try decodeIfPresent(Int.self, forKey: key) else { return nil }
        guard value > 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must be positive, got \(value)")
        }
        return value
    }

    /// Decodes an integer or a list of integers (eos_token_id may be either).
    func intList(_ key: Key) throws -> [Int] {
        if let one = try? decodeIfPresent(Int.self, forKey: key) { return [one] }
        return try decodeIfPresent([Int].self, forKey: key) ?? []
    }

    /// Class names in id order from an `id2label` object (empty when absent); ids must be 0 ..< count.
    func labels(_ key: Key) throws -> [String] {
        let id2label = try decodeIfPresent([String: String].self, forKey: key) ?? [:]
        let ids = try id2label.keys.map { name -> Int in
            guard let id = Int(name), id >= 0, id < id2label.count else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "ids must be 0 ..< \(id2label.count), got '\(name)'")
            }
            return id
        }
        return ids.sorted().map { id2label[String($0)] ?? "LABEL_\($0)" }
    }

    /// A transformers activation name (`key`, else `defaultName`) as an elementwise op.
    func activation(_ key: Key, default defaultName: String) throws -> UnaryOp {
        let name = try decodeIfPresent(String.self, forKey: key) ?? defaultName
        guard let unary = Activation.unary(name) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "unsupported activation '\(name)' (\(Activation.supported.joined(separator: ", ")))")
        }
        return unary
    }

    /// `hidden_size` split into `heads` heads, or an error naming `headsKey`.
    func headDim(hiddenSize: Int, heads: Int, _ headsKey: Key) throws -> Int {
        guard hiddenSize % heads == 0 else {
            throw DecodingError.dataCorruptedError(forKey: headsKey, in: self,
                                                   debugDescription: "hidden_size \(hiddenSize) is not a multiple of \(heads) heads")
        }
        return hiddenSize / heads
    }
}
