import Codegen
import Foundation
import XCTest

/// LayerNormKernel against an f64 torch.nn.LayerNorm reference (biased variance) on odd shapes, per-head groups,
/// with and without weight/bias/offset, in place and out of place, on both targets.
final class LayerNormKernelTests: XCTestCase {
    func testLayerNorm() throws {
        let configs: [(dim: Int, heads: Int, affine: Bool, bias: Bool, offset: Float, perHead: Bool)] = [
            (1, 1, true, true, 0, false), (17, 3, true, false, 0, false), (33, 1, true, true, 1, false),
            (100, 2, false, false, 0, false), (100, 1, false, true, 0, false), (64, 4, true, true, 0, false),
            (17, 3, true, true, 0, true), (33, 2, true, false, 1, true),
        ]
        for target in testTargets {
            for config in configs {
                let eps: Float = 1e-5
                let kernel = LayerNormKernel(dim: config.dim, eps: eps, affine: config.affine, bias: config.bias,
                                             weightOffset: config.offset, perHeadParameters: config.perHead)
                let harness = try KernelHarness(kernel, target: target)
                var random = TestRandom(seed: UInt64(config.dim * 7 + config.heads))
                let parameters = config.perHead ? config.dim * config.heads : config.dim
                let weight = AlignedBuffer(floats: random.array(parameters, scale: 2))
                let shift = AlignedBuffer(floats: random.array(parameters))
                let width = config.heads * config.dim
                for rows in [1, 3, 17] {
                    for inPlace in [false, true] {
                        let ldx = width + 3
                        let ldo = inPlace ? ldx : width + 1
                        // An offset mean per row exercises the centring.
                        let x0 = (0..<(rows * ldx)).map { random.next() * 3 + Float($0 / ldx % 5) - 2 }
                        let x = AlignedBuffer(floats: x0)
                        let out0 = inPlace ? x0 : random.array(rows * ldo)
                        let out = inPlace ? x : AlignedBuffer(floats: out0)
                        harness.run(rows: rows, [slot(x.raw), slot(ldx), slot(config.heads), slot(weight.raw), slot(shift.raw),
                                                 slot(out.raw), slot(ldo), slot(rows)])
                        var expected = out0.map(Double.init), magnitude = out0.map { abs(Double($0)) }
                        for r in 0..<rows {
                            for h in 0..<config.heads {
                                let v = (0..<config.dim).map { Double(x0[r * ldx + h * config.dim + $0]) }
                                let mean = v.reduce(0, +) / Double(config.dim)
                                let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(config.dim)
                                let inverse = 1 / (variance + Double(eps)).squareRoot()
                                for i in 0..<config.dim {
                                    let p = config.perHead ? h * config.dim + i : i
                                    let w = config.affine ? Double(weight.floats[p]) + Double(config.offset) : 1
                                    let b = config.bias ? Double(shift.floats[p]) : 0
                                    let index = r * ldo + h * config.dim + i
                                    expected[index] = (v[i] - mean) * inverse * w + b
                                    magnitude[index] = (abs(v[i]) + abs(mean)) * inverse * abs(w) + abs(b)
                                }
                            }
                        }
                        assertClose(out.floatArray(rows * ldo), expected, magnitude: magnitude, relative: 4e-6,
                                    "\(kernel.symbol) heads \(config.heads) rows \(rows) inPlace \(inPlace) \(target.name)")
                    }
                }
            }
        }
    }
}
