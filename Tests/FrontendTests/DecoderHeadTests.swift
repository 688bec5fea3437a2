import Foundation
import XCTest
@testable import Frontend
import IR

/// Decoders as pooling models: the graphs `DecoderHead` ends, evaluated in Swift (`ReferenceEvaluator`) on the first
/// sequence of each golden corpus case and compared with what transformers computed (expected.json).
final class DecoderHeadTests: XCTestCase {
    private static let corpus = GoldenModels.root.deletingLastPathComponent().appendingPathComponent("corpus")

    /// The expected.json keys these tests read.
    private struct Expected: Decodable {
        var input_ids: [[Int]]
        var attention_mask: [[Int]]?
        var pooling: String?
        var normalize: Bool?
        var last_hidden_state: [[Double]]
        var pooled: [Double]?
        var logits: [[Double]]?
        var token_logits: [[Double]]?
        var score: [[Double]]?
        var step_tag_id: Int?
        var returned_token_ids: [Int]?
        var step_positions: [Int]?
        var step_scores: [[Double]]?

        /// The first sequence without padding.
        var firstSequence: [Int] { Array(input_ids[0].prefix(attention_mask?[0].reduce(0, +) ?? input_ids[0].count)) }
    }

    /// The case's graph as `llmc compile` builds it with the flags conformance passes, and what transformers produced.
    private func load(_ name: String) throws -> (Graph, Checkpoint, Expected) {
        let url = Self.corpus.appendingPathComponent(name)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url.appendingPathComponent("expected.json")))
        var model = try ModelDirectory(url: url)
        model.poolingOverride = PoolingOverride(pooling: expected.pooling.flatMap(PoolingKind.init(rawValue:)),
                                                normalize: expected.normalize, stepTagID: expected.step_tag_id,
                                                returnedTokenIDs: expected.returned_token_ids)
        let checkpoint = try Checkpoint(directory: url)
        return (try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint), checkpoint, expected)
    }


    private func softmax(_ x: [Double]) -> [Double] {
        let top = x.max() ?? 0
        let e = x.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// Hidden states, embedding, sequence logits, token logits and step rewards of the first sequence.
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (graph, checkpoint, expected) = try load(name)
        let pooling = try XCTUnwrap(graph.pooling, "\(name) is not a pooling graph", file: file, line: line)
        XCTAssertNil(graph.logits, name, file: file, line: line)
        let tokens = expected.firstSequence
        let values = try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).values(tokens: tokens)
        let hidden = try XCTUnwrap(pooling.hidden.map { values[$0.index] }, file: file, line: line)
        XCTAssertLessThan(nmse(hidden, expected.last_hidden_state.flatMap { $0 }), 1e-9, "\(name) hidden", file: file, line: line)
        if let want = expected.pooled, graph.info.pooling?.task == .embed {  // rerankers record their pooled input too
            let got = try XCTUnwrap(pooling.pooled.map { values[$0.index] }, file: file, line: line)
            XCTAssertLessThan(nmse(got, want), 1e-9, "\(name) embedding", file: file, line: line)
        }
        if let want = expected.logits?[0] {
            let got = try XCTUnwrap(pooling.sequenceLogits.map { values[$0.index] }, file: file, line: line)
            XCTAssertLessThan(nmse(got, want), 1e-9, "\(name) logits", file: file, line: line)
        }
        if let want = expected.score?[0] {
            let got = try XCTUnwrap(pooling.sequenceLogits.map { values[$0.index] }, file: file, line: line)
            XCTAssertLessThan(nmse(got, want), 1e-9, "\(name) reward", file: file, line: line)
        }
        if let want = expected.token_logits {
            let got = try XCTUnwrap(pooling.tokenLogits.map { values[$0.index] }, file: file, line: line)
            XCTAssertLessThan(nmse(got, want.flatMap { $0 }), 1e-9, "\(name) token logits", file: file, line: line)
        }
        if let want = expected.step_scores, let positions = expected.step_positions {
            // STEP pooling as the runtime does it: rows at the step tag, softmax over the returned columns (all).
            let rows = try XCTUnwrap(pooling.tokenLogits.map { values[$0.index] }, file: file, line: line)
            let width = rows.count / tokens.count
            XCTAssertEqual(tokens.indices.filter { tokens[$0] == graph.info.pooling?.stepTagID }, positions, file: file, line: line)
            let got = positions.flatMap { t -> [Double] in
                let row = Array(rows[t * width ..< (t + 1) * width])
                return softmax(graph.info.pooling?.stepReturnedIDs.map { $0.map { row[$0] } } ?? row)
            }
            XCTAssertLessThan(nmse(got, want.flatMap { $0 }), 1e-9, "\(name) step rewards", file: file, line: line)
        }
    }

    func testEmbeddersMatchTransformers() throws {
        for name in ["llama_model", "qwen2_model", "qwen3_model", "gemma2_model", "gemma3_text_model", "gritlm_embed",
                     "llama_bidirectional_model"] {
            try check(name)
        }
    }

    func testClassifiersMatchTransformers() throws {
        for name in ["qwen2_for_sequence_classification", "qwen3_for_sequence_classification", "gemma_for_sequence_classification",
                     "gpt2_for_sequence_classification", "llama_bidirectional_for_sequence_classification"] {
            try check(name)
        }
    }

    func testRewardModelsMatchTransformers() throws {
        for name in ["qwen2_for_reward_model", "internlm2_for_reward_model", "qwen2_for_process_reward_model", "llama_for_causal_lm_prm"] {
            try check(name)
        }
    }

    /// vLLM's conventions: what each architecture name (and `--pooling`) compiles into.
    func testHeadsByArchitecture() throws {
        func info(_ name: String, _ override: PoolingOverride = PoolingOverride()) throws -> (Graph, PoolingInfo?) {
            let url = Self.corpus.appendingPathComponent(name)
            var model = try ModelDirectory(url: url)
            model.poolingOverride = override
            let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: try Checkpoint(directory: url))
            return (graph, graph.info.pooling)
        }
        let embed = try info("qwen3_model").1
        XCTAssertEqual(embed?.task, .embed)
        XCTAssertEqual(embed?.pooling, .last)
        XCTAssertEqual(embed?.normalize, true)
        let bidirectional = try info("llama_bidirectional_model").1
        XCTAssertEqual(bidirectional?.pooling, .mean)
        let scorer = try info("qwen2_for_sequence_classification").1
        XCTAssertEqual(scorer?.task, .score)
        XCTAssertEqual(scorer?.labels, ["LABEL_0"])
        XCTAssertEqual(scorer?.normalize, false)
        XCTAssertEqual(try info("gpt2_for_sequence_classification").1?.task, .classify)
        XCTAssertEqual(try info("qwen2_for_process_reward_model").1?.pooling, .step)
        XCTAssertEqual(try info("internlm2_for_reward_model").1?.task, .reward)

        // A generative checkpoint generates unless asked to pool; GritLM then attends bidirectionally.
        let (generative, none) = try info("gritlm")
        XCTAssertNil(none)
        XCTAssertNotNil(generative.logits)
        let (gritLM, gritInfo) = try info("gritlm", PoolingOverride(normalize: true))
        XCTAssertEqual(gritInfo?.pooling, .mean)
        XCTAssertTrue(gritLM.nodes.allSatisfy { node in
            if case .attention(_, _, _, let spec) = node.op { return !spec.causal }
            return true
        })
        let prm = try info("llama_for_causal_lm_prm", PoolingOverride(pooling: .step, stepTagID: 5, returnedTokenIDs: [1, 2])).1
        XCTAssertEqual(prm?.task, .reward)
        XCTAssertEqual(prm?.stepTagID, 5)
        XCTAssertEqual(prm?.stepReturnedIDs, [1, 2])
    }

    /// EmbeddingGemma's stored sliding window w becomes |q - k| < w / 2 + 1, as transformers' config does.
    func testBidirectionalGemmaWindow() throws {
        let (graph, _, _) = try load("gemma3_text_model")
        let config = try ModelDirectory(url: Self.corpus.appendingPathComponent("gemma3_text_model")).config(GemmaConfig.self)
        XCTAssertTrue(config.bidirectional)
        let windows = graph.nodes.compactMap { node -> Int?? in
            if case .attention(_, _, _, let spec) = node.op { return .some(spec.window) }
            return nil
        }
        XCTAssertTrue(windows.contains(.some(8 / 2 + 1)), "\(windows)")
    }
}
