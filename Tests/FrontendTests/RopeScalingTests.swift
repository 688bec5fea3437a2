import Foundation
import XCTest
@testable import Frontend

/// Rotary tables against transformers: golden/rope/expected.json (made by golden/rope/make_rope_expected.py) holds,
/// per case, a config.json and the `inv_freq` / `attention_scaling` of the model's own rotary module.
final class RopeScalingTests: XCTestCase {
    private struct Expected: Decodable {
        struct Case: Decodable {
            var name: String
            var config: ConfigJSON
            var invFreq: [Float]
            var attentionScaling: Float
            enum CodingKeys: String, CodingKey {
                case name, config, invFreq = "inv_freq", attentionScaling = "attention_scaling"
            }
        }
        var cases: [Case]
    }

    private static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/rope/expected.json")

    private func cases() throws -> [Expected.Case] {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.file)).cases
    }

    func testFrequenciesAndAttentionScalingMatchTransformers() throws {
        let all = try cases()
        XCTAssertGreaterThanOrEqual(all.count, 12)
        for expected in all {
            let config = try ConfigDecoding.decode(LlamaConfig.self, from: expected.config.data, file: expected.name)
            let freqs = config.rope.inverseFrequencies(rotaryDim: config.rotaryDim)
            XCTAssertEqual(freqs.count, expected.invFreq.count, expected.name)
            for (i, (got, want)) in zip(freqs, expected.invFreq).enumerated() {
                // powf and torch's pow may differ in the last bit; everything else is the same f32 arithmetic.
                XCTAssertEqual(got, want, accuracy: want.magnitude * 4 * Float.ulpOfOne, "\(expected.name) freq \(i)")
            }
            XCTAssertEqual(config.rope.attentionScaling, expected.attentionScaling, accuracy: 1e-7, expected.name)
        }
    }

    func testScalingKindsAreRecognised() throws {
        let kinds = try Dictionary(uniqueKeysWithValues: cases().map {
            ($0.name, try ConfigDecoding.decode(LlamaConfig.self, from: $0.config.data, file: $0.name).rope.scaling)
        })
        guard case .dynamic(2, 4096) = kinds["dynamic"] else { return XCTFail("dynamic: \(String(describing: kinds["dynamic"]))") }
        guard case .ntkAlpha(1000) = kinds["ntk_alpha_hunyuan"] else { return XCTFail("ntk alpha: \(String(describing: kinds["ntk_alpha_hunyuan"]))") }
        guard case .yarn(_, 32768, 32, 1, true, _) = kinds["yarn_qwen"] else { return XCTFail("yarn: \(String(describing: kinds["yarn_qwen"]))") }
        guard case .yarn(8, 1024, _, _, _, _) = kinds["yarn_implicit_factor"] else {
            return XCTFail("yarn factor from max_position_embeddings / original: \(String(describing: kinds["yarn_implicit_factor"]))")
        }
        guard case .longrope(_, _, 4096, _) = kinds["longrope_phi3"] else { return XCTFail("longrope: \(String(describing: kinds["longrope_phi3"]))") }
    }

    private func config(_ json: String) throws -> LlamaConfig {
        let base = #""hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100"#
        return try ConfigDecoding.decode(LlamaConfig.self, from: Data("{\(base),\(json)}".utf8), file: "config.json")
    }

    func testPhi3RenamesSuAndYarnToLongrope() throws {
        let factors = "[" + Array(repeating: "1.5", count: 8).joined(separator: ",") + "]"
        for old in ["su", "yarn"] {
            let c = try config(#""model_type":"phi3","max_position_embeddings":8192,"rope_scaling":{"type":"\#(old)","short_factor":\#(factors),"long_factor":\#(factors)}"#)
            guard case .longrope(_, _, 4096, _) = c.rope.scaling else { return XCTFail("\(old): \(c.rope.scaling)") }
        }
    }

    func testRopeErrorsNameTheKey() {
        XCTAssertThrowsError(try config(#""model_type":"phi3","rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":[1]}"#)) {
            XCTAssertTrue("\($0)".contains("rope_scaling.short_factor"), "\($0)")
        }
        XCTAssertThrowsError(try config(#""rope_parameters":{"rope_type":"dynamic"}"#)) {
            XCTAssertTrue("\($0)".contains("rope_parameters.factor"), "\($0)")
        }
        XCTAssertThrowsError(try config(#""rope_parameters":{"rope_type":"longrope","long_factor":[1]}"#)) {
            XCTAssertTrue("\($0)".contains("rope_parameters.short_factor"), "\($0)")
        }
        XCTAssertThrowsError(try config(#""model_type":"glm","partial_rotary_factor":0.01"#)) {
            XCTAssertTrue("\($0)".contains("partial_rotary_factor"), "\($0)")
        }
    }
}
