import Foundation
import XCTest
@testable import Frontend
import IR

/// A golden corpus case (golden/corpus/<name>) built by its recipe, with transformers' prompt and last-position
/// logits from expected.json: the recipe tests check the graph's structure and run it through `ReferenceEvaluator`.
struct CorpusRecipeCase {
    let name: String
    let model: ModelDirectory
    let checkpoint: Checkpoint
    var graph: Graph
    let promptIds: [Int]
    let lastLogits: [Double]

    private struct Expected: Decodable {
        var promptIds: [Int]
        var lastLogits: [Double]
        enum CodingKeys: String, CodingKey { case promptIds = "prompt_ids", lastLogits = "last_logits" }
    }

    init(_ name: String) throws {
        let dir = LayerNormFamilyTests.corpus.appendingPathComponent(name)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        self.name = name
        model = try ModelDirectory(url: dir)
        checkpoint = try Checkpoint(directory: dir)
        graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
        promptIds = expected.promptIds
        lastLogits = expected.lastLogits
    }

    /// Nodes whose op mnemonic is `mnemonic` (e.g. "attention", "moe_top2_of4").
    func count(_ mnemonic: String) -> Int { graph.nodes.filter { $0.op.mnemonic == mnemonic }.count }

    /// The graph reads every stored tensor except `unread`.
    func assertReadsEveryTensor(except unread: Set<String> = [], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(graph.weights.flatMap(\.sourceNames)), Set(checkpoint.tensorNames).subtracting(unread), name,
                       file: file, line: line)
    }

    /// NMSE of the graph's last-position logits (f64 reference evaluation) against transformers'.
    func logitsNMSE(file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        nmse(try ReferenceEvaluator(graph: graph, checkpoint: checkpoint).logits(tokens: promptIds), lastLogits, file: file, line: line)
    }

    /// The graph reproduces transformers' last-position logits (NMSE < 1e-9).
    func assertMatchesTransformers(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertLessThan(try logitsNMSE(file: file, line: line), 1e-9, "\(name): last-position logits NMSE", file: file, line: line)
    }
}
