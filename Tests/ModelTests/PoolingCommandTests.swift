import Foundation
import XCTest
@testable import llmc

/// The pooling commands of produced binaries (embed / classify / score / reward) on tiny golden encoders: output
/// shapes, batching, truncation, and one clear line with a non-zero exit for every bad input.
final class PoolingCommandTests: XCTestCase {
    private static let directory = try? Tools.temporaryDirectory()
    private let corpus = Tools.repository.appendingPathComponent("golden/corpus")

    /// A golden case compiled once per test run.
    private func compiled(_ name: String, from root: URL? = nil) throws -> String {
        guard let directory = Self.directory else { throw XCTSkip("no temporary directory") }
        let binary = directory.appendingPathComponent("\(name).bin")
        if !FileManager.default.fileExists(atPath: binary.path) {
            try Tools.compile((root ?? corpus).appendingPathComponent(name), to: binary)
        }
        return binary.path
    }

    private func jsonLines(_ run: Subprocess.Result) throws -> [[String: Any]] {
        try String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private func expectError(_ binary: String, _ arguments: [String], mentions needle: String, file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let run = try Tools.run(binary, arguments)
        XCTAssertNotEqual(run.status, 0, "\(arguments) succeeded", file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "expected one line, got: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(needle), "'\(needle)' not in: \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stdout.isEmpty, "output despite the error", file: file, line: line)
    }

    private let ids = ["--prompt-ids", "5,6,7,8", "--prompt-ids", "9,10,11"]

    func testEmbedPrintsOneNormalisedVectorPerInputAndBatchesLikeSingleRuns() throws {
        let binary = try compiled("bert_model")
        let run = try Tools.run(binary, ["embed", "--json"] + ids)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try jsonLines(run)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(Set(lines[0].keys), ["embedding"])
        let batched = try lines.map { try XCTUnwrap($0["embedding"] as? [Double]) }
        XCTAssertEqual(batched[0].count, 32)
        XCTAssertEqual(batched[0].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        let alone = try jsonLines(try Tools.run(binary, ["embed", "--json", "--prompt-ids", "9,10,11"]))
        let single = try XCTUnwrap(alone.first?["embedding"] as? [Double])
        for (a, b) in zip(single, batched[1]) { XCTAssertEqual(a, b, accuracy: 1e-6, "packing changes nothing") }
    }

    func testClassifyScoreAndTokenClassifyOutputs() throws {
        let token = try jsonLines(try Tools.run(try compiled("bert_for_token_classification"), ["classify", "--json"] + ids))
        let tokens = try XCTUnwrap(token.first?["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.count, 4)
        let labels = try XCTUnwrap(tokens[0]["labels"] as? [[String: Any]])
        XCTAssertEqual(labels.count, 5)
        let probabilities = labels.compactMap { $0["probability"] as? Double }
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(probabilities, probabilities.sorted(by: >), "most probable first")

        let score = try jsonLines(try Tools.run(try compiled("bert_for_sequence_classification"),
                                                ["score", "--json", "--prompt-ids", "5,6,7", "--token-types", "0,1,1"]))
        XCTAssertEqual(score.count, 1)
        XCTAssertEqual(Set(score[0].keys), ["score"])
        let value = try XCTUnwrap(score[0]["score"] as? Double)
        XCTAssertTrue(value > 0 && value < 1, "a cross-encoder's score is a sigmoid")
    }

    func testOverLongInputIsCutWithAWarningOrRefused() throws {
        let binary = try compiled("bert_model")  // 64 positions
        let long = (0..<70).map { String(3 + $0 % 200) }.joined(separator: ",")
        let cut = try Tools.run(binary, ["embed", "--json", "--prompt-ids", long])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("warning") && cut.stderr.contains("64"), cut.stderr)
        let first64 = (0..<64).map { String(3 + $0 % 200) }.joined(separator: ",")
        XCTAssertEqual(try jsonLines(cut).first?["embedding"] as? [Double],
                       try jsonLines(try Tools.run(binary, ["embed", "--json", "--prompt-ids", first64])).first?["embedding"] as? [Double])
        try expectError(binary, ["embed", "--no-truncate", "--prompt-ids", long], mentions: "at most 64")
    }

    /// A sequence must fit one encode call: with --max-batch below the positions, inputs are cut there.
    func testInputsAreCutToTheCompiledBatch() throws {
        let binary = try XCTUnwrap(Self.directory).appendingPathComponent("bert_model_batch8.bin")
        try Tools.compile(corpus.appendingPathComponent("bert_model"), to: binary, extra: ["--max-batch", "8"])
        let ids = (1...12).map(String.init).joined(separator: ",")
        let cut = try Tools.run(binary.path, ["embed", "--json", "--prompt-ids", ids, "--prompt-ids", "1,2,3"])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("cut to the model's 8 tokens"), cut.stderr)
        XCTAssertEqual(try jsonLines(cut).count, 2)
        try expectError(binary.path, ["embed", "--no-truncate", "--prompt-ids", ids], mentions: "at most 8")
    }

    func testBadInputs() throws {
        let embedder = try compiled("bert_model")
        try expectError(embedder, ["embed"], mentions: "no input")
        try expectError(embedder, ["embed", "-p", "hello"], mentions: "no tokenizer")
        try expectError(embedder, ["classify", "--prompt-ids", "1,2"], mentions: "this model is for embed, not classify")
        try expectError(embedder, ["reward", "--prompt-ids", "1,2"], mentions: "not reward")
        try expectError(embedder, ["--prompt-ids", "1,2"], mentions: "cannot generate text; use embed")
        try expectError(embedder, ["embed", "--prompt-ids", "1,2", "--token-types", "0"], mentions: "--token-types 1 has 1 ids")
        try expectError(embedder, ["embed", "--logits", "--prompt-ids", "1,2"], mentions: "only applies to --json")
        try expectError(embedder, ["embed", "--input", "/nonexistent/file"], mentions: "no tokenizer")
        let tokens = try compiled("bert_for_token_classification")
        try expectError(tokens, ["score", "--prompt-ids", "1,2"], mentions: "does not score sentence pairs")
        let generator = try compiled("llama_gqa", from: Tools.repository.appendingPathComponent("golden/models"))
        try expectError(generator, ["embed", "--prompt-ids", "1,2"], mentions: "generates text; it has no embed")
    }

    /// Text inputs need a tokenizer: all-MiniLM-L6-v2 when `$LLMC_MINILM` is set.
    func testBadTextInputs() throws {
        guard let model = ProcessInfo.processInfo.environment["LLMC_MINILM"] else {
            throw XCTSkip("set LLMC_MINILM to the directory made by scripts/prepare_minilm.py (scripts/test.sh does)")
        }
        let binary = try compiled(URL(fileURLWithPath: model).lastPathComponent,
                                  from: URL(fileURLWithPath: model).deletingLastPathComponent())
        try expectError(binary, ["embed", "-p", ""], mentions: "input 1 is empty")
        let file = try XCTUnwrap(Self.directory).appendingPathComponent("lines.txt")
        try "first\n\nthird\n".write(to: file, atomically: true, encoding: .utf8)
        try expectError(binary, ["embed", "--input", file.path], mentions: "input 2 is empty")
        let long = Array(repeating: "word", count: 600).joined(separator: " ")
        try expectError(binary, ["embed", "--no-truncate", "-p", long], mentions: "the model takes at most")
        let cut = try Tools.run(binary, ["embed", "-p", long, "--json"])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("warning"), cut.stderr)
        try expectError(binary, ["classify", "-p", "hi"], mentions: "this model is for embed")
        try expectError(binary, ["score", "--pairs", file.path], mentions: "not QUERY<TAB>DOCUMENT")
        let pairs = try XCTUnwrap(Self.directory).appendingPathComponent("pairs.tsv")
        try "A man is eating food.\tA man is eating a piece of bread.\nA man is eating food.\tThe new movie is awesome.\n"
            .write(to: pairs, atomically: true, encoding: .utf8)
        let scores = try jsonLines(try Tools.run(binary, ["score", "--pairs", pairs.path, "--json"])).compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores.count, 2)
        XCTAssertGreaterThan(scores[0], 0.6)
        XCTAssertLessThan(scores[1], 0.2)
    }
}
