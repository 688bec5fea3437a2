import Codegen
import Foundation
import IR
import XCTest

/// CausalConv1dKernel and SelectiveScanKernel against f64 references of whole sequences from a zero state, and the
/// state contract: one call == two chunks == token by token through the saved state, a call at position 0 ignores
/// whatever the state holds, and a packed batch of sequences (per-token positions) == separate calls.
final class SSMKernelTests: XCTestCase {
    /// Sequence lengths of a packed batch (sum 43: T = 1, 5, 37).
    static let packed = [1, 5, 37]

    func testCausalConvAgainstReference() throws {
        for target in testTargets {
            let shapes: [(Int, Int, Bool, UnaryOp?)] = [(20, 4, true, .silu), (37, 2, false, nil), (64, 3, true, nil), (5, 4, true, .silu)]
            for (channels, kernel, bias, activation) in shapes {
                let conv = ConvFixture(channels: channels, kernel: kernel, bias: bias, activation: activation,
                                       seed: UInt64(channels * 10 + kernel))
                let make = { (source: PositionSource) in
                    CausalConv1dKernel(channels: channels, kernel: kernel, bias: bias, activation: activation, source: source)
                }
                let (single, batch) = (try KernelHarness(make(.consecutive), target: target), try KernelHarness(make(.perToken), target: target))
                let context = "conv c\(channels) k\(kernel) bias \(bias) \(activation.map { "\($0)" } ?? "") \(target.name)"
                try checkStateContract(conv, single: single, batch: batch, context: context)
            }
        }
    }

    func testSelectiveScanAgainstReference() throws {
        // (heads, headDim, groups, state, A per state): Mamba-1 shapes (one channel per head), then Mamba-2 shapes
        // (A per head, with dt bias and softplus in the scan).
        let shapes = [(20, 1, 1, 8, true), (37, 1, 1, 16, true), (64, 1, 1, 16, true), (3, 1, 1, 8, true),
                      (4, 16, 2, 16, false), (2, 32, 1, 8, false)]
        for target in testTargets {
            for (heads, headDim, groups, state, aPerState) in shapes {
                let scan = ScanFixture(heads: heads, headDim: headDim, groups: groups, stateSize: state, aPerState: aPerState,
                                       dtInScan: !aPerState, seed: UInt64(heads * 100 + state))
                let make = { (source: PositionSource) in
                    SelectiveScanKernel(heads: heads, headDim: headDim, groups: groups, stateSize: state, aPerState: aPerState,
                                        skip: true, dtBias: !aPerState, dtSoftplus: !aPerState, source: source)
                }
                let context = "scan h\(heads) p\(headDim) g\(groups) n\(state) \(target.name)"
                try checkStateContract(scan, single: try KernelHarness(make(.consecutive), target: target),
                                       batch: try KernelHarness(make(.perToken), target: target), context: context)
            }
        }
    }
}

/// The state contract every `SequenceFixture` kernel keeps (see `SSMKernelTests`).
extension XCTestCase {
    /// The reference on each sequence of `packed`; one call per sequence; two chunks; token by token; the packed
    /// batch in one call.
    func checkStateContract(_ f: some SequenceFixture, single: KernelHarness, batch: KernelHarness, context: String) throws {
        let total = SSMKernelTests.packed.reduce(0, +)
        let starts = SSMKernelTests.packed.indices.map { SSMKernelTests.packed[..<$0].reduce(0, +) }
        var random = TestRandom(seed: 99)
        let inputs = f.inputs(rows: total)

        // Each sequence in one call from a state full of garbage (position 0 must ignore it).
        var whole: [Float] = []
        for (start, length) in zip(starts, SSMKernelTests.packed) {
            let state = AlignedBuffer(floats: random.array(f.stateCount, scale: 5))
            let out = f.run(single, inputs, rows: start ..< start + length, position: .first(0), state: state)
            let expected = f.reference(inputs, rows: start ..< start + length)
            assertClose(out, expected, magnitude: expected.map { abs($0) + 1 }, relative: 2e-5, "\(context) T \(length) vs reference")
            whole += out
        }

        let length = SSMKernelTests.packed[2], start = starts[2]
        let oneCall = Array(whole[start * f.outputWidth ..< (start + length) * f.outputWidth])
        let finalState = AlignedBuffer(byteCount: f.stateCount * 4)
        _ = f.run(single, inputs, rows: start ..< start + length, position: .first(0), state: finalState)
        for split in [1, 16, length - 1] {
            let state = AlignedBuffer(floats: random.array(f.stateCount, scale: 5))
            let first = f.run(single, inputs, rows: start ..< start + split, position: .first(0), state: state)
            let second = f.run(single, inputs, rows: start + split ..< start + length, position: .first(split), state: state)
            XCTAssertEqual(first + second, oneCall, "\(context): chunks of \(split) and \(length - split) differ from one call")
            XCTAssertEqual(f.stateValues(state), f.stateValues(finalState), "\(context): state after chunks")
        }
        let state = AlignedBuffer(byteCount: f.stateCount * 4)
        let stepped = (0..<length).flatMap { t in
            f.run(single, inputs, rows: start + t ..< start + t + 1, position: .first(t), state: state)
        }
        XCTAssertEqual(stepped, oneCall, "\(context): token by token differs from one call")

        // The packed batch: positions restart at 0 in each sequence; tasks on two threads write disjoint channels.
        let positions = SSMKernelTests.packed.flatMap { (0..<$0).map(Int32.init) }
        let packedOut = positions.withUnsafeBufferPointer { p in
            f.run(batch, inputs, rows: 0 ..< total, position: .perToken(p.baseAddress!),
                  state: AlignedBuffer(floats: random.array(f.stateCount, scale: 5)), concurrently: true)
        }
        XCTAssertEqual(packedOut, whole, "\(context): packed batch differs from separate calls")
    }
}

extension SequenceFixture {
    func run(_ harness: KernelHarness, _ inputs: Inputs, rows: Range<Int>, position: RowPositions, state: AlignedBuffer) -> [Float] {
        run(harness, inputs, rows: rows, position: position, state: state, concurrently: false)
    }
}

extension KernelHarness {
    func run(rows: Int, concurrently: Bool, _ args: [Int64]) {
        if concurrently { runConcurrently(rows: rows, args) } else { run(rows: rows, args) }
    }
}

/// Where a call's kernel gets positions: the first row's (consecutive rows), or one i32 per row.
enum RowPositions {
    case first(Int)
    case perToken(UnsafePointer<Int32>)

    /// The kernel's position slot.
    var argument: Int64 {
        switch self {
        case .first(let pos): slot(pos)
        case .perToken(let pointer): slot(pointer)
        }
    }
}

/// Inputs, a kernel call and an f64 reference for one state-space kernel.
protocol SequenceFixture {
    associatedtype Inputs
    var outputWidth: Int { get }
    /// Floats of the recurrent state region.
    var stateCount: Int { get }
    /// The values of a state region that hold state (without padding).
    func stateValues(_ state: AlignedBuffer) -> [Float]
    func inputs(rows: Int) -> Inputs
    /// Runs the kernel's tasks (serially, or concurrently on two threads) over `rows` of the inputs with `state`;
    /// returns the output rows.
    func run(_ harness: KernelHarness, _ inputs: Inputs, rows: Range<Int>, position: RowPositions, state: AlignedBuffer,
             concurrently: Bool) -> [Float]
    /// The output of `rows` as one sequence from a zero state.
    func reference(_ inputs: Inputs, rows: Range<Int>) -> [Double]
}

/// A causal depthwise conv: x rows of stride channels + 3, taps tap-major, output rows of stride channels + 1.
struct ConvFixture: SequenceFixture {
    let channels: Int, kernel: Int, bias: Bool, activation: UnaryOp?
    let taps: AlignedBuffer, biases: AlignedBuffer

    init(channels: Int, kernel: Int, bias: Bool, activation: UnaryOp?, seed: UInt64) {
        (self.channels, self.kernel, self.bias, self.activation) = (channels, kernel, bias, activation)
        var random = TestRandom(seed: seed)
        taps = AlignedBuffer(floats: random.array(kernel * channels))
        biases = AlignedBuffer(floats: random.array(channels))
    }

    var ldx: Int { channels + 3 }
    var outputWidth: Int { channels + 1 }
    var stateCount: Int { (kernel - 1) * channels }
    func stateValues(_ state: AlignedBuffer) -> [Float] { state.floatArray(stateCount) }

    func inputs(rows: Int) -> AlignedBuffer {
        var random = TestRandom(seed: UInt64(rows))
        return AlignedBuffer(floats: random.array(rows * ldx, scale: 2))
    }

    func run(_ harness: KernelHarness, _ x: AlignedBuffer, rows: Range<Int>, position: RowPositions, state: AlignedBuffer,
             concurrently: Bool) -> [Float] {
        let out = AlignedBuffer(byteCount: rows.count * outputWidth * 4)
        harness.run(rows: rows.count, concurrently: concurrently, [slot(x.floats + rows.lowerBound * ldx), slot(ldx), slot(taps.raw), slot(bias ? biases.raw : nil),
                                       slot(out.raw), slot(outputWidth), slot(state.raw), position.argument, slot(rows.count)])
        return out.floatArray(rows.count * outputWidth)
    }

    func reference(_ x: AlignedBuffer, rows: Range<Int>) -> [Double] {
        rows.flatMap { t in
            (0..<outputWidth).map { c -> Double in
                guard c < channels else { return 0 }
                var sum = bias ? Double(biases.floats[c]) : 0
                for k in 0..<kernel where t - (kernel - 1) + k >= rows.lowerBound {
                    sum += Double(taps.floats[k * channels + c]) * Double(x.floats[(t - (kernel - 1) + k) * ldx + c])
                }
                return activation.map { ActivationReference.unary($0, sum) } ?? sum
            }
        }
    }
}

/// A selective scan: x, dt, B and C as column blocks of one row buffer (as slices of a projection would be),
/// A state-major (or per head), D per head, output rows of stride channels + 2. With `dtInScan` the step size is
/// softplus(dt + bias) (Mamba-2), else dt itself.
struct ScanFixture: SequenceFixture {
    let heads: Int, headDim: Int, groups: Int, stateSize: Int, aPerState: Bool, dtInScan: Bool
    let a: AlignedBuffer, d: AlignedBuffer, bias: AlignedBuffer

    init(heads: Int, headDim: Int, groups: Int, stateSize: Int, aPerState: Bool, dtInScan: Bool, seed: UInt64) {
        (self.heads, self.headDim, self.groups, self.stateSize, self.aPerState) = (heads, headDim, groups, stateSize, aPerState)
        self.dtInScan = dtInScan
        var random = TestRandom(seed: seed)
        a = AlignedBuffer(floats: random.array(aPerState ? stateSize * heads : heads).map { -Foundation.exp($0) })
        d = AlignedBuffer(floats: random.array(heads))
        bias = AlignedBuffer(floats: random.array(heads, scale: 2))
    }

    var channels: Int { heads * headDim }
    var bcWidth: Int { groups * stateSize }
    /// Row layout: x | dt | B | C | pad.
    var xAt: Int { 0 }
    var dtAt: Int { channels }
    var bAt: Int { channels + heads }
    var cAt: Int { bAt + bcWidth }
    var ld: Int { cAt + bcWidth + 1 }
    var outputWidth: Int { channels + 2 }
    var stateCount: Int { SelectiveScanKernel.stateFloats(channels: channels, stateSize: stateSize) }

    /// Blocks of `stateBlock` channels; the last block's lanes past `channels` are padding.
    func stateValues(_ state: AlignedBuffer) -> [Float] {
        let block = SelectiveScanKernel.stateBlock
        return state.floatArray(stateCount).enumerated().filter { index, _ in
            index / (block * stateSize) * block + index % block < channels
        }.map(\.element)
    }

    func inputs(rows: Int) -> AlignedBuffer {
        var random = TestRandom(seed: UInt64(rows) + 7)
        var values = random.array(rows * ld, scale: 1.5)
        // Step sizes are softplus outputs: positive, here in (0.005, 1.005).
        for r in 0..<rows { for h in 0..<heads { values[r * ld + dtAt + h] = abs(values[r * ld + dtAt + h]) / 1.5 + 0.005 } }
        return AlignedBuffer(floats: values)
    }

    func run(_ harness: KernelHarness, _ rowsBuffer: AlignedBuffer, rows: Range<Int>, position: RowPositions,
             state: AlignedBuffer, concurrently: Bool) -> [Float] {
        let out = AlignedBuffer(byteCount: rows.count * outputWidth * 4)
        let base = rowsBuffer.floats + rows.lowerBound * ld
        harness.run(rows: rows.count, concurrently: concurrently, [slot(base + xAt), slot(ld), slot(base + dtAt), slot(ld), slot(base + bAt), slot(ld),
                                       slot(base + cAt), slot(ld), slot(a.raw), slot(d.raw), slot(dtInScan ? bias.raw : nil),
                                       slot(out.raw), slot(outputWidth),
                                       slot(state.raw), position.argument, slot(rows.count)])
        return out.floatArray(rows.count * outputWidth)
    }

    func reference(_ v: AlignedBuffer, rows: Range<Int>) -> [Double] {
        let value = { (row: Int, column: Int) in Double(v.floats[row * ld + column]) }
        var out = [Double](repeating: 0, count: rows.count * outputWidth)
        for channel in 0..<channels {
            let head = channel / headDim, group = head / (heads / groups)
            var h = [Double](repeating: 0, count: stateSize)
            for (i, t) in rows.enumerated() {
                let raw = value(t, dtAt + head) + (dtInScan ? Double(bias.floats[head]) : 0)
                let (step, x) = (dtInScan ? ActivationReference.unary(.softplus, raw) : raw, value(t, xAt + channel))
                var y = Double(d.floats[head]) * x
                for j in 0..<stateSize {
                    let rate = Double(a.floats[aPerState ? j * heads + head : head])
                    h[j] = Foundation.exp(step * rate) * h[j] + step * x * value(t, bAt + group * stateSize + j)
                    y += value(t, cAt + group * stateSize + j) * h[j]
                }
                out[i * outputWidth + channel] = y
            }
        }
        return out
    }
}
