import Foundation
import XCTest

/// Every tiny golden model, compiled at f32, reproduces transformers' greedy tokens and last-position logits.
final class GoldenModelTests: XCTestCase {
    static let models = Tools.repository.appendingPathComponent("golden/models")

    func testGoldenModelsMatchTransformers() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.models.path).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 6)
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in names {
            let model = Self.models.appendingPathComponent(name)
            let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model.appendingPathComponent("expected.json")))
            let binary = dir.appendingPathComponent(name)
            try Tools.compile(model, to: binary)
            let ids = expected.prompt_ids.map(String.init).joined(separator: ",")
            let result = try Tools.run(binary.path, ["--prompt-ids", ids, "-n", "\(expected.output_ids.count)", "--temperature", "0",
                                                     "--ignore-eos", "--json", "--logprobs", "5", "--logits"])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            guard result.status == 0 else { continue }
            let produced = try JSONDecoder().decode(Produced.self, from: result.stdout)
            if let failure = conformanceFailure(expected: expected, produced: produced) {
                XCTFail("\(name): \(failure)")
            }
        }
    }
}
