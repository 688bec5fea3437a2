import Foundation
import XCTest
@testable import Frontend
import IR

/// Families D, E, F, G (LayerNorm decoders): every corpus case builds with the checkpoint's parameter count and its
/// graph, run by `ReferenceEvaluator`, reproduces transformers' last-position logits; config defaults and errors.
final class LayerNormFamilyTests: XCTestCase {
    static let corpus = GoldenModels.root.deletingLastPathComponent().appendingPathComponent("corpus")


    private struct Expected: Decodable {
        var family: String
        var task: String
        /// Generative cases only.
        var promptIds: [Int]?
        var lastLogits: [Double]?
        enum CodingKeys: String, CodingKey {
            case family, task, promptIds = "prompt_ids", lastLogits = "last_logits"
        }
    }

    private func corpusCases() throws -> [(name: String, dir: URL, prompt: [Int], logits: [Double])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        return try names.compactMap { name in
            let dir = Self.corpus.appendingPathComponent(name)
            let file = dir.appendingPathComponent("expected.json")
            guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
            // expected.json may hold bare Infinity (e.g. a recorded drift), which only JSON5 parsing accepts.
            let decoder = JSONDecoder()
            decoder.allowsJSON5 = true
            let expected = try decoder.decode(Expected.self, from: data)
            guard ["D", "E", "F", "G"].contains(expected.family), expected.task == "generate",
                  let prompt = expected.promptIds, let logits = expected.lastLogits else { return nil }
            return (name, dir, prompt, logits)
        }
    }

    func testCorpusCasesMatchTransformers() throws {
        let cases = try corpusCases()
        XCTAssertEqual(cases.count, 23, "families D, E, F, G generative corpus cases")
        for (name, dir, prompt, expectedLogits) in cases {
            let model = try ModelDirectory(url: dir)
            let checkpoint = try Checkpoint(directory: dir)
            let recipe = try RecipeRegistry.recipe(for: model)
            var graph = try recipe.build(model, checkpoint: checkpoint)
            let stored = try checkpoint.tensorNames.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
            XCTAssertEqual(graph.parameterCount, stored, name)
            let logits = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: prompt)
            XCTAssertEqual(logits.count, expectedLogits.count, name)
            let nmse = squaredDistance(logits, expectedLogits) / squaredDistance(expectedLogits, expectedLogits.map { _ in 0 })
            XCTAssertLessThan(nmse, 1e-8, "\(name): last-position logits NMSE")
            XCTAssertEqual(argmax(logits), argmax(expectedLogits), name)
            // Where a case clamps q/k/v (clip_qkv), the clamp must bite: without it the logits move.
            if graph.nodes.contains(where: { if case .unary(_, .clamp) = $0.op { true } else { false } }) {
                graph.nodes = graph.nodes.map(removingClamp)
                let unclamped = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: prompt)
                XCTAssertGreaterThan(squaredDistance(unclamped, expectedLogits), 1e-4, name)
            }
        }
    }

    private func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    private func argmax(_ values: [Double]) -> Int? { values.indices.max { values[$0] < values[$1] } }

    private func removingClamp(_ node: Node) -> Node {
        guard case .unary(let x, .clamp) = node.op else { return node }
        return Node(op: .scale(x, 1), type: node.type, name: node.name)
    }

    /// Checkpoints saved from the base model (no `transformer.` / `model.` prefix, as the original GPT-2, BLOOM and OPT
    /// releases) give the same logits.
    func testBaseModelCheckpointsWithoutPrefix() throws {
        for (name, prefix) in [("gpt2_lm_head_model", "transformer."), ("bloom_for_causal_lm", "transformer."),
                               ("opt_for_causal_lm", "model.")] {
            let source = Self.corpus.appendingPathComponent(name)
            let checkpoint = try Checkpoint(directory: source)
            let dir = try SafetensorsFixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
            let tensors = try checkpoint.tensorNames.map { tensor in
                SafetensorsFixture.Tensor(name: tensor.hasPrefix(prefix) ? String(tensor.dropFirst(prefix.count)) : tensor,
                                          shape: try checkpoint.shape(of: tensor), values: try checkpoint.floats(tensor))
            }
            XCTAssertTrue(tensors.allSatisfy { !$0.name.hasPrefix(prefix) }, name)
            try SafetensorsFixture.bytes(tensors).write(to: dir.appendingPathComponent("model.safetensors"))
            func logits(_ url: URL) throws -> [Double] {
                let model = try ModelDirectory(url: url)
                let checkpoint = try Checkpoint(directory: url)
                let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
                return try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: [3, 14, 15, 92, 65])
            }
            XCTAssertEqual(try logits(dir), try logits(source), name)
        }
    }

    // MARK: - Config decoding (defaults as transformers' config classes have them)

    private func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try ConfigDecoding.decode(type, from: Data(json.utf8), file: "config.json")
    }

    private let sizes = #""hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100"#

    func testModelTypeDefaults() throws {
        let stablelm = try decode(LayerNormDecoderConfig.self, #"{"model_type":"stablelm",\#(sizes)}"#)
        XCTAssertEqual(stablelm.rope, PartialRope(rope: RopeConfig(theta: 10000, scaling: .none), factor: 0.25))
        XCTAssertEqual(stablelm.rope.rotaryDim(headDim: stablelm.headDim), 4)
        XCTAssertEqual(stablelm.activation, .silu)
        XCTAssertEqual([stablelm.qkvBias, stablelm.outputBias, stablelm.mlpBias, stablelm.parallelResidual], [false, false, false, false])

        let starcoder = try decode(LayerNormDecoderConfig.self, #"{"model_type":"starcoder2","norm_epsilon":0.001,"sliding_window":8,\#(sizes)}"#)
        XCTAssertEqual(starcoder.normEps, 0.001)
        XCTAssertEqual(starcoder.activation, .geluTanh)
        XCTAssertEqual([starcoder.qkvBias, starcoder.outputBias, starcoder.mlpBias, starcoder.tiedEmbeddings], [true, true, true, true])
        XCTAssertEqual(starcoder.layerWindows, [8, 8])

        let persimmon = try decode(LayerNormDecoderConfig.self, #"{"model_type":"persimmon",\#(sizes)}"#)
        XCTAssertEqual([persimmon.qkNorm, persimmon.qkvBias, persimmon.mlpBias], [true, true, true])
        XCTAssertEqual(persimmon.activation, .reluSquared)
        XCTAssertEqual(persimmon.rope.factor, 0.5)

        let nemotron = try decode(LayerNormDecoderConfig.self, #"{"model_type":"nemotron","head_dim":32,"num_key_value_heads":2,\#(sizes)}"#)
        XCTAssertEqual([nemotron.headDim, nemotron.kvHeads], [32, 2])
        XCTAssertEqual([nemotron.qkvBias, nemotron.mlpBias], [false, false])

        let jais = try decode(LayerNormDecoderConfig.self, #"{"model_type":"jais2",\#(sizes)}"#)
        XCTAssertEqual([jais.qkvBias, jais.outputBias, jais.mlpBias], [true, true, true])

        let cohere = try decode(LayerNormDecoderConfig.self, #"{"model_type":"cohere",\#(sizes)}"#)
        XCTAssertEqual(cohere.rope.rope.theta, 500000)
        XCTAssertEqual(cohere.logitScale, 0.0625)
        XCTAssertTrue(cohere.parallelResidual && cohere.tiedEmbeddings)

        let cohere2 = try decode(LayerNormDecoderConfig.self, #"{"model_type":"cohere2","num_hidden_layers":5,"hidden_size":64,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100}"#)
        XCTAssertEqual(cohere2.layerWindows, [4096, 4096, 4096, nil, 4096])
        XCTAssertEqual(cohere2.layerRope, [true, true, true, false, true])
    }

    func testRopePrecedence() throws {
        // GPT-NeoX reads rotary_pct / rotary_emb_base; a top-level rope_theta is not its key.
        let neox = try decode(LayerNormDecoderConfig.self, #"{"model_type":"gpt_neox","rotary_pct":0.5,"rotary_emb_base":500,"rope_theta":7,\#(sizes)}"#)
        XCTAssertEqual(neox.rope, PartialRope(rope: RopeConfig(theta: 500, scaling: .none), factor: 0.5))
        XCTAssertEqual(neox.parallelResidual, true)
        // rope_parameters wins over top-level keys.
        let phi = try decode(LayerNormDecoderConfig.self,
                             #"{"model_type":"phi","partial_rotary_factor":0.25,"rope_parameters":{"rope_type":"linear","factor":2,"rope_theta":100,"partial_rotary_factor":0.75},\#(sizes)}"#)
        XCTAssertEqual(phi.rope, PartialRope(rope: RopeConfig(theta: 100, scaling: .linear(factor: 2)), factor: 0.75))
        let legacy = try decode(LayerNormDecoderConfig.self, #"{"model_type":"phi","partial_rotary_factor":0.25,"rope_theta":99,\#(sizes)}"#)
        XCTAssertEqual(legacy.rope, PartialRope(rope: RopeConfig(theta: 99, scaling: .none), factor: 0.25))
    }

    func testErrorsNameTheKey() {
        func fails<T: Decodable>(_ type: T.Type, _ json: String, naming key: String) {
            XCTAssertThrowsError(try decode(type, json)) { XCTAssertTrue("\($0)".contains("'\(key)'"), "\($0)") }
        }
        fails(LayerNormDecoderConfig.self, #"{"model_type":"llama",\#(sizes)}"#, naming: "model_type")
        fails(LayerNormDecoderConfig.self, #"{"model_type":"stablelm","num_key_value_heads":3,\#(sizes)}"#, naming: "num_key_value_heads")
        fails(LayerNormDecoderConfig.self, #"{"model_type":"stablelm","hidden_act":"quick_gelu",\#(sizes)}"#, naming: "hidden_act")
        fails(LayerNormDecoderConfig.self, #"{"model_type":"phi","partial_rotary_factor":0.1,\#(sizes)}"#, naming: "partial_rotary_factor")
        fails(LayerNormDecoderConfig.self, #"{"model_type":"olmo","clip_qkv":-8,\#(sizes)}"#, naming: "clip_qkv")
        fails(LayerNormDecoderConfig.self, #"{"model_type":"starcoder2","num_hidden_layers":2}"#, naming: "hidden_size")
        fails(GPTConfig.self, #"{"model_type":"gptj","n_embd":64,"n_layer":2,"n_head":4,"vocab_size":10,"rotary_dim":7}"#, naming: "rotary_dim")
        fails(FalconConfig.self, #"{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"new_decoder_architecture":true,"parallel_attn":false}"#,
              naming: "parallel_attn")
        fails(MPTConfig.self, #"{"d_model":64,"n_layers":2,"n_heads":4,"vocab_size":10,"attn_config":{"clip_qkv":-6}}"#, naming: "attn_config.clip_qkv")
    }

    func testGPTStyleConfigs() throws {
        let gptj = try decode(GPTConfig.self, #"{"model_type":"gptj","n_embd":64,"n_layer":2,"n_head":4,"vocab_size":10,"rotary_dim":null}"#)
        XCTAssertEqual([gptj.rotaryDim, gptj.intermediateSize, gptj.maxPosition], [16, 256, 2048])
        XCTAssertFalse(gptj.tiedEmbeddings)
        let bigcode = try decode(GPTConfig.self, #"{"model_type":"gpt_bigcode","hidden_size":64,"n_layer":2,"n_head":4,"vocab_size":10}"#)
        XCTAssertTrue(bigcode.multiQuery && bigcode.tiedEmbeddings)
        XCTAssertEqual(bigcode.activation, .geluTanh)
        let falcon = try decode(FalconConfig.self, #"{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10}"#)
        XCTAssertEqual(falcon.block, .parallelSharedNorm)
        XCTAssertEqual([falcon.kvHeads, falcon.intermediateSize], [1, 256])
        let falcon40 = try decode(FalconConfig.self, #"{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_kv_heads":2,"vocab_size":10,"new_decoder_architecture":true}"#)
        XCTAssertEqual(falcon40.block, .parallelTwoNorms)
        XCTAssertEqual(falcon40.kvHeads, 2)
        let opt = try decode(OPTConfig.self, #"{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"ffn_dim":128,"vocab_size":10,"do_layer_norm_before":false,"word_embed_proj_dim":32}"#)
        XCTAssertFalse(opt.layerNormBefore || opt.finalLayerNorm)
        XCTAssertEqual(opt.embeddingSize, 32)
        let bloom = try decode(BloomConfig.self, #"{"n_embed":32,"hidden_size":64,"n_layer":2,"n_head":4,"vocab_size":10}"#)
        XCTAssertEqual(bloom.hiddenSize, 32)
    }

    // MARK: - Fused projections and ALiBi

    func testFusedQKVRows() {
        // Falcon-40B: view(kv, heads/kv + 2, head_dim); 4 query heads, 2 kv heads of 2 dims.
        XCTAssertEqual(FusedQKVLayout.grouped.rows(heads: 4, kvHeads: 2, headDim: 2), [[0..<4, 8..<12], [4..<6, 12..<14], [6..<8, 14..<16]])
        // BLOOM / GPT-NeoX: per head [q, k, v].
        XCTAssertEqual(FusedQKVLayout.grouped.rows(heads: 2, kvHeads: 2, headDim: 3), [[0..<3, 9..<12], [3..<6, 12..<15], [6..<9, 15..<18]])
        // One kv head: the grouped layout is [q | k | v].
        XCTAssertEqual(FusedQKVLayout.grouped.rows(heads: 4, kvHeads: 1, headDim: 2), [[0..<8], [8..<10], [10..<12]])
        XCTAssertEqual(FusedQKVLayout.stacked.rows(heads: 2, kvHeads: 2, headDim: 2), [[0..<4], [4..<8], [8..<12]])
    }

    func testAlibiSlopesMatchTransformers() {
        // transformers' _get_alibi_slopes (BLOOM, Falcon) and build_mpt_alibi_tensor, printed in f32.
        XCTAssertEqual(AlibiSlopes.bloom(heads: 4), [0.25, 0.0625, 0.015625, 0.00390625])
        XCTAssertEqual(AlibiSlopes.bloom(heads: 6), [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
        let twelve: [Float] = [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625,
                               0.7071067690849304, 0.3535533845424652, 0.1767766773700714, 0.0883883386850357]
        for (slope, expected) in zip(AlibiSlopes.bloom(heads: 12), twelve) { XCTAssertEqual(slope, expected, accuracy: expected * 1e-6) }
        XCTAssertEqual(AlibiSlopes.mpt(heads: 4, maxBias: 8), [0.25, 0.0625, 0.015625, 0.00390625])
        XCTAssertEqual(AlibiSlopes.mpt(heads: 6, maxBias: 8), [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
        XCTAssertEqual(AlibiSlopes.mpt(heads: 12, maxBias: 16), [0.25, 0.0625, 0.015625, 0.00390625, 0.0009765625, 0.000244140625,
                                                                   6.103515625e-05, 1.52587890625e-05, 0.5, 0.125, 0.03125, 0.0078125])
    }
}
