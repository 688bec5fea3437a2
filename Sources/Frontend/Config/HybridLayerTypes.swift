extension KeyedDecodingContainer where Key == ConfigKey {
    /// `layer_types` of a hybrid decoder whose layers are either "full_attention" (true) or `other` (false; "conv",
    /// "linear_attention"); nil when the key is absent. Errors name the key for a wrong count or an unknown type.
    func attentionLayers(layers: Int, other: String) throws -> [Bool]? {
        guard let types = try decodeIfPresent([String].self, forKey: "layer_types") else { return nil }
        guard types.count == layers else { throw invalid("layer_types", "has \(types.count) entries for \(layers) layers") }
        return try types.map { type in
            guard type == "full_attention" || type == other else {
                throw invalid("layer_types", "layer type '\(type)' is not supported (supported: \(other), full_attention)")
            }
            return type == "full_attention"
        }
    }
}
