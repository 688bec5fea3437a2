import Foundation
import XCTest
@testable import Frontend
import IR

/// Family K1 (Mamba-1, Mamba-2): the corpus cases build reading every checkpoint tensor and their graphs, run by
/// `ReferenceEvaluator`, reproduce transformers' last-position logits; Falcon-Mamba's dt/B/C norms bite; config
/// defaults and errors.
final class MambaRecipeTests: XCTestCase {
    func testCorpusCasesMatchTransformers() throws {
        for name in ["mamba_for_causal_lm", "falcon_mamba_for_causal_lm", "mamba2_for_causal_lm"] {
            var mamba = try CorpusRecipeCase(name)
            // Every tensor is read (Mamba-2's gated-norm weight folded into out_proj's columns).
            mamba.assertReadsEveryTensor()
            XCTAssertEqual(mamba.graph.info.kvWidths, [], name)
            try mamba.assertMatchesTransformers()

            // Falcon-Mamba's weightless norms on dt, B and C: without them the logits move.
            let norms = mamba.graph.nodes.indices.filter { mamba.graph.nodes[$0].name.hasSuffix("_layernorm") }
            XCTAssertEqual(norms.count, name.hasPrefix("falcon") ? 6 : 0, name)
            guard !norms.isEmpty else { continue }
            for index in norms {
                guard case .rmsNorm(let x, nil, _, _, _) = mamba.graph.nodes[index].op else { return XCTFail("\(name): weighted inner norm") }
                mamba.graph.nodes[index].op = .scale(x, 1)
            }
            XCTAssertGreaterThan(try mamba.logitsNMSE(), 1e-4, name)
        }
    }

    func testConfigDefaultsAndErrors() throws {
        func decode(_ extra: String, modelType: String = "mamba") throws -> MambaConfig {
            let json = #"{"hidden_size": 40, "num_hidden_layers": 2, "vocab_size": 50, "model_type": ""# + modelType + "\"" + extra + "}"
            return try ConfigDecoding.decode(MambaConfig.self, from: Data(json.utf8), file: "config.json")
        }
        let defaults = try decode("")
        XCTAssertEqual(defaults.mixer, MambaMixerShape(hiddenSize: 40, intermediateSize: 80, stateSize: 16, convKernel: 4,
                                                       timeStepRank: 3, projectionBias: false, convBias: true, activation: .silu))
        XCTAssertNil(defaults.innerNormEps)
        XCTAssertEqual(try decode(#", "time_step_rank": "auto", "expand": 3"#).mixer.timeStepRank, 3)
        XCTAssertEqual(try decode(#", "time_step_rank": 5, "expand": 3"#).mixer.intermediateSize, 120)
        XCTAssertEqual(try decode("", modelType: "falcon_mamba").innerNormEps, 1e-6)
        XCTAssertThrowsError(try decode("", modelType: "mamba2")) { XCTAssertTrue("\($0)".contains("model_type"), "\($0)") }
        for (extra, key) in [(#", "time_step_rank": "big""#, "time_step_rank"), (#", "time_step_rank": 0"#, "time_step_rank"),
                             (#", "conv_kernel": 1"#, "conv_kernel"), (#", "hidden_act": "swish2""#, "hidden_act"),
                             (#", "expand": 0"#, "expand")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }

    func testMamba2ConfigErrors() throws {
        func decode(_ extra: String) throws -> Mamba2Config {
            let json = #"{"model_type": "mamba2", "hidden_size": 32, "num_hidden_layers": 2, "vocab_size": 50, "num_heads": 4, "head_dim": 16"#
                + extra + "}"
            return try ConfigDecoding.decode(Mamba2Config.self, from: Data(json.utf8), file: "config.json")
        }
        let config = try decode(#", "n_groups": 2, "time_step_limit": [0.0, {"__float__": "Infinity"}]"#)
        XCTAssertEqual(config.mixer.convChannels, 64 + 2 * 2 * 128)
        XCTAssertFalse(config.tiedEmbeddings)
        for (extra, key) in [(#", "n_groups": 3"#, "n_groups"), (#", "n_groups": 2, "expand": 3"#, "num_heads"),
                             (#", "n_groups": 1, "time_step_limit": [0.001, 0.1]"#, "time_step_limit")] {
            XCTAssertThrowsError(try decode(extra), extra) { error in
                XCTAssertTrue("\(error)".contains(key), "\(extra): \(error)")
            }
        }
    }

}
