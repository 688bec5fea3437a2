import Foundation
import XCTest

/// SmolLM2-135M-Instruct (a real model, prepared by scripts/prepare_smollm2.py into `$LLMC_SMOLLM2`), compiled at f32
/// and bf16, against transformers' greedy outputs in golden/smollm2.
final class SmolLM2Tests: XCTestCase {
    struct Suite: Decodable {
        var weights_sha256: String
        var cases: [Case]
    }

    struct Case: Decodable {
        var prompt: String
        var prompt_ids: [Int]
        var output_ids: [Int]
        var top_logprobs: [[[Double]]]
        var text_skip_special: String?
    }

    private func check(dtype: String, exact: Bool) throws {
        guard let modelPath = ProcessInfo.processInfo.environment["LLMC_SMOLLM2"] else {
            throw XCTSkip("set LLMC_SMOLLM2 to the directory made by scripts/prepare_smollm2.py (scripts/test.sh does)")
        }
        let suite = try JSONDecoder().decode(Suite.self, from: Data(contentsOf: Tools.repository
            .appendingPathComponent("golden/smollm2/expected_\(dtype).json")))
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("smollm2-\(dtype).bin")
        try Tools.compile(URL(fileURLWithPath: modelPath), to: binary, extra: ["--dtype", dtype])
        for c in suite.cases {
            let result = try Tools.run(binary.path, ["-p", c.prompt, "-n", "\(c.output_ids.count)", "--temperature", "0",
                                                     "--ignore-eos", "--json", "--logprobs", "5"])
            XCTAssertEqual(result.status, 0, result.stderr)
            guard result.status == 0 else { continue }
            let produced = try JSONDecoder().decode(Produced.self, from: result.stdout)
            XCTAssertEqual(produced.prompt_ids, c.prompt_ids, "tokenization of \(c.prompt)")
            if exact {
                XCTAssertEqual(produced.output_ids, c.output_ids, "\(dtype) greedy ids for \(c.prompt)")
                if let text = c.text_skip_special { XCTAssertEqual(produced.text, text, "decoded text for \(c.prompt)") }
            } else {
                let expected = Expected(prompt_ids: c.prompt_ids, output_ids: c.output_ids, top_logprobs: c.top_logprobs)
                if let failure = conformanceFailure(expected: expected, produced: produced) {
                    XCTFail("\(dtype) \(c.prompt): \(failure)")
                }
            }
        }
    }

    func testF32MatchesTransformersExactly() throws { try check(dtype: "f32", exact: true) }

    func testBF16MatchesTransformersBF16UnderTopFiveRule() throws { try check(dtype: "bf16", exact: false) }
}
