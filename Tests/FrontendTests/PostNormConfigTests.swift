import Foundation
import XCTest
@testable import Frontend
import IR

/// PostNormConfig against transformers 5.24's config classes (Olmo2Config, Olmo3Config, Exaone4Config, Glm4Config).
/// Expected values were printed by transformers, e.g. `Olmo3Config(**base, num_hidden_layers=5).layer_types`, with
/// `base = dict(hidden_size=64, num_hidden_layers=7, num_attention_heads=4, intermediate_size=128, vocab_size=100)`.
final class PostNormConfigTests: XCTestCase {
    private let s = AttentionLayerType.sliding, f = AttentionLayerType.full

    private func config(_ modelType: String, layers: Int = 7, _ extra: String = "") throws -> PostNormConfig {
        let json = """
            {"hidden_size":64,"num_hidden_layers":\(layers),"num_attention_heads":4,"intermediate_size":128,\
            "vocab_size":100,"model_type":"\(modelType)"\(extra.isEmpty ? "" : "," + extra)}
            """
        return try ConfigDecoding.decode(PostNormConfig.self, from: Data(json.utf8), file: "config.json")
    }

    func testOlmo2Defaults() throws {
        let c = try config("olmo2")
        XCTAssertEqual(c.variant.qkNorm, .fullWidth)
        XCTAssertFalse(c.variant.sandwich)
        XCTAssertEqual(c.kvHeads, 4)
        XCTAssertEqual(c.headDim, 16)
        XCTAssertEqual(c.rmsNormEps, 1e-5)
        XCTAssertFalse(c.attentionBias)
        XCTAssertEqual(c.rope, LayerTypeRope(RopeConfig(theta: 10000, scaling: .none)))
        XCTAssertEqual(c.layerWindows, Array(repeating: nil, count: 7))
        XCTAssertTrue((0..<7).allSatisfy { c.usesRope(layer: $0) })
    }

    func testOlmo3LayerTypesAndPerTypeRope() throws {
        let c = try config("olmo3", layers: 5)
        XCTAssertEqual(c.layerTypes, [s, s, s, f, s])
        XCTAssertEqual(c.layerWindows, [4096, 4096, 4096, nil, 4096])
        XCTAssertEqual(c.rope, LayerTypeRope(RopeConfig(theta: 500_000, scaling: .none)))
        // Olmo3Config.from_dict(dict(base, num_hidden_layers=5, rope_theta=1234.0)): full 1234, sliding 500000.
        let legacy = try config("olmo3", layers: 5, #""rope_theta":1234"#)
        XCTAssertEqual(legacy.rope, LayerTypeRope(full: RopeConfig(theta: 1234, scaling: .none),
                                                  sliding: RopeConfig(theta: 500_000, scaling: .none)))
        // transformers 5 writes both the nested objects and flat keys next to them.
        let saved = try config("olmo3", layers: 2, """
            "layer_types":["sliding_attention","full_attention"],"sliding_window":8,\
            "rope_parameters":{"full_attention":{"rope_theta":1000.0,"rope_type":"default"},"rope_theta":500000.0,\
            "rope_type":"default","sliding_attention":{"rope_theta":2000.0,"rope_type":"linear","factor":2.0}}
            """)
        XCTAssertEqual(saved.rope, LayerTypeRope(full: RopeConfig(theta: 1000, scaling: .none),
                                                 sliding: RopeConfig(theta: 2000, scaling: .linear(factor: 2))))
        XCTAssertEqual(saved.layerWindows, [8, nil])
    }

    func testOlmo3YarnOnFullLayersOnly() throws {
        // OLMo-3 checkpoints' rope_scaling (yarn on global layers). Expected: transformers' Olmo3RotaryEmbedding
        // full_attention_inv_freq / _attention_scaling and sliding_attention_inv_freq for head_dim 16.
        let c = try config("olmo3", layers: 4, """
            "max_position_embeddings":65536,"rope_theta":500000,"rope_scaling":{"attention_factor":1.2079441541679836,            "beta_fast":32,"beta_slow":1,"factor":8.0,"original_max_position_embeddings":8192,"rope_type":"yarn"}
            """)
        let full = c.rope.spec(.full, heads: 4, headDim: 16, rotaryDim: 16, style: .neox)
        let sliding = c.rope.spec(.sliding, heads: 4, headDim: 16, rotaryDim: 16, style: .neox)
        let expectedFull: [Float] = [1.0, 0.193922758102417, 0.03760603070259094, 0.005165637470781803,
                                     0.0005892555927857757, 3.428102354519069e-05, 6.647869668086059e-06, 1.289173155782919e-06]
        let expectedSliding: [Float] = [1.0, 0.193922758102417, 0.03760603070259094, 0.00729266507551074,
                                        0.001414213445968926, 0.00027424818836152554, 5.3182957344688475e-05,
                                        1.0313385246263351e-05]
        for (got, want) in zip(full.invFreq, expectedFull) { XCTAssertEqual(got, want, accuracy: want * 2e-6) }
        for (got, want) in zip(sliding.invFreq, expectedSliding) { XCTAssertEqual(got, want, accuracy: want * 2e-6) }
        XCTAssertEqual(full.attentionScaling, 1.2079441541679836, accuracy: 1e-6)
        XCTAssertEqual(sliding.attentionScaling, 1)
    }

    func testExaone4PatternAndNoPE() throws {
        // num_key_value_heads defaults to Exaone4Config's 32, which 4 query heads cannot share.
        XCTAssertThrowsError(try config("exaone4")) { XCTAssertTrue("\($0)".contains("num_key_value_heads"), "\($0)") }
        let c = try config("exaone4", layers: 6, #""num_key_value_heads":2"#)
        XCTAssertEqual(c.layerTypes, [s, s, s, f, s, s])
        XCTAssertEqual(c.slidingWindow, 4096)
        XCTAssertEqual(c.variant.qkNorm, .perHead)
        XCTAssertEqual((0..<6).map { c.usesRope(layer: $0) }, [true, true, true, false, true, true])
        // Exaone4Config(**base, num_hidden_layers=6, sliding_window_pattern=3, sliding_window=16)
        let three = try config("exaone4", layers: 6, #""num_key_value_heads":2,"sliding_window_pattern":3,"sliding_window":16"#)
        XCTAssertEqual(three.layerTypes, [s, s, f, s, s, f])
        XCTAssertEqual(three.layerWindows, [16, 16, nil, 16, 16, nil])
        // Without a window every layer is global and rotates.
        let plain = try config("exaone4", layers: 3, #""num_key_value_heads":2,"sliding_window":null"#)
        XCTAssertEqual(plain.layerTypes, [f, f, f])
        XCTAssertTrue((0..<3).allSatisfy { plain.usesRope(layer: $0) })
    }

    func testGlm4DefaultsAndPartialRotary() throws {
        // Glm4Config(**base): head_dim 128 (not hidden/heads), attention_bias True, eps 1.5625e-07, factor 0.5.
        let c = try config("glm4")
        XCTAssertEqual(c.headDim, 128)
        XCTAssertEqual(c.kvHeads, 2)
        XCTAssertTrue(c.attentionBias)
        XCTAssertEqual(c.rmsNormEps, 1.5625e-7)
        XCTAssertEqual(c.maxPosition, 131_072)
        XCTAssertEqual(c.rotaryDim, 64)
        XCTAssertEqual(c.variant.ropeStyle, .interleaved)
        XCTAssertTrue(c.variant.sandwich && c.variant.fusedGateUp)
        // Glm4Config.from_dict(dict(base, partial_rotary_factor=0.25, rope_theta=500.0, head_dim=32)).
        let legacy = try config("glm4", #""partial_rotary_factor":0.25,"rope_theta":500,"head_dim":32"#)
        XCTAssertEqual(legacy.rotaryDim, 8)
        XCTAssertEqual(legacy.rope, LayerTypeRope(RopeConfig(theta: 500, scaling: .none)))
        let v5 = try config("glm4", #""head_dim":16,"rope_parameters":{"partial_rotary_factor":0.5,"rope_theta":10000.0,"rope_type":"default"}"#)
        XCTAssertEqual(v5.rotaryDim, 8)
    }

    func testRejectionsNameTheKey() {
        let cases: [(String, String, String)] = [
            ("olmo3", #""sliding_window":null"#, "sliding_window"),
            ("olmo3", #""layer_types":["chunked_attention"]"#, "layer_types"),
            ("olmo2", #""hidden_act":"gelu""#, "hidden_act"),
            ("glm4", #""partial_rotary_factor":0.01"#, "partial_rotary_factor"),
            ("exaone4", #""num_key_value_heads":2,"sliding_window_pattern":"LLXG""#, "sliding_window_pattern"),
            ("olmo", "", "model_type"),
        ]
        for (modelType, extra, key) in cases {
            XCTAssertThrowsError(try config(modelType, extra), "\(modelType) \(extra)") {
                XCTAssertTrue("\($0)".contains(key), "\($0)")
            }
        }
    }
}
