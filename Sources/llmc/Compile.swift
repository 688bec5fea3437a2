import ArgumentParser
import Codegen
import Foundation
import Frontend
import IR

/// `llmc compile <model> -o OUT`: one standalone executable for one model.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile a Hugging Face model into a standalone executable.")

    @Argument(help: "A Hugging Face model directory, or a repo id (ORG/NAME) in the offline Hugging Face cache.")
    var model: String

    @Option(name: .shortAndLong, help: "Path of the executable to write (written atomically).")
    var output: String

    @Option(help: "Instruction set: \(TargetSpec.knownNames.joined(separator: ", ")).")
    var target = "x86-64-avx512"

    @Option(help: "Weight precision: \(Self.formatList).")
    var dtype = "f32"

    @Option(help: "KV cache precision: \(KVCacheFormat.allCases.map(\.rawValue).joined(separator: ", ")) (int8: one scale per position and kv head).")
    var kvDtype = "f32"

    @Option(help: "Precision of the MLP down projections: \(Self.formatList) (default: --dtype; bf16 under int8).")
    var downProjDtype: String?

    @Option(help: "Precision of the output projection (lm_head): \(Self.formatList) (default: --dtype; int8 under int4).")
    var lmHeadDtype: String?

    @Option(help: "Precision of the token embedding table: \(Self.formatList) (default: --dtype; int8 under int4).")
    var embedDtype: String?

    @Option(help: "Most tokens one forward call processes (longer prompts are prefilled in chunks).")
    var maxBatch = 512

    @Option(help: "Pooling of an embedding model: \(PoolingKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: the model's sentence-transformers files, else the architecture's).")
    var pooling: String?

    @Option(help: "L2-normalise pooled embeddings: true or false (default: as --pooling's source says).")
    var normalize: String?

    @Option(help: "STEP pooling (process reward models): the token id that ends a step (default: every token).")
    var stepTagId: Int?

    @Option(help: "STEP pooling over LM logits: comma-separated token ids whose probabilities form a step's reward.")
    var returnedTokenIds: String?

    @Flag(help: "Print a JSON summary on stdout instead of the human-readable line.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    /// Every weight precision `--dtype` accepts.
    static let formats = WeightFormat.allCases + WeightFormat.quantizedCases
    private static var formatList: String { formats.map(\.rawValue).joined(separator: ", ") }

    /// The format named by `value`, or a one-line error naming `option` and the accepted values.
    static func format(_ value: String, option: String) throws -> WeightFormat {
        guard let format = WeightFormat(rawValue: value), formats.contains(format) else {
            throw ValidationError("unknown \(option) '\(value)'; expected one of \(formatList)")
        }
        return format
    }

    /// The per-tensor precision the options ask for.
    func precision() throws -> WeightPrecision {
        WeightPrecision(dtype: try Self.format(dtype, option: "--dtype"),
                        mlpDown: try downProjDtype.map { try Self.format($0, option: "--down-proj-dtype") },
                        lmHead: try lmHeadDtype.map { try Self.format($0, option: "--lm-head-dtype") },
                        embedding: try embedDtype.map { try Self.format($0, option: "--embed-dtype") })
    }

    func validate() throws {
        guard TargetSpec.knownNames.contains(target) else {
            throw ValidationError("unknown --target '\(target)'; expected one of \(TargetSpec.knownNames.joined(separator: ", "))")
        }
        guard KVCacheFormat(rawValue: kvDtype) != nil else {
            throw ValidationError("unknown --kv-dtype '\(kvDtype)'; expected one of \(KVCacheFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...8192).contains(maxBatch) else { throw ValidationError("--max-batch must be between 1 and 8192") }
        _ = try poolingOverride()
    }

    /// --pooling and --normalize, checked.
    func poolingOverride() throws -> PoolingOverride {
        var override = PoolingOverride()
        if let pooling {
            guard let kind = PoolingKind(rawValue: pooling) else {
                throw ValidationError("unknown --pooling '\(pooling)'; expected one of \(PoolingKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            override.pooling = kind
        }
        if let normalize {
            guard let value = Bool(normalize) else { throw ValidationError("--normalize expects true or false, got '\(normalize)'") }
            override.normalize = value
        }
        override.stepTagID = stepTagId
        if let returnedTokenIds {
            let ids = returnedTokenIds.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw ValidationError("--returned-token-ids expects comma-separated token ids, got '\(returnedTokenIds)'")
            }
            override.returnedTokenIDs = ids.compactMap { $0 }
        }
        return override
    }

    func run() throws {
        try reportingErrors {
            let compiler = ModelCompiler(
                model: model, output: output, target: try TargetSpec.named(target),
                precision: try precision(),
                kvDtype: KVCacheFormat(rawValue: kvDtype) ?? .f32, maxBatch: maxBatch, pooling: try poolingOverride(),
                progress: Progress(quiet: quiet || json))
            let summary = try compiler.run()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print("\(summary.output): \(summary.architecture), \(summary.parameters) parameters, \(summary.dtype), KV \(summary.kvDtype), \(summary.target), \(summary.kernels) kernels")
            }
        }
    }
}
