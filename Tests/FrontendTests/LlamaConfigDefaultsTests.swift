import Foundation
import XCTest
@testable import Frontend

/// `LlamaConfig`'s per-model-type defaults against transformers: golden/llama_config/expected.json (made by
/// golden/llama_config/make_llama_config_expected.py) holds, per family-A model type, a config.json with only the sizes
/// and what the model transformers builds from it has: norm epsilon, head_dim, key/value heads, biases, tied head,
/// context and rotary table.
final class LlamaConfigDefaultsTests: XCTestCase {
    private struct Expected: Decodable {
        struct Case: Decodable {
            var modelType: String
            var config: ConfigJSON
            var rmsNormEps: Float
            var headDim: Int
            var kvHeads: Int
            var qkvBias: Bool
            var oBias: Bool
            var mlpBias: Bool
            var tied: Bool
            var maxPosition: Int
            var attentionScaling: Float
            var invFreq: [Float]
            enum CodingKeys: String, CodingKey {
                case modelType = "model_type", config, rmsNormEps = "rms_norm_eps", headDim = "head_dim"
                case kvHeads = "kv_heads", qkvBias = "qkv_bias", oBias = "o_bias", mlpBias = "mlp_bias", tied
                case maxPosition = "max_position", attentionScaling = "attention_scaling", invFreq = "inv_freq"
            }
        }
        var cases: [Case]
    }

    private static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/llama_config/expected.json")

    func testModelTypeDefaultsMatchTransformers() throws {
        let cases = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.file)).cases
        XCTAssertEqual(cases.count, 16)
        for e in cases {
            let c = try ConfigDecoding.decode(LlamaConfig.self, from: e.config.data, file: e.modelType)
            let t = e.modelType
            XCTAssertEqual(c.rmsNormEps, e.rmsNormEps, t)
            XCTAssertEqual(c.headDim, e.headDim, t)
            XCTAssertEqual(c.kvHeads, e.kvHeads, t)
            XCTAssertEqual(c.attentionBias, e.qkvBias, t)
            XCTAssertEqual(c.outputBias, e.oBias, t)
            XCTAssertEqual(c.mlpBias, e.mlpBias, t)
            XCTAssertEqual(c.tiedEmbeddings, e.tied, t)
            XCTAssertEqual(c.maxPosition, e.maxPosition, t)
            XCTAssertEqual(c.rope.attentionScaling, e.attentionScaling, t)
            let freqs = c.rope.inverseFrequencies(rotaryDim: c.rotaryDim)
            XCTAssertEqual(freqs.count, e.invFreq.count, t)
            for (got, want) in zip(freqs, e.invFreq) {
                XCTAssertEqual(got, want, accuracy: want.magnitude * 4 * Float.ulpOfOne, t)
            }
        }
    }
}
