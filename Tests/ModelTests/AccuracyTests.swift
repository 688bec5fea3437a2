import Foundation
import XCTest
@testable import llmc

/// Issue 5's accuracy bars on SmolLM2-135M-Instruct through `llmc accuracy`: teacher-forced top-1 agreement with
/// the f32 build over 3 prompts × 128 tokens, and perplexity over the first 1024 tokens of the GPL-3 text.
final class AccuracyTests: XCTestCase {
    private struct Report: Decodable {
        struct Row: Decodable {
            var label: String
            var agreement: Double?
            var agreeing: Int?
            var positions: Int?
            var perplexity: Double
            var scored_tokens: Int
            var perplexity_change_percent: Double
        }
        var rows: [Row]
    }

    func testQuantizedPrecisionsMeetTheBars() throws {
        guard let model = ProcessInfo.processInfo.environment["LLMC_SMOLLM2"] else {
            throw XCTSkip("set LLMC_SMOLLM2 to the directory made by scripts/prepare_smollm2.py (scripts/test.sh does)")
        }
        let text = "/usr/share/common-licenses/GPL-3"
        guard FileManager.default.fileExists(atPath: text) else { throw XCTSkip("\(text) is missing (Debian's base-files)") }
        let result = try Tools.run(Tools.llmc, ["accuracy", model, "--dtypes", "bf16,int8,int4", "--text", text,
                                                "--tokens", "1024", "--chunk", "512", "--gen", "128", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        guard result.status == 0 else { return }
        let report = try JSONDecoder().decode(Report.self, from: result.stdout)
        XCTAssertEqual(report.rows.map(\.label), ["f32", "bf16", "int8", "int4"])
        let reference = try XCTUnwrap(report.rows.first)
        XCTAssertNil(reference.agreement)
        XCTAssertEqual(reference.scored_tokens, 1022, "1024 tokens in 2 chunks, each chunk's first token unscored")
        // A sane model on English prose: perplexity in the tens, not a broken forward pass.
        XCTAssertLessThan(reference.perplexity, 60)
        let bars: [String: (agreement: Double, perplexityPercent: Double)] = [
            "bf16": (0.99, 1), "int8": (0.99, 2), "int4": (0.95, 8),
        ]
        for row in report.rows.dropFirst() {
            guard let bar = bars[row.label], let agreement = row.agreement else { return XCTFail("unexpected row \(row.label)") }
            XCTAssertEqual(row.positions, 3 * 128, row.label)
            XCTAssertGreaterThanOrEqual(agreement, bar.agreement,
                                        "\(row.label): top-1 agreement \(row.agreeing ?? 0)/\(row.positions ?? 0)")
            XCTAssertLessThanOrEqual(abs(row.perplexity_change_percent), bar.perplexityPercent,
                                     "\(row.label): perplexity \(row.perplexity) vs f32 \(reference.perplexity)")
        }
    }
}
