import CLLVM
import Codegen
import Foundation
import XCTest

/// The vector helpers kernels build on (exp, reductions, transpose-and-sum), JIT-compiled for both widths.
final class VectorHelperTests: XCTestCase {
    private typealias ArrayFunction = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void

    /// JITs `void f(const float* in, float* out)` whose body `body(module, in, out, lanes)` emits.
    private func compile(
        _ name: String, target: TargetSpec, body: (ModuleBuilder, LLVMValueRef, LLVMValueRef, Int) -> Void
    ) throws -> (KernelJIT, ArrayFunction) {
        let module = ModuleBuilder(name: name)
        module.defineFunction(name, module.functionType(module.voidType, [module.ptrType, module.ptrType]), target: target) { fn in
            body(module, module.param(fn, 0), module.param(fn, 1), target.vectorWidth)
            module.retVoid()
        }
        let jit = try KernelJIT()
        try jit.add(module, target: target)
        return (jit, unsafeBitCast(UInt(try jit.address(of: name)), to: ArrayFunction.self))
    }

    /// Applies the elementwise vector function `f` (emitted for the target's width) to `inputs` through the JIT.
    private func evaluate(
        _ name: String, target: TargetSpec, _ inputs: [Float], _ f: @escaping (ModuleBuilder, LLVMValueRef) -> LLVMValueRef
    ) throws -> [Float] {
        let padded = inputs + [Float](repeating: 0.5, count: (16 - inputs.count % 16) % 16)
        let (jit, fn) = try compile(name, target: target) { m, input, output, lanes in
            m.forLoop(from: m.constI64(0), to: m.constI64(padded.count), step: lanes) { i in
                m.storeVector(f(m, m.loadF32Vector(m.gepF32(input, i), lanes)), m.gepF32(output, i))
            }
        }
        var outputs = [Float](repeating: 0, count: padded.count)
        fn(padded, &outputs)
        withExtendedLifetime(jit) {}
        return Array(outputs[..<inputs.count])
    }

    /// The largest error in ulps of the expected f32 value (subnormal and zero expectations measured in units of
    /// the smallest normal's ulp), naming the worst input.
    private func worstUlps(_ inputs: [Float], _ outputs: [Float], _ reference: (Double) -> Double) -> (Float, Float) {
        var worst: (ulps: Float, input: Float) = (0, 0)
        for (x, y) in zip(inputs, outputs) {
            let exact = reference(Double(x))
            let unit = Double(max(abs(Float(exact)), Float.leastNormalMagnitude).ulp)
            let ulps = Float(abs(Double(y) - exact) / unit)
            if !(ulps <= worst.ulps) { worst = (ulps, x) }
        }
        return worst
    }

    func testExpAccuracyAndSpecialValues() throws {
        var inputs: [Float] = stride(from: Float(-110), through: 95, by: 0.0137).map { $0 }
        inputs += [0, -0.0, 1, -1, 88.72283, 88.7229, 89, 1e30, -1e30, .infinity, -.infinity, -87.33, -103.2, -103.9, 1e-8]
        for target in testTargets {
            let outputs = try evaluate("exp_test", target: target, inputs) { $0.exp($1) }
            var worstUlps: Float = 0
            for (x, y) in zip(inputs, outputs) {
                let expected = Float(Foundation.exp(Double(x)))
                if expected.isInfinite {
                    XCTAssertEqual(y, expected, "exp(\(x))")
                    continue
                }
                if !expected.isNormal {
                    XCTAssertLessThanOrEqual(abs(y - expected), Float.leastNonzeroMagnitude * 4, "exp(\(x)) = \(y), expected \(expected)")
                    continue
                }
                worstUlps = max(worstUlps, abs(y - expected) / expected.ulp)
            }
            XCTAssertLessThanOrEqual(worstUlps, 2, "\(target.name): worst error \(worstUlps) ulp")
            let nan = try evaluate("exp_nan", target: target, [Float](repeating: .nan, count: 16)) { $0.exp($1) }
            XCTAssertTrue(nan.allSatisfy(\.isNaN), "exp(NaN) must be NaN")
        }
    }

    /// Asserts that `f` stays within `maxUlps` of `reference` on a dense grid over `range` plus both signs around the
    /// branch `boundaries` and tiny magnitudes (those inside `range`), on both targets.
    private func checkAccuracy(
        _ name: String, range: ClosedRange<Float>, boundaries: [Float], maxUlps: Float,
        _ f: @escaping (ModuleBuilder, LLVMValueRef) -> LLVMValueRef, reference: (Double) -> Double
    ) throws {
        var inputs = Array(stride(from: range.lowerBound, through: range.upperBound, by: 0.000731))
        for b in boundaries { inputs += stride(from: b - 0.01, through: b + 0.01, by: 1e-6).flatMap { [$0, -$0] } }
        inputs += [1e-30, 1e-10, 1e-5, 3e-3].flatMap { [$0, -$0] }
        inputs = inputs.filter { range.contains($0) }
        for target in testTargets {
            let outputs = try evaluate(name, target: target, inputs, f)
            let (ulps, worst) = worstUlps(inputs, outputs, reference)
            XCTAssertLessThanOrEqual(ulps, maxUlps, "\(target.name): \(name) worst \(ulps) ulp at \(worst)")
        }
    }

    /// `f` at `inputs` on both targets, for special-value checks.
    private func specialValues(
        _ name: String, _ inputs: [Float], _ f: @escaping (ModuleBuilder, LLVMValueRef) -> LLVMValueRef
    ) throws -> [[Float]] {
        try testTargets.map { try evaluate(name, target: $0, inputs, f) }
    }

    func testTanh() throws {
        try checkAccuracy("tanh", range: -12...12, boundaries: [0.625], maxUlps: 2, { $0.tanh($1) }) { Foundation.tanh($0) }
        for special in try specialValues("tanh_special", [.infinity, -.infinity, .nan, -0.0, 0, 1e30], { $0.tanh($1) }) {
            XCTAssertEqual(Array(special[0..<2]), [1, -1])
            XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(special[3].sign, .minus, "tanh(-0) = -0")
            XCTAssertEqual(Array(special[4...]), [0, 1])
        }
    }

    func testErf() throws {
        try checkAccuracy("erf", range: -6...6, boundaries: [1], maxUlps: 2, { $0.erf($1) }) { Foundation.erf($0) }
        for special in try specialValues("erf_special", [.infinity, -.infinity, .nan, 11, -0.0], { $0.erf($1) }) {
            XCTAssertEqual(Array(special[0..<2]), [1, -1])
            XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(special[3], 1)
            XCTAssertEqual(special[4].sign, .minus, "erf(-0) = -0")
        }
    }

    func testGeluErf() throws {
        // Relative accuracy everywhere, including the far negative tail where 1 + erf(x/√2) would cancel; tighter
        // near zero and for positive x.
        try checkAccuracy("gelu", range: -14.5...8, boundaries: [1.4142135, -0.70710678], maxUlps: 8,
                          { $0.geluErf($1) }, reference: ActivationReference.gelu)
        try checkAccuracy("gelu_near", range: -0.7...8, boundaries: [1.4142135], maxUlps: 3,
                          { $0.geluErf($1) }, reference: ActivationReference.gelu)
        for special in try specialValues("gelu_special", [.infinity, -.infinity, .nan, -20], { $0.geluErf($1) }) {
            XCTAssertEqual(special[0], .infinity)
            XCTAssertEqual(special[1], 0)
            XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(special[3], 0)
        }
    }

    func testReductionsAndTransposeSum() throws {
        for target in testTargets {
            let lanes = target.vectorWidth
            var random = TestRandom(seed: 5)
            let inputs = random.array(lanes * lanes, scale: 10)
            // out[0..<lanes] = transposeSum of the lanes input vectors; out[lanes] = max of vector 0, out[lanes+1] = sum.
            let (jit, fn) = try compile("reductions", target: target) { m, input, output, lanes in
                let vectors = (0..<lanes).map { m.loadF32Vector(m.gepF32(input, m.constI64($0 * lanes)), lanes) }
                let sums = m.transposeSum(lanes: lanes) { [vectors[$0]] }
                m.storeVector(sums[0], output)
                m.store(m.reduceMax(vectors[0]), m.gepF32(output, m.constI64(lanes)))
                m.store(m.reduceAdd(vectors[0]), m.gepF32(output, m.constI64(lanes + 1)))
            }
            var outputs = [Float](repeating: 0, count: lanes + 2)
            fn(inputs, &outputs)
            _ = jit
            for l in 0..<lanes {
                let expected = inputs[(l * lanes)..<((l + 1) * lanes)].reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(outputs[l]), expected, accuracy: 1e-4, "\(target.name) transposeSum lane \(l)")
            }
            XCTAssertEqual(outputs[lanes], inputs[0..<lanes].max())
            XCTAssertEqual(Double(outputs[lanes + 1]), inputs[0..<lanes].reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4)
        }
    }
}
