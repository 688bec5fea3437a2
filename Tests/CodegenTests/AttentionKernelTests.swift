import Codegen
import Foundation
import XCTest

final class AttentionKernelTests: XCTestCase {
    private struct Shape {
        let qHeads: Int, kvHeads: Int, headDim: Int, window: Int?
        var softcap: Float? = nil
        var alibi = false
        var causal = true
        var cache = KVCacheFormat.f32
        /// Width of a value head (nil: headDim).
        var valueDim: Int? = nil
        var valueHeadDim: Int { valueDim ?? headDim }
        /// Per query head, a logit in the softmax denominator with no value (GPT-OSS); nil: none.
        var sinks: [Float]? = nil

        /// BLOOM's slopes for a power-of-two head count, 2^(-8(h+1)/n), used for any n here.
        var alibiSlopes: [Float]? { alibi ? (0..<qHeads).map { Float(pow(2, -8 * Double($0 + 1) / Double(qHeads))) } : nil }
    }

    private func check(_ shape: Shape, target: TargetSpec, cases: [(pos0: Int, rows: Int)]) throws {
        let scale = 1 / Float(shape.headDim).squareRoot()
        let kernel = AttentionKernel(qHeads: shape.qHeads, kvHeads: shape.kvHeads, headDim: shape.headDim, scale: scale,
                                     window: shape.window, softcap: shape.softcap, alibiSlopes: shape.alibiSlopes,
                                     causal: shape.causal, cache: shape.cache, valueDim: shape.valueDim,
                                     sinks: shape.sinks != nil)
        let harness = try KernelHarness(kernel, target: target)
        var random = TestRandom(seed: UInt64(shape.headDim * 31 + shape.qHeads))
        let kvWidth = shape.kvHeads * shape.headDim, valueWidth = shape.kvHeads * shape.valueHeadDim
        let group = shape.qHeads / shape.kvHeads
        let sinks = shape.sinks.map { AlignedBuffer(floats: $0) }
        for (pos0, rows) in cases {
            let context = pos0 + rows
            // The cache in the kernel's format; the reference attends over the values it stands for.
            let scaleStride = context + 3
            let keys = KVCacheReference(random.array(context * kvWidth, scale: 2), format: shape.cache, kvHeads: shape.kvHeads,
                                        headDim: shape.headDim, scaleStride: scaleStride)
            let values = KVCacheReference(random.array(context * valueWidth), format: shape.cache, kvHeads: shape.kvHeads,
                                          headDim: shape.valueHeadDim, scaleStride: scaleStride)
            let ldq = shape.qHeads * shape.headDim + 3, ldo = shape.qHeads * shape.valueHeadDim + 1
            let q = AlignedBuffer(floats: random.array(rows * ldq, scale: 2))
            let out0 = random.array(rows * ldo)
            let out = AlignedBuffer(floats: out0)
            let args = [slot(q.raw), slot(ldq), slot(keys.codes.raw), slot(values.codes.raw), slot(out.raw), slot(ldo), slot(pos0),
                        slot(rows), slot(keys.scales.raw), slot(values.scales.raw), slot(scaleStride), slot(sinks?.raw)]
            harness.run(rows: rows, args)

            var expected = out0.map(Double.init), magnitude = out0.map { _ in 0.0 }
            for r in 0..<rows {
                let position = pos0 + r
                let lowest = shape.window.map { max(0, position - $0 + 1) } ?? 0
                let highest = shape.causal ? position : min(context - 1, shape.window.map { position + $0 - 1 } ?? context)
                let visible = lowest...highest
                for h in 0..<shape.qHeads {
                    let kvOffset = (h / group) * shape.headDim
                    let scores = visible.map { j -> Double in
                        var dot = 0.0
                        for d in 0..<shape.headDim {
                            dot += Double(q.floats[r * ldq + h * shape.headDim + d]) * keys.decoded[j * kvWidth + kvOffset + d]
                        }
                        var logit = dot * Double(scale)
                        if let cap = shape.softcap.map(Double.init) { logit = cap * Foundation.tanh(logit / cap) }
                        if let slopes = shape.alibiSlopes { logit += Double(slopes[h]) * Double(j - position) }
                        return logit
                    }
                    let sink = shape.sinks.map { Double($0[h]) }
                    let maximum = max(scores.max() ?? 0, sink ?? -.infinity)
                    let weights = scores.map { Foundation.exp($0 - maximum) }
                    let total = weights.reduce(0, +) + (sink.map { Foundation.exp($0 - maximum) } ?? 0)
                    let (valueDim, valueOffset) = (shape.valueHeadDim, (h / group) * shape.valueHeadDim)
                    for d in 0..<valueDim {
                        var sum = 0.0, size = 0.0
                        for (index, j) in visible.enumerated() {
                            let term = weights[index] / total * values.decoded[j * valueWidth + valueOffset + d]
                            sum += term
                            size += abs(term)
                        }
                        expected[r * ldo + h * valueDim + d] = sum
                        magnitude[r * ldo + h * valueDim + d] = size
                    }
                }
            }
            assertClose(out.floatArray(rows * ldo), expected, magnitude: magnitude, relative: 1e-5,
                        "\(kernel.symbol) \(target.name) pos0 \(pos0) rows \(rows)")

            XCTAssertEqual(harness.rerunReversed(rows: rows, args, outputSlot: 4, initialOutput: out0, count: rows * ldo),
                           out.floatArray(rows * ldo), "task order changed results")
        }
    }

    private let cases: [(pos0: Int, rows: Int)] = [(0, 1), (0, 3), (0, 17), (7, 1), (40, 3), (33, 17), (100, 1), (2, 5), (0, 33)]

    func testFullCausalGQA() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: nil), target: target, cases: cases)
            try check(Shape(qHeads: 3, kvHeads: 1, headDim: 33, window: nil), target: target, cases: cases)
            try check(Shape(qHeads: 2, kvHeads: 2, headDim: 100, window: nil), target: target, cases: cases)
            try check(Shape(qHeads: 9, kvHeads: 3, headDim: 64, window: nil), target: target, cases: [(0, 40), (5, 1)])
        }
    }

    func testSlidingWindow() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 1, headDim: 16, window: 5), target: target, cases: cases)
            try check(Shape(qHeads: 2, kvHeads: 2, headDim: 24, window: 17), target: target, cases: cases)
            try check(Shape(qHeads: 2, kvHeads: 1, headDim: 8, window: 1), target: target, cases: [(0, 3), (9, 17)])
        }
    }

    func testSoftcap() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: nil, softcap: 1.5), target: target, cases: cases)
            try check(Shape(qHeads: 3, kvHeads: 3, headDim: 33, window: 5, softcap: 50), target: target, cases: cases)
        }
    }

    func testALiBi() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 4, headDim: 16, window: nil, alibi: true), target: target, cases: cases)
            try check(Shape(qHeads: 6, kvHeads: 2, headDim: 33, window: nil, alibi: true), target: target, cases: cases)
            try check(Shape(qHeads: 2, kvHeads: 1, headDim: 24, window: nil, softcap: 2, alibi: true), target: target,
                      cases: [(0, 3), (9, 17), (40, 1)])
        }
    }

    func testSinks() throws {
        // Sinks below, near and far above the logits (head 3's sink takes almost all the weight), with GQA, a
        // window, a soft cap, and both the decode (rows <= 4) and prefill-tile paths.
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: nil, sinks: [-3, 0.5, 2, 12]), target: target, cases: cases)
            try check(Shape(qHeads: 6, kvHeads: 2, headDim: 33, window: 5, softcap: 3, sinks: [1, -1, 0, 4, -8, 0.25]),
                      target: target, cases: cases)
        }
    }

    func testBidirectional() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: nil, causal: false), target: target, cases: cases)
            try check(Shape(qHeads: 3, kvHeads: 1, headDim: 100, window: nil, causal: false), target: target, cases: cases)
            try check(Shape(qHeads: 4, kvHeads: 4, headDim: 33, window: nil, alibi: true, causal: false), target: target,
                      cases: [(0, 3), (0, 17), (5, 2), (2, 33)])
        }
    }

    /// A symmetric window (|p - j| < window, ModernBERT's local layers) on both paths, reaching past either end of
    /// the sequence, with GQA, odd head sizes and a window of one (each query sees only itself).
    func testBidirectionalWindow() throws {
        for target in testTargets {
            try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: 5, causal: false), target: target, cases: cases)
            try check(Shape(qHeads: 3, kvHeads: 1, headDim: 33, window: 9, causal: false), target: target,
                      cases: [(0, 3), (0, 37), (5, 2), (2, 21)])
            try check(Shape(qHeads: 2, kvHeads: 2, headDim: 24, window: 1, softcap: 3, causal: false), target: target,
                      cases: [(0, 1), (0, 19), (4, 4)])
            try check(Shape(qHeads: 2, kvHeads: 1, headDim: 8, window: 40, causal: false), target: target, cases: [(0, 17)])
        }
    }

    /// Values narrower or wider than keys (DeepSeek's MLA: 24-wide q/k heads, 16-wide values), on both paths, with
    /// GQA, windows, many query heads per kv head (decode tasks per subgroup) and every cache format.
    func testValueHeadSize() throws {
        for target in testTargets {
            for cache in KVCacheFormat.allCases {
                try check(Shape(qHeads: 4, kvHeads: 4, headDim: 24, window: nil, cache: cache, valueDim: 16), target: target, cases: cases)
                try check(Shape(qHeads: 6, kvHeads: 2, headDim: 33, window: 7, cache: cache, valueDim: 40), target: target, cases: cases)
                try check(Shape(qHeads: 3, kvHeads: 1, headDim: 192, window: nil, cache: cache, valueDim: 128), target: target,
                          cases: [(0, 17), (5, 1), (30, 3)])
                // Absorbed MLA: one latent kv head for many query heads, split into decode tasks by subgroups.
                try check(Shape(qHeads: 16, kvHeads: 1, headDim: 72, window: nil, cache: cache, valueDim: 64), target: target,
                          cases: [(0, 1), (9, 2), (40, 4), (3, 17)])
            }
        }
    }

    /// bf16 and int8 caches: the kernel reads codes (and int8 scales) and must attend exactly over the values they
    /// stand for, on both paths, with GQA, odd head sizes, windows, soft caps and ALiBi.
    func testReducedPrecisionCaches() throws {
        for target in testTargets {
            for cache in [KVCacheFormat.bf16, .int8] {
                try check(Shape(qHeads: 4, kvHeads: 2, headDim: 16, window: nil, cache: cache), target: target, cases: cases)
                try check(Shape(qHeads: 3, kvHeads: 1, headDim: 33, window: nil, cache: cache), target: target, cases: cases)
                try check(Shape(qHeads: 9, kvHeads: 3, headDim: 64, window: 20, cache: cache), target: target,
                          cases: [(0, 40), (5, 1), (37, 3)])
                try check(Shape(qHeads: 6, kvHeads: 2, headDim: 24, window: nil, softcap: 2, alibi: true, cache: cache),
                          target: target, cases: [(0, 3), (9, 17), (40, 1)])
                try check(Shape(qHeads: 2, kvHeads: 2, headDim: 100, window: nil, causal: false, cache: cache), target: target,
                          cases: [(0, 17), (3, 2)])
            }
        }
    }
}
