import CLLVM

/// A register-tiled bf16 matmul tile for `BF16PrefillMatmul`: `rows` rows of bf16 activation records × `panels`
/// bf16 weight panels (`MatmulPacking`'s k-pair layout), one `vdpbf16ps` per (row, panel) and k pair: the row's pair
/// broadcast to every lane against the panel's 16 column pairs. Emitted as an internal function
/// `void (ptr records, ptr w, ptr y, i64 ldy, ptr bias, i64 validCols, i1 loadY, i1 addBias)` where `records` holds
/// the tile's first row (rows `recordBytes` apart, `kPairs` pairs each) and `w` its first panel (panels `panelBytes`
/// apart); results go through `TileOutput`.
struct MatmulBF16MicroKernel {
    let rows: Int
    let panels: Int
    let kPairs: Int
    let recordBytes: Int
    let panelBytes: Int

    func name(prefix: String) -> String { "\(prefix).d\(rows)p\(panels)" }

    func emit(prefix: String, in m: ModuleBuilder, target: TargetSpec) -> LLVMValueRef {
        TileOutput.defineTile(m, name: name(prefix: prefix), inputs: [m.ptrType, m.ptrType], target: target) { inputs, output in
            emitBody(m, records: inputs[0], w: inputs[1], output: output)
        }
    }

    private func emitBody(_ m: ModuleBuilder, records: LLVMValueRef, w: LLVMValueRef, output: TileOutput) {
        let pairVector = m.vectorType(m.i32Type, 16)
        let initial = Array(repeating: LLVMConstNull(m.f32Vector(16))!, count: rows * panels)
        let sums = m.forLoop(from: m.constI64(0), to: m.constI64(kPairs), carrying: initial) { pair, acc in
            let weights = (0..<panels).map { p in
                m.load(pairVector, m.gep(m.i8Type, w, m.add(m.mul(pair, m.constI64(64)), m.constI64(p * panelBytes))),
                       align: 64)
            }
            var next = acc
            for r in 0..<rows {
                let pointer = m.gep(m.i8Type, records, m.add(m.mul(pair, m.constI64(4)), m.constI64(r * recordBytes)))
                let xs = m.splat(m.load(m.i32Type, pointer), 16)
                for p in 0..<panels { next[r * panels + p] = m.dotBF16Pairs(acc[r * panels + p], xs, weights[p]) }
            }
            return next
        }
        output.store(m, rows: rows, vectors: panels, lanes: 16) { r, p in sums[r * panels + p] }
    }
}
