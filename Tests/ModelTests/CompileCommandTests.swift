import Foundation
import XCTest
@testable import llmc

/// `llmc compile` itself: model lookup in the Hugging Face cache, every target, the JSON summary.
final class CompileCommandTests: XCTestCase {
    private var dir: URL!
    private let model = Tools.repository.appendingPathComponent("golden/models/qwen2_bias")

    override func setUpWithError() throws { dir = try Tools.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func expected() throws -> ExpectedGeneration {
        try JSONDecoder().decode(ExpectedGeneration.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
    }

    private func generate(_ binary: URL, _ expected: ExpectedGeneration) throws -> ProducedGeneration {
        let result = try Tools.run(binary.path, ["--prompt-ids", expected.prompt_ids.map(String.init).joined(separator: ","),
                                                 "-n", "\(expected.output_ids.count)", "--temperature", "0", "--ignore-eos",
                                                 "--json", "--logprobs", "5", "--logits"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try JSONDecoder().decode(ProducedGeneration.self, from: result.stdout)
    }

    func testEveryTargetMatchesTransformers() throws {
        let expected = try expected()
        for target in ["x86-64-avx512", "x86-64-avx512-bf16", "x86-64-avx2", "native"] {
            let binary = dir.appendingPathComponent(target)
            try Tools.compile(model, to: binary, extra: ["--target", target])
            if let failure = generationMismatch(expected: expected, produced: try generate(binary, expected)) {
                XCTFail("\(target): \(failure)")
            }
        }
    }

    func testRepoIdFromHuggingFaceCache() throws {
        let snapshot = dir.appendingPathComponent("hf/hub/models--tiny-org--tiny-qwen2/snapshots/0123abc")
        try FileManager.default.createDirectory(at: snapshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: model, to: snapshot)
        let binary = dir.appendingPathComponent("from-cache.bin")
        let result = try Tools.run(Tools.llmc, ["compile", "tiny-org/tiny-qwen2", "-o", binary.path, "--json"],
                                   environment: ["HF_HOME": dir.appendingPathComponent("hf").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]
        XCTAssertEqual(summary?["architecture"] as? String, "Qwen2ForCausalLM")
        XCTAssertEqual(summary?["parameters"] as? Int, try modelParameters())
        XCTAssertNil(generationMismatch(expected: try expected(), produced: try generate(binary, try expected())))

        let missing = try Tools.run(Tools.llmc, ["compile", "tiny-org/absent", "-o", binary.path + "2"],
                                    environment: ["HF_HOME": dir.appendingPathComponent("hf").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("tiny-org/absent"), missing.stderr)
    }

    func testBadOptionsAreRejected() throws {
        let cases = [(["--target", "sparc"], "sparc"), (["--dtype", "int3"], "int3"), (["--kv-dtype", "fp8"], "--kv-dtype 'fp8'")]
        for (arguments, needle) in cases {
            let result = try Tools.run(Tools.llmc, ["compile", model.path, "-o", dir.appendingPathComponent("x").path] + arguments)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.stderr.contains(needle), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x").path))
        }
    }

    /// Parameter count from the safetensors header (element counts of every tensor).
    private func modelParameters() throws -> Int {
        let data = try Data(contentsOf: model.appendingPathComponent("model.safetensors"))
        let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data[8..<8 + length]) as? [String: Any] ?? [:]
        return header.values.compactMap { ($0 as? [String: Any])?["shape"] as? [Int] }.reduce(0) { $0 + $1.reduce(1, *) }
    }
}
