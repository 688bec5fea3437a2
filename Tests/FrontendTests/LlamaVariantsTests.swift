import Foundation
import XCTest
@testable import Frontend
import IR

/// Every family-A generative case of the golden corpus (tiny transformers-made models, emulated rows under their
/// vendors' names): the Llama recipe's graph, run by `ReferenceEvaluator` (f64, no kernels), reproduces transformers'
/// last-position logits, reads every stored tensor once, and puts each architecture's knob on the right nodes.
final class LlamaVariantsTests: XCTestCase {
    private static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/corpus")

    private struct Expected: Decodable {
        var family: String
        var task: String
        var architecture: String
        var promptIds: [Int]?
        var lastLogits: [Double]?
        enum CodingKeys: String, CodingKey {
            case family, task, architecture, promptIds = "prompt_ids", lastLogits = "last_logits"
        }
    }

    /// Stored tensors that are not weight references: MiMo's multi-token-prediction layers and ChatGLM's rotary buffer
    /// (unused), Apertus' xIELU scalars (folded into the activation op as constants).
    private static let notWeights = ["mimo_for_causal_lm": "model.mtp_layers.", "chatglm_model": "transformer.rotary_pos_emb.",
                                     "apertus_for_causal_lm": ".mlp.act_fn."]

    private func cases() throws -> [(name: String, url: URL, expected: Expected)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        return try names.compactMap { name in
            let url = Self.corpus.appendingPathComponent(name)
            let file = url.appendingPathComponent("expected.json")
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: file))
            guard expected.family == "A", expected.task == "generate",
                  LlamaRecipe.architectures.contains(expected.architecture) else { return nil }
            return (name, url, expected)
        }
    }

    private func build(_ url: URL) throws -> Graph {
        let model = try ModelDirectory(url: url)
        return try LlamaRecipe.build(model, checkpoint: try Checkpoint(directory: url))
    }

    /// The last-position logits NMSE of the graph against transformers, checking the parameter count on the way.
    private func nmse(_ name: String, _ url: URL, _ expected: Expected) throws -> Double {
        let graph = try build(url)
        let checkpoint = try Checkpoint(directory: url)
        let stored = try checkpoint.tensorNames.filter { !$0.contains(Self.notWeights[name] ?? "\u{0}") }
            .reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
        XCTAssertEqual(graph.parameterCount, stored, "\(name): every stored tensor read once")
        guard let prompt = expected.promptIds, let want = expected.lastLogits else {
            XCTFail("\(name): no prompt_ids / last_logits")
            return .infinity
        }
        let got = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: prompt)
        XCTAssertEqual(got.count, want.count, name)
        return zip(got, want).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / want.reduce(0) { $0 + $1 * $1 }
    }

    func testGraphsReproduceTransformersLogits() throws {
        let all = try cases()
        XCTAssertGreaterThanOrEqual(all.count, 29, "family-A generative cases in golden/corpus")
        for (name, url, expected) in all {
            XCTAssertLessThan(try nmse(name, url, expected), 1e-8, "\(name): last-position logits NMSE")
        }
    }

    private func ropes(_ graph: Graph) -> [String: RopeSpec] {
        Dictionary(graph.nodes.compactMap { if case .rope(_, let spec) = $0.op { ($0.name, spec) } else { nil } },
                   uniquingKeysWith: { a, _ in a })
    }

    private func url(_ name: String) -> URL { Self.corpus.appendingPathComponent(name) }

    func testKnobsSitOnTheRightNodes() throws {
        // SmolLM3: no rotary on every 4th layer.
        let smol = ropes(try build(url("smollm3_for_causal_lm")))
        XCTAssertEqual(Set(smol.keys.map { $0.split(separator: ".")[1] }), ["0", "1", "2"])
        // Phi-3: partial 0.75 of 16; GLM and ChatGLM: GPT-J pairs on half the head; fairseq2: pairs on the whole head.
        XCTAssertEqual(ropes(try build(url("phi3_for_causal_lm")))["layers.0.q_rope"]?.rotaryDim, 12)
        for name in ["glm_for_causal_lm", "chatglm_model"] {
            let spec = ropes(try build(url(name)))["layers.0.q_rope"]
            XCTAssertEqual(spec?.rotaryDim, 8, name)
            XCTAssertEqual(spec?.style, .interleaved, name)
        }
        XCTAssertEqual(ropes(try build(url("fairseq2_llama_for_causal_lm")))["layers.0.k_rope"]?.style, .interleaved)
        // HunYuan: q/k norm after rotary.
        let hunyuan = try build(url("hunyuan_dense_v1_for_causal_lm"))
        let order = hunyuan.nodes.map(\.name).filter { $0.hasPrefix("layers.0.") && ($0.hasSuffix("_rope") || $0.hasSuffix("layernorm")) }
        XCTAssertEqual(order.firstIndex(of: "layers.0.q_rope").map { $0 < order.firstIndex(of: "layers.0.self_attn.query_layernorm")! }, true)
        // Granite: softmax scale is attention_multiplier.
        let granite = try build(url("granite_for_causal_lm"))
        let scales = granite.nodes.compactMap { if case .attention(_, _, _, let s) = $0.op { s.scale } else { nil } }
        XCTAssertEqual(scales, [0.1, 0.1])
    }

    /// A corpus case copied with some config.json keys replaced; the recipe must refuse it, naming the key.
    private func assertRefused(_ name: String, architecture: String? = nil, _ changes: [String: Any], mentions key: String,
                               line: UInt = #line) throws {
        let dir = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = url(name)
        for file in ["model.safetensors", "config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let configURL = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] ?? [:]
        config.merge(changes) { $1 }
        if let architecture { config["architectures"] = [architecture] }
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        XCTAssertThrowsError(try build(dir), line: line) { XCTAssertTrue("\($0)".contains(key), "\($0)", line: line) }
    }

    func testUnsupportedSettingsAreRefusedByName() throws {
        try assertRefused("chatglm_model", ["rmsnorm": false], mentions: "rmsnorm")
        try assertRefused("chatglm_model", ["apply_residual_connection_post_layernorm": true],
                          mentions: "apply_residual_connection_post_layernorm")
        try assertRefused("minicpm_for_causal_lm", ["num_experts": 8], mentions: "num_experts")
        try assertRefused("minicpm_for_causal_lm", ["hidden_act": "fatrelu"], mentions: "hidden_act")
        try assertRefused("qwen_lm_head_model", ["rotary_pct": 0.1], mentions: "rotary_pct")
        try assertRefused("baichuan_for_causal_lm", architecture: "BaichuanForCausalLM", [:], mentions: "hidden_size")
    }

    /// Baichuan2's NormHead (vLLM: a vocabulary of 125696 rows): the Baichuan-7B case grown to that vocabulary, every
    /// stored head row j being row j mod 256 of transformers' head times 2^(j mod 6 - 2). Normalised, logit j must be
    /// transformers' logit (j mod 256) divided by that row's norm, so the expectation still comes from transformers.
    func testBaichuan2HeadRowsAreNormalised() throws {
        let (vocab, source) = (125696, url("baichuan_for_causal_lm"))
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: source.appendingPathComponent("expected.json")))
        let original = try Checkpoint(directory: source)
        let dir = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var tensors: [SafetensorsFixture.Tensor] = []
        var headNorms: [Double] = []
        for name in original.tensorNames {
            let shape = try original.shape(of: name)
            var values = try original.floats(name)
            if name == "model.embed_tokens.weight" || name == "lm_head.weight" {
                let (rows, cols) = (shape[0], shape[1])
                if name == "lm_head.weight" {
                    headNorms = (0..<rows).map { r in values[r * cols ..< (r + 1) * cols].reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
                }
                let factor: (Int) -> Float = { name == "lm_head.weight" ? Float(pow(2.0, Double($0 % 6 - 2))) : 1 }
                values = (0..<vocab).flatMap { j in values[j % rows * cols ..< (j % rows + 1) * cols].map { $0 * factor(j) } }
                tensors.append(.init(name: name, shape: [vocab, cols], values: values))
            } else {
                tensors.append(.init(name: name, shape: shape, values: values))
            }
        }
        try SafetensorsFixture.bytes(tensors).write(to: dir.appendingPathComponent("model.safetensors"))
        let configURL = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
        config["vocab_size"] = vocab
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)

        let graph = try build(dir)
        let head = graph.nodes.first { $0.name == "lm_head" }
        guard case .linear(_, let weight, _, _)? = head?.op else { return XCTFail("no lm_head linear") }
        XCTAssertEqual(weight.transform, .rowNormalized(.tensor("lm_head.weight")))
        let got = try ReferenceEvaluator(graph: graph, checkpoint: try Checkpoint(directory: dir)).logits(tokens: expected.promptIds ?? [])
        let want = try XCTUnwrap(expected.lastLogits)
        XCTAssertEqual(got.count, vocab)
        let reference = (0..<vocab).map { want[$0 % want.count] / headNorms[$0 % want.count] }
        let error = zip(got, reference).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / reference.reduce(0) { $0 + $1 * $1 }
        XCTAssertLessThan(error, 1e-8, "NormHead logits NMSE")
        // The compiled model reads the same transform: the checkpoint materialises unit rows.
        let rows = try Checkpoint(directory: dir).materialize(weight)
        let width = weight.shape[1]
        for j in [0, 5, 255, 256, vocab - 1] {
            let norm = rows[j * width ..< (j + 1) * width].reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-6, "row \(j)")
        }
    }
}
