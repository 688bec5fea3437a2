import Foundation
import XCTest
@testable import llmc

/// The regression guard: every case in golden/PASSING still passes `llmc conformance golden`, and the list,
/// docs/SUPPORTED_MODELS.md and the run agree.
final class ConformanceTests: XCTestCase {
    private let golden = Tools.repository.appendingPathComponent("golden")

    private func listed() throws -> Set<String> {
        let text = try String(contentsOf: golden.appendingPathComponent("PASSING"), encoding: .utf8)
        return Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") })
    }

    /// Runs `llmc conformance golden` at `dtype` into a fresh cache.
    private func conformance(dtype: String) throws -> Summary {
        let cache = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let run = try Tools.run(Tools.llmc, ["conformance", golden.path, "--json", "--cache", cache.path, "--dtype", dtype,
                                             "--target", "x86-64-avx512"], timeout: 1800)
        XCTAssertFalse(run.timedOut)
        return try JSONDecoder().decode(Summary.self, from: run.stdout)
    }

    /// At f32 the pass list is exact: listed cases pass, passing cases are listed (the list only grows).
    func testEveryListedCasePassesAtF32() throws {
        let summary = try conformance(dtype: "f32")
        let passing = Set(summary.results.filter { $0.status == "pass" }.map(\.name))
        let expected = try listed()
        XCTAssertGreaterThanOrEqual(expected.count, 8)
        for name in expected.subtracting(passing).sorted() {
            let detail = summary.results.first { $0.name == name }
            XCTFail("\(name) is in golden/PASSING but now \(detail?.status ?? "missing"): \(detail?.detail ?? "")")
        }
        for name in passing.subtracting(expected).sorted() {
            XCTFail("\(name) passes but is not in golden/PASSING: add it (the list only grows)")
        }
        XCTAssertEqual(summary.failed, 0, "failures: \(summary.results.filter { $0.status == "fail" }.map(\.name))")
    }

    /// At bf16 (weights rounded to bf16, f32 compute) every listed case passes vLLM's top-5 rule.
    func testEveryListedCasePassesAtBF16() throws {
        let summary = try conformance(dtype: "bf16")
        let passing = Set(summary.results.filter { $0.status == "pass" }.map(\.name))
        for name in try listed().subtracting(passing).sorted() {
            let detail = summary.results.first { $0.name == name }
            XCTFail("\(name) fails at bf16: \(detail?.status ?? "missing"): \(detail?.detail ?? "")")
        }
    }

    func testSupportedModelsDocumentMatchesPassList() throws {
        let doc = try String(contentsOf: Tools.repository.appendingPathComponent("docs/SUPPORTED_MODELS.md"), encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| case") }
        let passing = rows.compactMap { row -> String? in
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.count > 5 && cells[5] == "pass" ? cells[1] : nil
        }
        XCTAssertEqual(Set(passing), try listed())
    }

    func testRuleAcceptsTopFiveDivergenceAndRejectsOthers() {
        let expected = ExpectedGeneration(prompt_ids: [1], output_ids: [5, 6, 7],
                                          top_logprobs: [[[5, -0.1]], [[6, -0.5], [9, -0.9]], [[7, -0.1]]], last_logits: [1, 2])
        var produced = ProducedGeneration(prompt_ids: [1], output_ids: [5, 9, 3], top_logprobs: [[[5, -0.1]], [[9, -0.4], [6, -0.6]], [[3, -1]]],
                                          last_logits: [1, 2])
        XCTAssertNil(generationMismatch(expected: expected, produced: produced))
        produced.top_logprobs?[1] = [[9, -0.4], [8, -0.6]]
        XCTAssertNotNil(generationMismatch(expected: expected, produced: produced), "transformers' token not in llmc's top-5")
        produced.top_logprobs?[1] = [[9, -0.4], [6, -0.6]]
        produced.last_logits = [1, 2.1]
        XCTAssertNotNil(generationMismatch(expected: expected, produced: produced), "logits NMSE 2e-3 > 1e-4")
    }

    private struct Summary: Decodable {
        struct Row: Decodable {
            var name: String
            var status: String
            var detail: String
        }

        var results: [Row]
        var failed: Int
    }
}
