// Kernel benchmark: JIT-compiles llmc kernels, runs them through the runtime's llmc_parallel_for (and on one
// thread; timed by thread CPU time) and prints GB/s (decode GEMV: packed weight bytes streamed per second) and
// GOP/s (prefill GEMM, attention) for every weight format (f32, bf16, int8, int4) next to OpenBLAS in the same run.
// Usage: KernelBench [avx512|avx512-bf16|avx2|native] [--quick] [decode] [prefill] [attention] (default: all sections)
import CBLAS
import Codegen
import Foundation
import RuntimeLib

let arguments = CommandLine.arguments.dropFirst()
let target: TargetSpec = arguments.contains("avx2") ? .avx2 : arguments.contains("native") ? .native
    : arguments.contains("avx512-bf16") ? .avx512BF16 : .avx512
let quick = arguments.contains("--quick")
let sections = Set(arguments.filter { ["decode", "prefill", "attention"].contains($0) })
func wanted(_ section: String) -> Bool { sections.isEmpty || sections.contains(section) }

/// Scratch memory filled with small pseudo-random values; 2 MiB aligned with transparent huge pages requested, like
/// the runtime's KV cache and arena.
final class Buffer {
    let raw: UnsafeMutableRawPointer
    init(bytes: Int, seed: UInt32 = 1) {
        raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 2 << 20)
        madvise(raw, max(bytes, 64), MADV_HUGEPAGE)
        let floats = raw.bindMemory(to: Float.self, capacity: bytes / 4)
        var state = seed
        for i in 0..<(bytes / 4) {
            state = state &* 1_664_525 &+ 1_013_904_223
            floats[i] = Float(Int32(bitPattern: state) >> 8) / Float(1 << 24)
        }
    }
    deinit { raw.deallocate() }
    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
    var address: Int64 { Int64(Int(bitPattern: raw)) }
}

/// Median time in seconds of `body` over `repeats` runs after one warm-up: the calling thread's CPU time for
/// one-thread runs (robust against other processes on the machine), wall time otherwise. `prepare` runs untimed
/// before each run.
func measure(repeats: Int, threads: Int = 2, prepare: () -> Void = {}, _ body: () -> Void) -> Double {
    let clock = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC
    func now() -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    prepare()
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        prepare()
        let start = now()
        body()
        times.append(now() - start)
    }
    return times.sorted()[times.count / 2]
}

/// Streams through 64 MiB so that earlier data (weights, a KV cache) is no longer cached, as after a decode step's weights.
nonisolated(unsafe) let evictionBuffer = Buffer(bytes: 64 << 20)
func evictCaches() {
    var sum: Float = 0
    for index in stride(from: 0, to: 16 << 20, by: 16) { sum += evictionBuffer.floats[index] }
    if sum == .infinity { print(sum) }
}

func run(_ kernel: CompiledKernel, rows: Int, _ args: UnsafePointer<Int64>, threads: Int) {
    if threads == 1 {
        kernel.runSerially(rows: rows, args: args)
    } else {
        llmc_parallel_for(kernel.function, args, Int64(kernel.taskCount(rows: rows)))
    }
}

func format(_ value: Double) -> String { String(format: "%7.1f", value) }

// MARK: Decode: one row through every linear layer of SmolLM2-135M (30 layers, weights far larger than L3), with
// the projections fused as the compiler emits them (q/k/v → 960 columns, gate/up → 3072), and the LM head.

let layerShapes = [(576, 960), (576, 576), (576, 3072), (1536, 576)]  // (k, n)
let lmHead = (576, 49152)
let layers = quick ? 8 : 30
let weightFormats = WeightFormat.allCases + WeightFormat.quantizedCases

/// A packed weight of `format` in a fresh buffer: f32/bf16 get the buffer's pseudo-random values; int8/int4 get a
/// copy of `template` (a real quantization of pseudo-random values, so scales are well-formed).
func packedWeight(k: Int, n: Int, format: WeightFormat, template: Buffer?) -> Buffer {
    let bytes = MatmulKernel.packedBytes(k: k, n: n, weight: format)
    let buffer = Buffer(bytes: bytes)
    if let template { buffer.raw.copyMemory(from: template.raw, byteCount: bytes) }
    return buffer
}

/// The packed quantization of a pseudo-random [n][k] matrix, or nil for f32/bf16.
func quantizedTemplate(k: Int, n: Int, format: WeightFormat) -> Buffer? {
    guard format.isQuantized else { return nil }
    let source = Buffer(bytes: n * k * 4, seed: 7)
    let packed = Buffer(bytes: MatmulKernel.packedBytes(k: k, n: n, weight: format))
    MatmulKernel.pack(UnsafeBufferPointer(start: source.floats, count: n * k), k: k, n: n, weight: format, into: packed.raw)
    return packed
}

/// GEMV (rows = 1) over `shapes` repeated `repeats` times, each matrix in its own buffer; prints weight GB/s.
/// With `cold`, caches are evicted before each run (a single matrix smaller than L3 would stay cached otherwise).
func benchDecode(label: String, shapes: [(Int, Int)], repeats: Int, weight: WeightFormat, cold: Bool) throws {
    var kernels: [String: CompiledKernel] = [:], templates: [String: Buffer?] = [:]
    for (k, n) in shapes where kernels["\(k)x\(n)"] == nil {
        kernels["\(k)x\(n)"] = try CompiledKernel(MatmulKernel(k: k, n: n, weight: weight, bias: false, accumulate: false),
                                                  target: target)
        templates["\(k)x\(n)"] = quantizedTemplate(k: k, n: n, format: weight)
    }
    var matrices: [(CompiledKernel, Buffer, Int, Int)] = []
    for _ in 0..<repeats {
        for (k, n) in shapes {
            let key = "\(k)x\(n)"
            matrices.append((kernels[key]!, packedWeight(k: k, n: n, format: weight, template: templates[key]!), k, n))
        }
    }
    let bytes = matrices.reduce(0) { $0 + MatmulKernel.packedBytes(k: $1.2, n: $1.3, weight: weight) }
    let x = Buffer(bytes: 1536 * 4), y = Buffer(bytes: 49152 * 4)
    var args = [Int64](repeating: 0, count: 8)
    var line = "decode \(label) \(weight.rawValue) (\(bytes >> 20) MiB):"
    for threads in [1, 2] {
        let seconds = measure(repeats: 5, threads: threads, prepare: cold ? evictCaches : {}) {
            for (kernel, w, k, n) in matrices {
                args[0] = x.address; args[1] = Int64(k); args[2] = w.address; args[3] = 0
                args[4] = y.address; args[5] = Int64(n); args[6] = 1
                args.withUnsafeBufferPointer { run(kernel, rows: 1, $0.baseAddress!, threads: threads) }
            }
        }
        line += " \(threads)T \(format(Double(bytes) / seconds / 1e9)) GB/s \(String(format: "%6.2f", seconds * 1e3)) ms"
    }
    print(line)
    if weight == .f32 {
        let plain = matrices.map { Buffer(bytes: $0.2 * $0.3 * 4) }
        var line = "decode \(label) OpenBLAS sgemv f32:"
        for threads in [1, 2] {
            openblas_set_num_threads(Int32(threads))
            let seconds = measure(repeats: 5, threads: threads, prepare: cold ? evictCaches : {}) {
                for (index, buffer) in plain.enumerated() {
                    let (k, n) = (matrices[index].2, matrices[index].3)
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, buffer.floats, Int32(k), x.floats, 1, 0,
                                y.floats, 1)
                }
            }
            line += " \(threads)T \(format(Double(bytes) / seconds / 1e9)) GB/s"
        }
        print(line)
    }
}

// MARK: Prefill: GEMMs of a prompt chunk (GOP/s = 2·rows·k·n per second; GFLOP/s for f32/bf16).

func benchPrefill(rows: Int, k: Int, n: Int, weight: WeightFormat) throws {
    let kernel = try CompiledKernel(MatmulKernel(k: k, n: n, weight: weight, bias: false, accumulate: false), target: target)
    let w = packedWeight(k: k, n: n, format: weight, template: quantizedTemplate(k: k, n: n, format: weight))
    let x = Buffer(bytes: rows * k * 4), y = Buffer(bytes: rows * n * 4)
    let args = [x.address, Int64(k), w.address, 0, y.address, Int64(n), Int64(rows)]
    let flops = 2.0 * Double(rows * k * n)
    var line = "prefill \(rows)x\(k)x\(n) \(weight.rawValue):"
    for threads in [1, 2] {
        let seconds = measure(repeats: quick ? 3 : 7, threads: threads) {
            args.withUnsafeBufferPointer { run(kernel, rows: rows, $0.baseAddress!, threads: threads) }
        }
        line += " \(threads)T \(format(flops / seconds / 1e9)) GOP/s"
    }
    if weight == .f32 {
        let plain = Buffer(bytes: n * k * 4)
        for threads in [1, 2] {
            openblas_set_num_threads(Int32(threads))
            let seconds = measure(repeats: quick ? 3 : 7, threads: threads) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k), 1, x.floats, Int32(k),
                            plain.floats, Int32(k), 0, y.floats, Int32(n))
            }
            line += " | OpenBLAS \(threads)T \(format(flops / seconds / 1e9))"
        }
    }
    print(line)
}

// MARK: Attention (SmolLM2-135M: 9 query heads, 3 kv heads, head_dim 64), for each KV cache format.

/// A KV cache half of `positions` rows in `format`: codes of small values (bf16: rounded f32s; int8: codes in
/// [-127, 127]) and, for int8, per-head scales.
func cacheBuffers(_ format: KVCacheFormat, positions: Int, kvHeads: Int, headDim: Int, seed: UInt32) -> (codes: Buffer, scales: Buffer) {
    let count = positions * kvHeads * headDim
    let values = Buffer(bytes: count * 4, seed: seed)
    let codes = Buffer(bytes: count * format.elementBytes)
    for i in 0..<count {
        switch format {
        case .f32: codes.floats[i] = values.floats[i]
        case .bf16: codes.raw.storeBytes(of: BFloat16Bits.round(values.floats[i]), toByteOffset: 2 * i, as: UInt16.self)
        case .int8: codes.raw.storeBytes(of: Int8(values.floats[i] * 254), toByteOffset: i, as: Int8.self)
        }
    }
    return (codes, Buffer(bytes: kvHeads * positions * 4, seed: seed + 1))
}

func benchAttention(pos0: Int, rows: Int, cold: Bool, cache: KVCacheFormat) throws {
    let (qHeads, kvHeads, headDim) = (9, 3, 64)
    let kernel = try CompiledKernel(AttentionKernel(qHeads: qHeads, kvHeads: kvHeads, headDim: headDim,
                                                    scale: 0.125, window: nil, cache: cache), target: target)
    let context = pos0 + rows
    let keys = cacheBuffers(cache, positions: context, kvHeads: kvHeads, headDim: headDim, seed: 1)
    let values = cacheBuffers(cache, positions: context, kvHeads: kvHeads, headDim: headDim, seed: 3)
    let q = Buffer(bytes: rows * qHeads * headDim * 4), out = Buffer(bytes: rows * qHeads * headDim * 4)
    let args = [q.address, Int64(qHeads * headDim), keys.codes.address, values.codes.address, out.address,
                Int64(qHeads * headDim), Int64(pos0), Int64(rows), keys.scales.address, values.scales.address, Int64(context)]
    // QK^T and PV over the visible keys only.
    let visible = (0..<rows).reduce(0.0) { $0 + Double(pos0 + $1 + 1) }
    let flops = 4.0 * Double(qHeads * headDim) * visible
    var line = "attention KV \(cache.rawValue) pos0 \(pos0) rows \(rows)\(cold ? " (KV not cached)" : ""):"
    for threads in [1, 2] {
        let seconds = measure(repeats: quick ? 3 : 7, threads: threads, prepare: cold ? evictCaches : {}) {
            args.withUnsafeBufferPointer { run(kernel, rows: rows, $0.baseAddress!, threads: threads) }
        }
        line += " \(threads)T \(String(format: "%8.1f", seconds * 1e6)) us \(format(flops / seconds / 1e9)) GFLOP/s"
    }
    print(line)
}

print("target \(target.name) (cpu \(target.cpu), \(target.vectorWidth) lanes), runtime threads: 2")
_ = llmc_threadpool_init(2)
if wanted("decode") {
    for weight in weightFormats {
        try benchDecode(label: "\(layers) layers", shapes: layerShapes, repeats: layers, weight: weight, cold: false)
    }
    for weight in weightFormats { try benchDecode(label: "lm_head", shapes: [lmHead], repeats: 1, weight: weight, cold: true) }
}
if wanted("prefill") {
    for (rows, k, n) in [(17, 576, 3072), (512, 576, 960), (512, 576, 576), (512, 576, 3072), (512, 1536, 576)] {
        for weight in weightFormats { try benchPrefill(rows: rows, k: k, n: n, weight: weight) }
    }
}
if wanted("attention") {
    for cache in KVCacheFormat.allCases {
        for pos0 in [500, 1000, 4000] {
            try benchAttention(pos0: pos0, rows: 1, cold: false, cache: cache)
            try benchAttention(pos0: pos0, rows: 1, cold: true, cache: cache)
        }
        try benchAttention(pos0: 0, rows: 512, cold: false, cache: cache)
    }
}
