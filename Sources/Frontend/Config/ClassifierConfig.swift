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
        labels = try c.labels(.id2label)
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
