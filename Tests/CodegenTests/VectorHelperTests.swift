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

    func testExpAccuracyAndSpecialValues() throws {
        var inputs: [Float] = stride(from: Float(-110), through: 95, by: 0.0137).map { $0 }
        inputs += [0, -0.0, 1, -1, 88.72283, 88.7229, 89, 1e30, -1e30, .infinity, -.infinity, -87.33, -103.2, -103.9, 1e-8]
        while inputs.count % 16 != 0 { inputs.append(0.5) }
        for target in testTargets {
            let (jit, fn) = try compile("exp_test", target: target) { m, input, output, lanes in
                m.forLoop(from: m.constI64(0), to: m.constI64(inputs.count), step: lanes) { i in
                    let x = m.loadF32Vector(m.gepF32(input, i), lanes)
                    m.storeVector(m.exp(x), m.gepF32(output, i))
                }
            }
            var outputs = [Float](repeating: 0, count: inputs.count)
            fn(inputs, &outputs)
            _ = jit
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
            let nanIn = [Float](repeating: .nan, count: 16)
            var nanOut = [Float](repeating: 0, count: 16)
            let (jit2, nanFn) = try compile("exp_nan", target: target) { m, input, output, lanes in
                for offset in stride(from: 0, to: 16, by: lanes) {
                    m.storeVector(m.exp(m.loadF32Vector(m.gepF32(input, m.constI64(offset)), lanes)),
                                  m.gepF32(output, m.constI64(offset)))
                }
            }
            nanFn(nanIn, &nanOut)
            _ = jit2
            XCTAssertTrue(nanOut.allSatisfy(\.isNaN), "exp(NaN) must be NaN")
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
