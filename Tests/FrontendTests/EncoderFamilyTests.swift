import Foundation
import XCTest
@testable import Frontend
import IR

/// Family L (encoders): every corpus case builds with the checkpoint's parameter count and its graph, run by
/// `ReferenceEvaluator` on the first (unpadded) sequence, reproduces transformers' last hidden state, pooled vector and
/// logits; ModernBERT's local window must matter; config defaults and errors naming the key.
final class EncoderFamilyTests: XCTestCase {
    private struct Expected: Decodable {
        var family: String
        var inputIds: [[Int]]?
        var tokenTypeIds: [[Int]]?
        var lastHiddenState: [[Double]]?
        var pooled: [Double]?
        var pooling: String?
        var normalize: Bool?
        var logits: [[Double]]?
        var tokenLogits: [[Double]]?
        enum CodingKeys: String, CodingKey {
            case family, pooled, pooling, normalize, logits
            case inputIds = "input_ids", tokenTypeIds = "token_type_ids", lastHiddenState = "last_hidden_state"
            case tokenLogits = "token_logits"
        }
    }

    private func familyL() throws -> [(name: String, dir: URL, expected: Expected)] {
        let corpus = LayerNormFamilyTests.corpus
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().compactMap { name in
            let dir = corpus.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent("expected.json").path) else { return nil }
            let expected = try decoder.decode(Expected.self, from: data)
            return expected.family == "L" ? (name, dir, expected) : nil
        }
    }


    /// The graph's outputs for the first sequence of a case.
    private func outputs(_ graph: Graph, _ checkpoint: Checkpoint, _ e: Expected) throws -> [(String, [Double], [Double])] {
        let tokens = try XCTUnwrap(e.inputIds?.first)
        let values = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).values(tokens: tokens, tokenTypes: e.tokenTypeIds?.first)
        let p = try XCTUnwrap(graph.pooling)
        var pairs: [(String, [Double], [Double])] = []
        if let hidden = p.hidden, let expected = e.lastHiddenState { pairs.append(("hidden", values[hidden.index], expected.flatMap { $0 })) }
        if let pooled = p.pooled, let expected = e.pooled { pairs.append(("pooled", values[pooled.index], expected)) }
        if let logits = p.sequenceLogits, let expected = e.logits?.first { pairs.append(("logits", values[logits.index], expected)) }
        if let logits = p.tokenLogits, let expected = e.tokenLogits {
            pairs.append(("token logits", values[logits.index], expected.flatMap { $0 }))
        }
        return pairs
    }

    func testCorpusCasesMatchTransformers() throws {
        let cases = try familyL()
        XCTAssertEqual(cases.count, 13, "family L corpus cases")
        for (name, dir, expected) in cases {
            var model = try ModelDirectory(url: dir)
            // The pooling transformers' outputs were pooled with (conformance passes it as --pooling/--normalize).
            model.poolingOverride = PoolingOverride(pooling: expected.pooling.flatMap(PoolingKind.init(rawValue:)),
                                                    normalize: expected.normalize)
            let checkpoint = try Checkpoint(directory: dir)
            let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
            // Every stored tensor is used once, except the pooler of a checkpoint serving as an embedder.
            let pooler = graph.nodes.contains { $0.name.hasSuffix("pooler.dense") }
            let used = checkpoint.tensorNames.filter { pooler || !$0.contains("pooler.") }
            XCTAssertEqual(graph.parameterCount, try used.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }, name)
            let compared = try outputs(graph, checkpoint, expected)
            XCTAssertGreaterThanOrEqual(compared.count, 2, name)
            for (what, produced, reference) in compared {
                XCTAssertEqual(produced.count, reference.count, "\(name) \(what)")
                XCTAssertLessThan(nmse(produced, reference), 1e-9, "\(name) \(what) NMSE")
            }
        }
    }

    /// Without its symmetric window ModernBERT's local layers see every key, and the hidden states move.
    func testModernBertWindowMatters() throws {
        let (_, dir, expected) = try XCTUnwrap(try familyL().first { $0.name == "modernbert_model" })
        let model = try ModelDirectory(url: dir)
        let checkpoint = try Checkpoint(directory: dir)
        var graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
        let windows = graph.nodes.compactMap { node -> Int? in
            if case .attention(_, _, _, let spec) = node.op { spec.window } else { nil }
        }
        XCTAssertEqual(windows, [5, 5], "local_attention 8: keys at most 4 away, in layers 1 and 2")
        graph.nodes = graph.nodes.map { node in
            guard case .attention(let q, let k, let v, var spec) = node.op else { return node }
            spec.window = nil
            return Node(op: .attention(q: q, k: k, v: v, spec), type: node.type, name: node.name)
        }
        let hidden = try XCTUnwrap(try outputs(graph, checkpoint, expected).first { $0.0 == "hidden" })
        XCTAssertGreaterThan(nmse(hidden.1, hidden.2), 1e-4)
    }

    /// nomic-embed-text's own config.json spelling (the remote NomicBertConfig) of the corpus model reads as the same
    /// model and reproduces transformers' outputs.
    func testNomicBertOwnConfigSpelling() throws {
        let (_, dir, expected) = try XCTUnwrap(try familyL().first { $0.name == "nomic_bert_model" })
        let copy = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: dir.appendingPathComponent("model.safetensors"),
                                         to: copy.appendingPathComponent("model.safetensors"))
        let config = """
            {"architectures":["NomicBertModel"],"model_type":"nomic_bert","activation_function":"swiglu","n_embd":32,
             "n_head":2,"n_inner":64,"n_layer":2,"n_positions":8192,"max_trained_positions":64,"layer_norm_epsilon":1e-12,
             "rotary_emb_base":1000,"rotary_emb_fraction":1.0,"rotary_emb_interleaved":false,"rotary_emb_scale_base":null,
             "rotary_scaling_factor":null,"qkv_proj_bias":false,"mlp_fc1_bias":false,"mlp_fc2_bias":false,"prenorm":false,
             "parallel_block":false,"causal":false,"use_rms_norm":false,"type_vocab_size":2,"vocab_size":256,"pad_token_id":0}
            """
        try Data(config.utf8).write(to: copy.appendingPathComponent("config.json"))
        var model = try ModelDirectory(url: copy)
        model.poolingOverride = PoolingOverride(pooling: .mean, normalize: true)
        let checkpoint = try Checkpoint(directory: copy)
        let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
        XCTAssertEqual(graph.info.pooling?.maxTokens, 64, "max_trained_positions")
        for (what, produced, reference) in try outputs(graph, checkpoint, expected) {
            XCTAssertLessThan(nmse(produced, reference), 1e-9, what)
        }
    }

    // MARK: - Config decoding

    private func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try ConfigDecoding.decode(T.self, from: Data(json.utf8), file: "config.json")
    }

    private let dims = #""vocab_size":100,"hidden_size":32,"num_hidden_layers":4,"num_attention_heads":2,"intermediate_size":48"#

    func testModernBertDefaults() throws {
        let c = try decode(ModernBertConfig.self, "{\(dims),\"global_rope_theta\":5000,\"local_attention\":64}")
        XCTAssertEqual(c.layerTypes, [.full, .sliding, .sliding, .full], "global_attn_every_n_layers defaults to 3")
        XCTAssertEqual(c.window, 33)
        XCTAssertEqual(c.rope.full, RopeConfig(theta: 5000, scaling: .none))
        XCTAssertEqual(c.rope.sliding, RopeConfig(theta: 10000, scaling: .none))
        XCTAssertEqual(c.normEps, 1e-5)
        XCTAssertFalse(c.normBias || c.mlpBias || c.attentionBias || c.classifierBias)
        XCTAssertEqual(c.activation, .gelu)
        let every2 = try decode(ModernBertConfig.self, "{\(dims),\"global_attn_every_n_layers\":2}")
        XCTAssertEqual(every2.layerTypes, [.full, .sliding, .full, .sliding])
        XCTAssertEqual(every2.window, 65)
    }

    func testRotaryEncoderDefaults() throws {
        let nomic = try decode(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"nomic_bert\"}")
        XCTAssertEqual(nomic.layout, .nomic)
        XCTAssertEqual(nomic.activation, .silu)
        XCTAssertEqual(nomic.rope, RopeConfig(theta: 1000, scaling: .none))
        XCTAssertEqual(nomic.typeVocabSize, 2)
        let gte = try decode(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"new\",\"rope_theta\":20000,\"type_vocab_size\":0}")
        XCTAssertEqual(gte.layout, .gte)
        XCTAssertEqual(gte.activation, .gelu)
        XCTAssertEqual(gte.rope, RopeConfig(theta: 20000, scaling: .none))
        XCTAssertEqual(gte.typeVocabSize, 0)
        XCTAssertEqual(gte.headDim, 16)
    }

    func testErrorsNameTheKey() {
        func fails<T: Decodable>(_ type: T.Type, _ json: String, naming key: String, line: UInt = #line) {
            XCTAssertThrowsError(try decode(type, json), key, line: line) { XCTAssertTrue("\($0)".contains(key), "\($0)", line: line) }
        }
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"new\",\"pack_qkv\":false}", naming: "pack_qkv")
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"new\",\"logn_attention_scale\":true}", naming: "logn_attention_scale")
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"new\",\"layer_norm_type\":\"rms_norm\"}", naming: "layer_norm_type")
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"new\",\"position_embedding_type\":\"absolute\"}",
              naming: "position_embedding_type")
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"gte\",\"type_vocab_size\":-1}", naming: "type_vocab_size")
        fails(RotaryEncoderConfig.self, "{\(dims),\"model_type\":\"nomic_bert\",\"hidden_act\":\"swish2\"}", naming: "hidden_act")
        fails(RotaryEncoderConfig.self, #"{"vocab_size":10,"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":3,"intermediate_size":8}"#,
              naming: "num_attention_heads")
        let nomic = #""model_type":"nomic_bert","n_embd":32,"n_head":2,"n_inner":64,"n_layer":2,"vocab_size":10"#
        let unbiased = #""qkv_proj_bias":false,"mlp_fc1_bias":false,"mlp_fc2_bias":false,"rotary_emb_fraction":1"#
        fails(RotaryEncoderConfig.self, "{\(nomic)}", naming: "qkv_proj_bias")
        fails(RotaryEncoderConfig.self, "{\(nomic),\(unbiased),\"activation_function\":\"gelu\"}", naming: "activation_function")
        fails(RotaryEncoderConfig.self, "{\(nomic),\(unbiased),\"rotary_scaling_factor\":2}", naming: "rotary_scaling_factor")
        fails(RotaryEncoderConfig.self, "{\(nomic),\(unbiased),\"prenorm\":true}", naming: "prenorm")
        fails(RotaryEncoderConfig.self, "{\(nomic),\"qkv_proj_bias\":false,\"mlp_fc1_bias\":false,\"mlp_fc2_bias\":false}",
              naming: "rotary_emb_fraction")
        XCTAssertNoThrow(try decode(RotaryEncoderConfig.self, "{\(nomic),\(unbiased)}"))
        fails(ModernBertConfig.self, "{\(dims),\"layer_types\":[\"full_attention\"]}", naming: "layer_types")
        fails(ModernBertConfig.self, "{\(dims),\"local_attention\":0}", naming: "local_attention")
        fails(ModernBertConfig.self, "{\(dims),\"classifier_activation\":\"swish2\"}", naming: "classifier_activation")
        fails(ModernBertConfig.self, #"{"vocab_size":100,"hidden_size":32}"#, naming: "num_hidden_layers")
    }
}
