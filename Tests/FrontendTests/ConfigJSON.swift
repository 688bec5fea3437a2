import Foundation

/// A config.json object embedded in an expected-values file, kept as the bytes a config decoder reads.
struct ConfigJSON: Decodable {
    let data: Data

    init(from decoder: Decoder) throws {
        data = try JSONSerialization.data(withJSONObject: try decoder.singleValueContainer().decode(AnyJSON.self).value)
    }

    private struct AnyJSON: Decodable {
        let value: Any
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { value = NSNull() }
            else if let b = try? c.decode(Bool.self) { value = b }
            else if let i = try? c.decode(Int.self) { value = i }
            else if let d = try? c.decode(Double.self) { value = d }
            else if let s = try? c.decode(String.self) { value = s }
            else if let a = try? c.decode([AnyJSON].self) { value = a.map(\.value) }
            else { value = try c.decode([String: AnyJSON].self).mapValues(\.value) }
        }
    }
}
