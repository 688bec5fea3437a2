import Foundation
import XCTest
@testable import Frontend
import IR

final class RecipeTests: XCTestCase {
    func testEveryGoldenModelBuildsWithAllWeightsCounted() throws {
        XCTAssertGreaterThanOrEqual(GoldenModels.all.count, 6)
        for url in GoldenModels.all {
            let model = try ModelDirectory(url: url)
            let checkpoint = try Checkpoint(directory: url)
            let graph = try RecipeRegistry.recipe(for: model).build(model, checkpoint: checkpoint)
            // Every stored tensor is used exactly once (tied heads reuse the embedding).
            let stored = try checkpoint.tensorNames.reduce(0) { $0 + (try checkpoint.shape(of: $1)).reduce(1, *) }
            XCTAssertEqual(graph.parameterCount, stored, url.lastPathComponent)
            XCTAssertEqual(graph[graph.logits!].type, ValueType(rows: .last, cols: graph.info.vocabSize))
        }
    }

    func testUnknownArchitectureListsSupported() throws {
        let dir = try SafetensorsFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"architectures":["FooForCausalLM"]}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        let model = try ModelDirectory(url: dir)
        XCTAssertThrowsError(try RecipeRegistry.recipe(for: model)) { error in
            XCTAssertTrue("\(error)".contains("FooForCausalLM"))
            XCTAssertTrue("\(error)".contains("LlamaForCausalLM"))
        }
    }

    private func config(_ json: String) throws -> LlamaConfig {
        try ConfigDecoding.decode(LlamaConfig.self, from: Data(json.utf8), file: "config.json")
    }

    private let base = #""hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128,"vocab_size":100"#

    func testMissingKeyIsNamed() {
        XCTAssertThrowsError(try config(#"{"num_hidden_layers":2}"#)) { XCTAssertTrue("\($0)".contains("'hidden_size'"), "\($0)") }
    }

    func testBadValuesAreNamed() {
        XCTAssertThrowsError(try config("{\(base),\"num_key_value_heads\":3}")) { XCTAssertTrue("\($0)".contains("num_key_value_heads"), "\($0)") }
        XCTAssertThrowsError(try config(#"{"hidden_size":-4}"#)) { XCTAssertTrue("\($0)".contains("hidden_size"), "\($0)") }
        XCTAssertThrowsError(try config("{\(base),\"hidden_act\":\"relu\"}")) { XCTAssertTrue("\($0)".contains("hidden_act"), "\($0)") }
        XCTAssertThrowsError(try config("{\(base),\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8}}")) {
            XCTAssertTrue("\($0)".contains("low_freq_factor"), "\($0)")
        }
        XCTAssertThrowsError(try config("{\(base),\"rope_parameters\":{\"rope_type\":\"su\",\"rope_theta\":10}}")) {
            XCTAssertTrue("\($0)".contains("rope_parameters.rope_type"), "\($0)")
        }
    }

    func testDefaultsAndLayouts() throws {
        let c = try config("{\(base)}")
        XCTAssertEqual(c.kvHeads, 4)
        XCTAssertEqual(c.headDim, 16)
        XCTAssertEqual(c.rope, RopeConfig(theta: 10000, scaling: .none))
        XCTAssertEqual(c.layerWindows, [nil, nil])
        let mistral = try config("{\(base),\"model_type\":\"mistral\",\"sliding_window\":8}")
        XCTAssertEqual(mistral.layerWindows, [8, 8])
        let v5 = try config("{\(base),\"rope_parameters\":{\"rope_type\":\"linear\",\"factor\":2,\"rope_theta\":500}}")
        XCTAssertEqual(v5.rope, RopeConfig(theta: 500, scaling: .linear(factor: 2)))
    }

    func testLlama3FrequenciesMatchTransformersFormula() {
        // Reference computed with transformers' _compute_llama3_parameters semantics in double precision.
        let rope = RopeConfig(theta: 500000, scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPosition: 8192))
        let dim = 128
        let freqs = rope.inverseFrequencies(rotaryDim: dim)
        for (i, f) in freqs.enumerated() {
            let base = 1 / pow(500000.0, Double(2 * i) / Double(dim))
            let wavelen = 2 * Double.pi / base
            let expected: Double
            if wavelen < 8192.0 / 4 { expected = base }
            else if wavelen > 8192.0 { expected = base / 8 }
            else {
                let smooth = (8192 / wavelen - 1) / 3
                expected = (1 - smooth) * base / 8 + smooth * base
            }
            XCTAssertEqual(Double(f), expected, accuracy: expected * 1e-5, "freq \(i)")
        }
    }
}
