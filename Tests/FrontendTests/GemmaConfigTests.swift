import Foundation
import XCTest
@testable import Frontend
import IR

/// GemmaConfig against transformers 5.24's config classes. Expected values were printed by transformers, e.g.
/// `Gemma3TextConfig.from_dict(dict(base, rope_theta=1e6, rope_local_base_freq=1e4, rope_scaling={"rope_type":
/// "linear","factor":8.0}, sliding_window=512)).layer_types / .rope_parameters`, with
/// `base = dict(hidden_size=64, num_hidden_layers=7, num_attention_heads=4, intermediate_size=128, vocab_size=100)`.
final class GemmaConfigTests: XCTestCase {
    private let base = #""hidden_size":64,"num_hidden_layers":7,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100"#

    private func config(_ modelType: String, _ extra: String = "") throws -> GemmaConfig {
        let json = "{\(base),\"model_type\":\"\(modelType)\"\(extra.isEmpty ? "" : "," + extra)}"
        return try ConfigDecoding.decode(GemmaConfig.self, from: Data(json.utf8), file: "config.json")
    }

    private let s = AttentionLayerType.sliding, f = AttentionLayerType.full

    func testGemma1Defaults() throws {
        // GemmaConfig(**base, hidden_act="gelu"): hidden_act becomes gelu_pytorch_tanh; head_dim 256, tied.
        let c = try config("gemma", #""hidden_act":"gelu","num_key_value_heads":1"#)
        XCTAssertEqual(c.generation, .gemma1)
        XCTAssertEqual(c.activation, .geluTanh)
        XCTAssertEqual(c.headDim, 256)
        XCTAssertTrue(c.tiedEmbeddings)
        XCTAssertEqual(c.rmsNormEps, 1e-6)
        XCTAssertEqual(c.maxPosition, 8192)
        XCTAssertEqual(c.attentionScale, Float(1 / 16.0))
        XCTAssertNil(c.attentionSoftcap)
        XCTAssertNil(c.finalSoftcap)
        XCTAssertEqual(c.layerWindows, Array(repeating: nil, count: 7))
        XCTAssertEqual(c.rope, LayerTypeRope(RopeConfig(theta: 10000, scaling: .none)))
        // num_key_value_heads defaults to the class's 16, which 4 query heads cannot share.
        XCTAssertThrowsError(try config("gemma")) { XCTAssertTrue("\($0)".contains("num_key_value_heads"), "\($0)") }
    }

    func testGemma2DefaultsAlternateSlidingFromLayerZero() throws {
        let c = try config("gemma2")
        XCTAssertEqual(c.kvHeads, 4)
        XCTAssertEqual(c.layerTypes, [s, f, s, f, s, f, s])
        XCTAssertEqual(c.slidingWindow, 4096)
        XCTAssertEqual(c.attentionSoftcap, 50)
        XCTAssertEqual(c.finalSoftcap, 30)
        XCTAssertEqual(c.attentionScale, Float(1 / 16.0))  // query_pre_attn_scalar 256
        XCTAssertEqual(c.layerWindows, [4096, nil, 4096, nil, 4096, nil, 4096])
    }

    func testExplicitNullSoftcapsMeanNone() throws {
        let c = try config("gemma2", #""attn_logit_softcapping":null,"final_logit_softcapping":null,"query_pre_attn_scalar":144"#)
        XCTAssertNil(c.attentionSoftcap)
        XCTAssertNil(c.finalSoftcap)
        XCTAssertEqual(c.attentionScale, Float(1 / 12.0))
    }

    func testGemma3LegacyRopeKeysAndPattern() throws {
        let c = try config("gemma3_text", """
            "rope_theta":1000000,"rope_local_base_freq":10000,"rope_scaling":{"rope_type":"linear","factor":8.0},\
            "sliding_window_pattern":6,"sliding_window":512,"attn_logit_softcapping":50
            """)
        XCTAssertEqual(c.layerTypes, [s, s, s, s, s, f, s])
        XCTAssertEqual(c.slidingWindow, 512)
        XCTAssertEqual(c.rope.full, RopeConfig(theta: 1_000_000, scaling: .linear(factor: 8)))
        XCTAssertEqual(c.rope.sliding, RopeConfig(theta: 10000, scaling: .none))
        XCTAssertNil(c.finalSoftcap)
        XCTAssertNil(c.attentionSoftcap, "transformers' Gemma3Attention never passes attn_logit_softcapping on")
        XCTAssertEqual(c.maxPosition, 131_072)
    }

    func testGemma3NestedRopeParameters() throws {
        let c = try config("gemma3_text", """
            "rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":500000},\
            "sliding_attention":{"rope_type":"default","rope_theta":20000}},\
            "layer_types":["sliding_attention","full_attention","sliding_attention","sliding_attention","full_attention",\
            "sliding_attention","full_attention"],"sliding_window":8
            """)
        XCTAssertEqual(c.layerTypes, [s, f, s, s, f, s, f])
        XCTAssertEqual(c.rope, LayerTypeRope(full: RopeConfig(theta: 500_000, scaling: .none),
                                             sliding: RopeConfig(theta: 20000, scaling: .none)))
        // Defaults: Gemma3TextConfig.from_dict(base).rope_parameters -> global 1e6, local 1e4.
        let d = try config("gemma3_text")
        XCTAssertEqual(d.rope, LayerTypeRope(full: RopeConfig(theta: 1_000_000, scaling: .none),
                                             sliding: RopeConfig(theta: 10000, scaling: .none)))
        XCTAssertEqual(d.slidingWindow, 4096)
        // EmbeddingGemma: bidirectional, the stored window w read as w // 2 + 1 (Gemma3TextConfig.__post_init__).
        let e = try config("gemma3_text", #""use_bidirectional_attention":true,"sliding_window":512"#)
        XCTAssertTrue(e.bidirectional)
        XCTAssertEqual(e.slidingWindow, 257)
    }

    func testRejectionsNameTheKey() {
        let cases: [(String, String, String)] = [
            ("gemma2", #""use_bidirectional_attention":true"#, "use_bidirectional_attention"),
            ("gemma2", #""hidden_activation":"gelu""#, "hidden_activation"),
            ("gemma2", #""sliding_window":null"#, "sliding_window"),
            ("gemma2", #""layer_types":["full_attention"]"#, "layer_types"),
            ("gemma2", #""final_logit_softcapping":-1"#, "final_logit_softcapping"),
            ("gemma3_text", #""rope_parameters":{"rope_type":"default","rope_theta":10}"#, "rope_parameters"),
            ("gemma3", "", "model_type"),
        ]
        for (modelType, extra, key) in cases {
            XCTAssertThrowsError(try config(modelType, extra), "\(modelType) \(extra)") {
                XCTAssertTrue("\($0)".contains(key), "\($0)")
            }
        }
    }
}
