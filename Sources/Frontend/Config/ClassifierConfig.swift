/// The keys of config.json a decoder's pooling head reads: class names (`id2label`) and the score temperature of
/// NVIDIA's bidirectional Llama rerankers (`temperature`, logits are divided by it).
struct ClassifierConfig: Decodable {
    /// Class names by id, in id order; empty when the config has none.
    var labels: [String]
    var temperature: Float

    enum CodingKeys: String, CodingKey {
        case id2label, temperature
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label) ?? [:]
        let ids = try id2label.keys.map { key -> Int in
            guard let id = Int(key), id >= 0, id < id2label.count else {
                throw DecodingError.dataCorruptedError(forKey: .id2label, in: c, debugDescription: "ids must be 0 ..< \(id2label.count), got '\(key)'")
            }
            return id
        }
        labels = ids.sorted().map { id2label[String($0)] ?? "LABEL_\($0)" }
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 1
        guard temperature > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .temperature, in: c, debugDescription: "must be positive")
        }
    }

    /// The names of `count` classes: id2label when it has that many, else LABEL_i.
    func labels(count: Int) -> [String] {
        labels.count == count ? labels : (0..<count).map { "LABEL_\($0)" }
    }
}
