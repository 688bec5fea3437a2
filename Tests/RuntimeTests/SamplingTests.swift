import RuntimeLib
import XCTest

final class SamplingTests: XCTestCase {
    private func params(
        temperature: Float = 1, topK: Int64 = 0, topP: Float = 1, minP: Float = 0, penalty: Float = 1,
        seed: UInt64 = 1
    ) -> llmc_sampling_params {
        llmc_sampling_params(
            temperature: temperature, top_k: topK, top_p: topP, min_p: minP, repetition_penalty: penalty, seed: seed)
    }

    private func candidates(_ logits: [Float], _ p: llmc_sampling_params, history: [Int32] = []) -> [(Int32, Float)] {
        var p = p
        let s = llmc_sampler_create(&p, Int64(logits.count))!
        defer { llmc_sampler_free(s) }
        var ids = [Int32](repeating: -1, count: logits.count)
        var probs = [Float](repeating: 0, count: logits.count)
        let n = llmc_sampler_candidates(s, logits, history, Int64(history.count), &ids, &probs)
        return (0..<Int(n)).map { (ids[$0], probs[$0]) }
    }

    private func sample(_ logits: [Float], _ p: llmc_sampling_params, history: [Int32] = [], count: Int) -> [Int32] {
        var p = p
        let s = llmc_sampler_create(&p, Int64(logits.count))!
        defer { llmc_sampler_free(s) }
        return (0..<count).map { _ in llmc_sampler_sample(s, logits, history, Int64(history.count)) }
    }

    private func assertMatchesReference(
        _ logits: [Float], _ p: llmc_sampling_params, history: [Int32] = [], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let got = candidates(logits, p, history: history)
        let want = SamplingReference.candidates(logits: logits, params: p, history: history)
        if got.map(\.0) != want.map(\.0) {
            let at = (0..<min(got.count, want.count)).first { got[$0].0 != want[$0].0 } ?? min(got.count, want.count)
            XCTFail("\(p): kept \(got.count) ids, reference \(want.count); first difference at rank \(at)",
                    file: file, line: line)
            return
        }
        for (g, w) in zip(got, want) {
            XCTAssertEqual(Double(g.1), w.1, accuracy: 1e-5, "probability of \(g.0)", file: file, line: line)
        }
    }

    private func randomLogits(_ n: Int, seed: UInt64, scale: Float = 4) -> [Float] {
        var rng = TestRNG(state: seed)
        return (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
    }

    func testGreedyIsArgmaxWithTiesToLowerId() {
        XCTAssertEqual(sample([0.5, 2, -1, 2, 1], params(temperature: 0), count: 3), [1, 1, 1])
        let logits = randomLogits(5000, seed: 7)
        let best = logits.indices.max { logits[$0] < logits[$1] }!
        XCTAssertEqual(sample(logits, params(temperature: 0, topK: 3, topP: 0.5), count: 1), [Int32(best)])
    }

    func testRepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        // 2.0 / 1.5 = 1.33 < 1.9: the seen token loses its lead under greedy decoding.
        XCTAssertEqual(sample([2.0, 1.9, -1], params(temperature: 0, penalty: 1.5), history: [0], count: 1), [1])
        // -0.5 * 3 = -1.5 < -1.0: a negative seen logit becomes more negative.
        XCTAssertEqual(sample([-0.5, -1.0], params(temperature: 0, penalty: 3), history: [0, 0], count: 1), [1])
        // Duplicates in the history are penalised once.
        let logits = randomLogits(50, seed: 3)
        assertMatchesReference(logits, params(penalty: 1.3), history: [4, 4, 4, 9, 0, 49, 9])
        assertMatchesReference(logits, params(penalty: 0.7), history: [1, 2, 3, 2])
    }

    func testTopKKeepsTiesWithTheKthScore() {
        XCTAssertEqual(candidates([1, 3, 3, 2], params(topK: 1)).map(\.0), [1, 2])
        XCTAssertEqual(candidates([1, 3, 3, 2], params(topK: 3)).map(\.0), [1, 2, 3])
        XCTAssertEqual(candidates([1, 3, 3, 2], params(topK: 10)).map(\.0), [1, 2, 3, 0])
    }

    func testTopPMinPTopKAgainstReference() {
        var rng = TestRNG(state: 11)
        for trial in 0..<300 {
            let n = [2, 5, 17, 100, 1000][trial % 5]
            let logits = randomLogits(n, seed: UInt64(trial) + 100, scale: Float.random(in: 0.5...12, using: &rng))
            let p = params(
                temperature: [0.3, 0.7, 1, 1.5][trial % 4],
                topK: [0, 1, 5, 40][(trial / 4) % 4],
                topP: [1, 0.95, 0.8, 0.5, 0.1, 0][(trial / 3) % 6],
                minP: [0, 0.05, 0.2][(trial / 7) % 3],
                penalty: [1, 1.2][(trial / 11) % 2])
            let history = (0..<5).map { _ in Int32.random(in: 0..<Int32(n), using: &rng) }
            assertMatchesReference(logits, p, history: history)
        }
    }

    func testTopPOverALargeVocabulary() {
        // No top-k: the nucleus search has to widen its window several times.
        let logits = randomLogits(150_000, seed: 5, scale: 3)
        assertMatchesReference(logits, params(topP: 0.9))
        assertMatchesReference(logits, params(temperature: 0.6, topP: 0.95, minP: 0.02))
        assertMatchesReference(logits, params(topK: 5000, topP: 0.7))
        assertMatchesReference(logits, params(temperature: 1.3, minP: 0.3))
        let peaked = randomLogits(150_000, seed: 6, scale: 12)
        assertMatchesReference(peaked, params(topP: 0.99))
        assertMatchesReference(peaked, params(temperature: 2, topP: 0.5))
    }

    func testSeedDeterminism() {
        let logits = randomLogits(200, seed: 9, scale: 2)
        let a = sample(logits, params(seed: 1234), count: 200)
        XCTAssertEqual(a, sample(logits, params(seed: 1234), count: 200))
        XCTAssertNotEqual(a, sample(logits, params(seed: 1235), count: 200))
    }

    func testDrawFrequenciesFollowTheProbabilities() {
        let logits: [Float] = [0, log(2), log(3), log(4), -.infinity]  // probabilities 0.1 0.2 0.3 0.4 0
        let draws = sample(logits, params(seed: 77), count: 40_000)
        for (id, p) in [0.1, 0.2, 0.3, 0.4, 0].enumerated() {
            let freq = Double(draws.filter { $0 == Int32(id) }.count) / Double(draws.count)
            XCTAssertEqual(freq, p, accuracy: 0.012, "token \(id)")
        }
        // Samples never leave the filtered set.
        let filtered = Set(sample(randomLogits(300, seed: 4), params(topK: 7, seed: 5), count: 2000))
        let allowed = Set(candidates(randomLogits(300, seed: 4), params(topK: 7)).map(\.0))
        XCTAssertTrue(filtered.isSubset(of: allowed))
    }

    func testTopLogprobs() {
        var logits = randomLogits(3000, seed: 21, scale: 6)
        logits[17] = 9
        logits[5] = 9  // a tie: lower id first
        let reference = SamplingReference.logSoftmax(logits)
        let k = 6
        var ids = [Int32](repeating: -1, count: k)
        var lps = [Float](repeating: 0, count: k)
        XCTAssertEqual(llmc_top_logprobs(logits, Int64(logits.count), Int64(k), &ids, &lps), Int64(k))
        let want = reference.indices.sorted { reference[$0] > reference[$1] || (reference[$0] == reference[$1] && $0 < $1) }
        XCTAssertEqual(ids.map(Int.init), Array(want.prefix(k)))
        XCTAssertEqual(ids.prefix(2), [5, 17])
        for (id, lp) in zip(ids, lps) { XCTAssertEqual(Double(lp), reference[Int(id)], accuracy: 1e-5) }
        // k beyond the vocabulary is clamped.
        var small = [Int32](repeating: -1, count: 3)
        var smallLp = [Float](repeating: 0, count: 3)
        XCTAssertEqual(llmc_top_logprobs([1, 2, 3], 3, 10, &small, &smallLp), 3)
        XCTAssertEqual(small, [2, 1, 0])
    }

    func testCreateRejectsEmptyVocabulary() {
        var p = params()
        XCTAssertNil(llmc_sampler_create(&p, 0))
    }
}
