import Foundation

/// A Hugging Face model directory: config.json, safetensors, and the optional tokenizer and generation files.
public struct ModelDirectory {
    public let url: URL
    /// config.json's raw bytes (recipes decode their own typed config from it).
    public let configData: Data
    /// `architectures[0]` of config.json (or the model_type when absent).
    public let architecture: String
    public let modelType: String?
    /// bos/eos/pad ids of config.json (generation_config.json, when present, takes precedence).
    public let bosTokenId: Int?
    public let eosTokenIds: [Int]
    public let padTokenId: Int?
    /// `llmc compile --pooling / --normalize` (pooling recipes read it through `PoolingConfig.resolve`).
    public var poolingOverride = PoolingOverride()

    public init(url: URL) throws {
        self.url = url
        let configURL = url.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw FrontendError.missingFile(configURL.path)
        }
        configData = data
        let header = try ConfigDecoding.decode(ConfigHeader.self, from: data, file: configURL.path)
        modelType = header.modelType
        bosTokenId = header.bosTokenId
        eosTokenIds = header.eosTokenIds
        padTokenId = header.padTokenId
        guard let name = header.architectures?.first ?? header.modelType else {
            throw FrontendError.missingKey(file: configURL.path, key: "architectures")
        }
        architecture = name
    }

    /// Path of a file in the directory, for error messages.
    public func path(_ file: String) -> String { url.appendingPathComponent(file).path }

    /// Checks that config.json's `modelType` is one the architecture is built from (`architectures` of that type).
    func requireArchitecture(in architectures: [String], modelType: String) throws {
        guard architectures.contains(architecture) else {
            throw FrontendError.badValue(file: path("config.json"), key: "model_type",
                                         reason: "'\(modelType)' does not match architecture \(architecture)")
        }
    }

    /// Decodes config.json as a recipe's typed config.
    public func config<T: Decodable>(_ type: T.Type) throws -> T {
        try ConfigDecoding.decode(type, from: configData, file: path("config.json"))
    }

    /// Sampling defaults and special ids of generation_config.json, when present.
    public func generationConfig() throws -> GenerationConfig? {
        let file = url.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try ConfigDecoding.decode(GenerationConfig.self, from: file)
    }

    /// Resolves `llmc compile`'s model argument: a directory, or a repo id found offline in the Hugging Face cache
    /// (`$HF_HOME/hub` or `~/.cache/huggingface/hub`, `models--ORG--NAME/snapshots/*`).
    public static func locate(_ argument: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: argument, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw FrontendError.modelNotFound(argument) }
            return URL(fileURLWithPath: argument)
        }
        let parts = argument.split(separator: "/")
        guard parts.count == 2 else { throw FrontendError.modelNotFound(argument) }
        let home = environment["HF_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache/huggingface")
        let snapshots = home.appendingPathComponent("hub/models--\(parts[0])--\(parts[1])/snapshots")
        let candidates = ((try? fm.contentsOfDirectory(atPath: snapshots.path)) ?? []).sorted()
        guard let snapshot = candidates.first(where: {
            fm.fileExists(atPath: snapshots.appendingPathComponent($0).appendingPathComponent("config.json").path)
        }) else { throw FrontendError.modelNotFound(argument) }
        return snapshots.appendingPathComponent(snapshot)
    }
}

/// The keys of config.json every model has.
private struct ConfigHeader: Decodable {
    var architectures: [String]?
    var modelType: String?
    var bosTokenId: Int?
    var eosTokenIds: [Int]
    var padTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case architectures, modelType = "model_type"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenIds = try c.intList(.eosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
    }
}

/// generation_config.json: special ids and sampling defaults.
public struct GenerationConfig: Decodable, Sendable {
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]
    public var padTokenId: Int?
    public var doSample: Bool
    public var temperature: Float?
    public var topK: Int?
    public var topP: Float?
    public var minP: Float?
    public var repetitionPenalty: Float?

    enum CodingKeys: String, CodingKey {
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
        case doSample = "do_sample", temperature, topK = "top_k", topP = "top_p", minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        eosTokenIds = try c.intList(.eosTokenId)
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId)
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample) ?? false
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        minP = try c.decodeIfPresent(Float.self, forKey: .minP)
        repetitionPenalty = try c.decodeIfPresent(Float.self, forKey: .repetitionPenalty)
    }
}
