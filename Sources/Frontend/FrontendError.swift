/// Everything that can be wrong with a model directory, each naming the file, tensor or key at fault.
public enum FrontendError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadable(file: String, reason: String)
    case badSafetensors(file: String, reason: String)
    case missingTensor(name: String, searched: String)
    case tensorShape(name: String, file: String, expected: [Int], found: [Int])
    case unsupportedDType(name: String, file: String, dtype: String)
    case missingKey(file: String, key: String)
    case badValue(file: String, key: String, reason: String)
    case unknownArchitecture(String, supported: [String])
    case modelNotFound(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "\(path): file not found"
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .badSafetensors(let file, let reason): "\(file): invalid safetensors: \(reason)"
        case .missingTensor(let name, let searched): "tensor '\(name)' not found in \(searched)"
        case .tensorShape(let name, let file, let expected, let found):
            "\(file): tensor '\(name)' has shape \(found), expected \(expected)"
        case .unsupportedDType(let name, let file, let dtype): "\(file): tensor '\(name)' has unsupported dtype \(dtype)"
        case .missingKey(let file, let key): "\(file): missing key '\(key)'"
        case .badValue(let file, let key, let reason): "\(file): bad value for '\(key)': \(reason)"
        case .unknownArchitecture(let name, let supported):
            "unknown architecture '\(name)'; supported: \(supported.joined(separator: ", "))"
        case .modelNotFound(let name):
            "model '\(name)' is neither a directory nor a repo id in the Hugging Face cache (HF_HOME or ~/.cache/huggingface)"
        }
    }
}
