import Codegen
import Foundation
import Frontend
import IR
import Passes

/// The whole compile: model directory → graph → passes → plans → LLVM module → object → executable + weight blob.
/// Writes the output atomically (temp file, then rename) and reports each stage.
struct ModelCompiler {
    var model: String
    var output: String
    var target: TargetSpec
    var precision: WeightPrecision
    var kvDtype: KVCacheFormat
    var maxBatch: Int
    /// --pooling / --normalize of a pooling model.
    var pooling = PoolingOverride()
    var progress: Progress

    /// What a finished compile reports (`--json`).
    struct Summary: Encodable {
        var output: String
        var architecture: String
        var family: String
        var target: String
        var dtype: String
        var kvDtype: String
        var lmHeadDtype: String
        var embedDtype: String
        var parameters: Int
        var kernels: Int
        var weightBytes: Int
        var arenaBytes: Int
        var seconds: Double
    }

    func run() throws -> Summary {
        let start = Date()
        progress.stage("reading model")
        let url = try ModelDirectory.locate(model)
        var directory = try ModelDirectory(url: url)
        directory.poolingOverride = pooling
        let recipe = try RecipeRegistry.recipe(for: directory)
        let checkpoint = try Checkpoint(directory: url)
        let generation = try directory.generationConfig()
        let tokenizer = try TokenizerSection.build(modelDirectory: url)

        progress.stage("building graph (\(directory.architecture), \(recipe.family))")
        let graph = Pipeline.standard.run(try recipe.build(directory, checkpoint: checkpoint))

        progress.stage("planning memory and weights")
        let plan = MemoryPlan(graph: graph, maxBatch: maxBatch)
        let weights = WeightPlan(graph: graph, precision: precision)
        let kvCache = try KVCacheLayout(graph: graph, format: kvDtype)
        let recurrentState = try RecurrentStateLayout(graph: graph)

        progress.stage("generating LLVM IR")
        let module = ModuleBuilder(name: directory.architecture)
        var emitter = ForwardEmitter(graph: graph, plan: plan, weights: weights, target: target, kvCache: kvCache,
                                     recurrentState: recurrentState)
        let kernels = try emitter.emit(into: module)

        let fm = FileManager.default
        let outputURL = URL(fileURLWithPath: output)
        let temp = outputURL.deletingLastPathComponent()
            .appendingPathComponent(".\(outputURL.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        let object = temp.path + ".o"
        defer {
            try? fm.removeItem(atPath: object)
            try? fm.removeItem(at: temp)
        }
        progress.stage("optimising (O3) and emitting object for \(target.name)")
        try ObjectEmitter(target: target).emitObject(module, to: object)

        progress.stage("linking with RuntimeLib")
        try Linker().link(object: object, cpu: target.cpu, output: temp.path)

        progress.stage("writing weights (\(precision.linear.rawValue), lm_head \(precision.lmHead.rawValue), embedding "
                       + "\(weights.tokenEmbedding?.rawValue ?? "none"), \(weights.totalBytes / 1_000_000) MB)")
        var facts = WeightBlob.Facts(
            vocabSize: graph.info.vocabSize, maxPosition: graph.info.maxPosition,
            bosId: generation?.bosTokenId ?? directory.bosTokenId ?? tokenizer?.bosId,
            padId: generation?.padTokenId ?? directory.padTokenId,
            eosIds: [generation?.eosTokenIds, directory.eosTokenIds, tokenizer?.eosIds].compactMap { $0 }.first { !$0.isEmpty } ?? [])
        if let generation, generation.doSample {
            facts.temperature = generation.temperature ?? 1
            facts.topK = generation.topK ?? 50
            facts.topP = generation.topP ?? 1
            facts.minP = generation.minP ?? 0
        }
        facts.repetitionPenalty = generation?.repetitionPenalty ?? 1
        let info = try infoJSON(directory: directory, family: recipe.family, graph: graph, weights: weights, kernels: kernels)
        let blob = WeightBlob(plan: weights, facts: facts, info: info, tokenizer: tokenizer?.bytes ?? [])
        try blob.append(to: temp.path, materialize: checkpoint.materialize) { done, total in
            progress.fraction(done, total)
        }
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temp.path)
        if fm.fileExists(atPath: output) { try fm.removeItem(atPath: output) }
        try fm.moveItem(at: temp, to: outputURL)
        let seconds = Date().timeIntervalSince(start)
        progress.done("wrote \(output) in \(String(format: "%.1f", seconds)) s")
        return Summary(output: output, architecture: directory.architecture, family: recipe.family, target: target.name,
                       dtype: precision.linear.rawValue, kvDtype: kvDtype.rawValue, lmHeadDtype: precision.lmHead.rawValue,
                       embedDtype: weights.tokenEmbedding?.rawValue ?? "none", parameters: graph.parameterCount, kernels: kernels,
                       weightBytes: weights.totalBytes, arenaBytes: plan.arenaBytes, seconds: seconds)
    }

    /// The JSON the produced binary prints for `info`: model facts and the tensor table.
    private func infoJSON(directory: ModelDirectory, family: String, graph: Graph, weights: WeightPlan, kernels: Int) throws -> Data {
        struct Tensor: Encodable {
            var name: String
            var shape: [Int]
            var layout: String
            var offset: Int
            var bytes: Int
        }
        struct Info: Encodable {
            var architecture: String
            var family: String
            var dtype: String
            var kv_dtype: String
            var lm_head_dtype: String
            var embed_dtype: String
            var target: String
            var cpu: String
            var parameters: Int
            var vocab_size: Int
            var hidden_size: Int
            var layers: Int
            var max_position: Int
            var max_batch: Int
            var kernels: Int
            /// Task, pooling, normalize, labels of a pooling model (read by the runtime's embed/classify/score).
            var pooling: PoolingInfo?
            var tensors: [Tensor]
        }
        let tensors = weights.weights.map { planned in
            let layout = switch planned.layout {
            case .matmul(let f): "matmul-\(f.rawValue)"
            case .embeddingRows(let f): "rows-\(f.rawValue)"
            case .vector: "f32"
            }
            return Tensor(name: planned.weight.transform.description, shape: planned.weight.shape, layout: layout,
                          offset: planned.offset, bytes: planned.bytes)
        }
        let info = Info(architecture: directory.architecture, family: family, dtype: precision.linear.rawValue,
                        kv_dtype: kvDtype.rawValue, lm_head_dtype: precision.lmHead.rawValue,
                        embed_dtype: weights.tokenEmbedding?.rawValue ?? "none", target: target.name,
                        cpu: target.cpu, parameters: graph.parameterCount, vocab_size: graph.info.vocabSize,
                        hidden_size: graph.info.hiddenSize, layers: graph.info.layers, max_position: graph.info.maxPosition,
                        max_batch: maxBatch, kernels: kernels, pooling: graph.info.pooling, tensors: tensors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(info)
    }
}

/// Stage-by-stage progress on stderr (silent with `--quiet`).
struct Progress {
    var quiet: Bool
    private let start = Date()

    init(quiet: Bool) { self.quiet = quiet }

    func stage(_ text: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data(String(format: "[%6.2fs] %@\n", Date().timeIntervalSince(start), text).utf8))
    }

    func fraction(_ done: Int, _ total: Int) {
        guard !quiet, total > 0, done == total || done % max(1, total / 10) == 0 else { return }
        FileHandle.standardError.write(Data("          \(done * 100 / total)% (\(done)/\(total) tensors)\n".utf8))
    }

    func done(_ text: String) { stage(text) }
}
