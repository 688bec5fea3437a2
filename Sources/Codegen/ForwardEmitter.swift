import CLLVM
import IR

/// Emits a model's entry points into an LLVM module: `llmc_forward` (straight-line calls of the graph's kernels with
/// arena and weight offsets baked in), the `llmc_model` table the runtime reads, and `main`.
///
/// forward(st, tokens, n, pos, logits): st is `llmc_model_state*` {weights, kv, arena, max_ctx}; see llmc_abi.h.
public struct ForwardEmitter {
    public let graph: Graph
    public let plan: MemoryPlan
    public let weights: WeightPlan
    public let target: TargetSpec
    /// Where each layer's K and V live and in which format.
    public let kvCache: KVCacheLayout

    public init(graph: Graph, plan: MemoryPlan, weights: WeightPlan, target: TargetSpec, kvCache: KVCacheLayout) {
        self.graph = graph
        self.plan = plan
        self.weights = weights
        self.target = target
        self.kvCache = kvCache
    }

    /// Distinct kernels the model uses (after deduplication by symbol).
    public private(set) var kernelSymbols: Set<String> = []

    /// Emits everything into `module`; returns the number of distinct kernels.
    @discardableResult
    public mutating func emit(into m: ModuleBuilder) throws -> Int {
        let forwardType = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.i64Type, m.i64Type, m.ptrType])
        var failure: Error?
        var symbols = Set<String>()
        let forward = m.defineFunction("llmc_forward", forwardType, linkage: LLVMInternalLinkage, target: target) { fn in
            var frame = Frame(m: m, fn: fn)
            do {
                try emitRopeTables(&frame)
                for (index, node) in graph.nodes.enumerated() {
                    try emit(node, index: index, frame: &frame)
                }
            } catch {
                failure = error
            }
            symbols = frame.symbols
            m.retVoid()
        }
        if let failure { throw failure }
        kernelSymbols = symbols
        emitModelTable(m, forward: forward)
        return symbols.count
    }

    // MARK: - Per-call state

    /// Values loaded once at the top of the forward function, and the reusable argument slots.
    struct Frame {
        let m: ModuleBuilder
        let weightsBase: LLVMValueRef
        let kvBase: LLVMValueRef
        let arenaBase: LLVMValueRef
        let maxCtx: LLVMValueRef
        let tokens: LLVMValueRef
        let n: LLVMValueRef
        let pos: LLVMValueRef
        let logits: LLVMValueRef
        let slots: LLVMValueRef
        var symbols: Set<String> = []

        init(m: ModuleBuilder, fn: LLVMValueRef) {
            self.m = m
            let st = m.param(fn, 0)
            weightsBase = m.load(m.ptrType, st, align: 8)
            kvBase = m.load(m.ptrType, m.gep(m.i64Type, st, m.constI64(1)), align: 8)
            arenaBase = m.load(m.ptrType, m.gep(m.i64Type, st, m.constI64(2)), align: 8)
            maxCtx = m.load(m.i64Type, m.gep(m.i64Type, st, m.constI64(3)), align: 8)
            tokens = m.param(fn, 1)
            n = m.param(fn, 2)
            pos = m.param(fn, 3)
            logits = m.param(fn, 4)
            slots = m.alloca(m.i64Type, count: 16)
        }

        /// Stores `args` (pointers or i64) into the slots and runs `kernel` over `rows` through llmc_parallel_for.
        mutating func run(_ kernel: Kernel, target: TargetSpec, rows: LLVMValueRef, _ args: [LLVMValueRef]) {
            let fn = kernel.emit(in: m, target: target)
            symbols.insert(kernel.symbol)
            for (i, arg) in args.enumerated() {
                let value = LLVMGetTypeKind(LLVMTypeOf(arg)) == LLVMPointerTypeKind ? m.ptrToInt(arg) : arg
                _ = m.store(value, m.gep(m.i64Type, slots, m.constI64(i)), align: 8)
            }
            let tasks = kernel.taskCount(rows: rows, in: m, target: target)
            let parallelFor = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.i64Type])
            _ = m.callExternal("llmc_parallel_for", parallelFor, [fn, slots, tasks])
        }

        /// Byte offset `bytes` from `base`.
        func offset(_ base: LLVMValueRef, _ bytes: LLVMValueRef) -> LLVMValueRef { m.gep(m.i8Type, base, bytes) }
    }

    // MARK: - Ops

    private func rows(of value: ValueID, _ f: Frame) -> LLVMValueRef {
        graph[value].type.rows == .tokens ? f.n : f.m.constI64(1)
    }

    private func pointer(_ value: ValueID, _ f: Frame) -> LLVMValueRef {
        let loc = plan.locations[value.index]
        let m = f.m
        let base: LLVMValueRef = switch loc.base {
        case .arena(let bytes): f.offset(f.arenaBase, m.constI64(bytes))
        case .tokens: f.tokens
        case .logits: f.logits
        }
        var element = m.constI64(loc.column)
        if loc.lastRowOfTokens { element = m.add(element, m.mul(m.sub(f.n, m.constI64(1)), m.constI64(loc.ld))) }
        return m.gepF32(base, element)
    }

    private func ld(_ value: ValueID, _ f: Frame) -> LLVMValueRef { f.m.constI64(plan.locations[value.index].ld) }

    private func weight(_ ref: WeightRef, _ f: Frame) -> LLVMValueRef {
        f.offset(f.weightsBase, f.m.constI64(weights[ref].offset))
    }

    private func format(_ ref: WeightRef) -> WeightFormat {
        switch weights[ref].layout {
        case .matmul(let format), .embeddingRows(let format): format
        case .vector: .f32
        }
    }

    private func emitRopeTables(_ f: inout Frame) throws {
        for (key, offset) in plan.ropeTables.sorted(by: { $0.value < $1.value }) {
            let kernel = RopeTableKernel(rotaryDim: key.rotaryDim, invFreq: key.invFreq, attentionScaling: key.attentionScaling,
                                         longContext: key.longContext)
            f.run(kernel, target: target, rows: f.n, [f.offset(f.arenaBase, f.m.constI64(offset)), f.pos, f.n])
        }
    }

    private func emit(_ node: Node, index: Int, frame f: inout Frame) throws {
        let m = f.m
        let out = ValueID(index)
        let rows = node.type.rows == .tokens ? f.n : m.constI64(1)
        switch node.op {
        case .tokenIDs, .slice, .lastRow:
            return
        case .embedding(let ids, let table):
            let (vocab, dim, fmt) = (table.shape[0], table.shape[1], format(table))
            let kernel: Kernel = switch weights[table].layout {
            case .matmul where fmt.isQuantized: QuantEmbeddingKernel(vocab: vocab, dim: dim, weight: fmt)
            case .matmul: EmbeddingKernel(vocab: vocab, dim: dim, weight: fmt, layout: .matmulPacked)
            default: EmbeddingKernel(vocab: vocab, dim: dim, weight: fmt, layout: .rows)
            }
            f.run(kernel, target: target, rows: rows, [pointer(ids, f), weight(table, f), pointer(out, f), ld(out, f), rows])
        case .rmsNorm(let x, let w, let eps, let group, let offset):
            let kernel = RMSNormKernel(dim: group, eps: eps, weightOffset: offset, affine: w != nil)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), m.constI64(node.type.cols / group),
                                                       w.map { weight($0, f) } ?? m.constI64(0), pointer(out, f), ld(out, f), rows])
        case .linear(let x, let w, let bias, let acc):
            let kernel = MatmulKernel(k: w.shape[1], n: w.shape[0], weight: format(w), bias: bias != nil, accumulate: acc != nil)
            let biasPointer = bias.map { weight($0, f) } ?? m.constI64(0)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), weight(w, f), biasPointer,
                                                       pointer(out, f), ld(out, f), rows])
        case .rope(let x, let spec):
            let key = MemoryPlan.RopeTableKey(rotaryDim: spec.rotaryDim, invFreq: spec.invFreq, attentionScaling: spec.attentionScaling,
                                              longContext: spec.longContext)
            guard let tableOffset = plan.ropeTables[key] else { throw CompileError.unsupportedOp(node.name, "rope table missing") }
            let kernel = RopeKernel(headDim: spec.headDim, rotaryDim: spec.rotaryDim, heads: spec.heads, style: spec.style)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), f.offset(f.arenaBase, m.constI64(tableOffset)),
                                                       pointer(out, f), ld(out, f), rows])
        case .attention(let q, let k, let v, let spec):
            guard spec.causal || spec.window == nil else {
                throw CompileError.unsupportedOp(node.name, "a sliding window needs causal attention")
            }
            let (format, kvBase, maxCtx, pos) = (kvCache.format, f.kvBase, f.maxCtx, f.pos)
            let region = { (coefficient: Int) in m.gep(m.i8Type, kvBase, m.mul(m.constI64(coefficient), maxCtx)) }
            let codes = kvCache.codes(spec.cacheSlot)
            let (kCache, vCache) = (region(codes.k), region(codes.v))
            let scales = format.hasScales ? kvCache.scales(spec.cacheSlot) : nil
            let (kScales, vScales) = (scales.map { region($0.k) } ?? m.constI64(0), scales.map { region($0.v) } ?? m.constI64(0))
            let firstRow = { (base: LLVMValueRef) in format.element(m, base, m.mul(pos, m.constI64(spec.kvHeads * spec.headDim))) }
            let firstScale = { (base: LLVMValueRef) in scales == nil ? base : m.gepF32(base, pos) }
            let write = KVWriteKernel(kvHeads: spec.kvHeads, headDim: spec.headDim, format: format)
            // Without k and v (KV sharing) the slot already holds this call's rows, written by an earlier layer.
            for (source, cache, scale) in [(k, kCache, kScales), (v, vCache, vScales)] {
                guard let source else { continue }
                f.run(write, target: target, rows: rows, [pointer(source, f), ld(source, f), firstRow(cache), firstScale(scale),
                                                          f.maxCtx, rows])
            }
            let kernel = AttentionKernel(qHeads: spec.qHeads, kvHeads: spec.kvHeads, headDim: spec.headDim, scale: spec.scale, window: spec.window,
                                         softcap: spec.softcap, alibiSlopes: spec.alibiSlopes, causal: spec.causal, cache: format)
            f.run(kernel, target: target, rows: rows, [pointer(q, f), ld(q, f), kCache, vCache, pointer(out, f), ld(out, f), f.pos, rows,
                                                       kScales, vScales, f.maxCtx])
        case .gatedActivation(let gate, let up, let act):
            guard plan.locations[gate.index].ld == plan.locations[up.index].ld else {
                throw CompileError.unsupportedOp(node.name, "gate and up rows have different strides")
            }
            let kernel = GatedActivationKernel(ff: node.type.cols, activation: act)
            f.run(kernel, target: target, rows: rows, [pointer(gate, f), pointer(up, f), ld(gate, f), pointer(out, f), ld(out, f), rows])
        case .layerNorm(let x, let w, let bias, let eps, let group, let offset):
            let perHead = [w, bias].contains { $0.map { $0.count != group } ?? false }
            let kernel = LayerNormKernel(dim: group, eps: eps, affine: w != nil, bias: bias != nil, weightOffset: offset,
                                         perHeadParameters: perHead)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), m.constI64(node.type.cols / group),
                                                       w.map { weight($0, f) } ?? m.constI64(0),
                                                       bias.map { weight($0, f) } ?? m.constI64(0), pointer(out, f), ld(out, f), rows])
        case .unary(let x, let op):
            f.run(UnaryKernel(width: node.type.cols, op: op), target: target, rows: rows,
                  [pointer(x, f), ld(x, f), pointer(out, f), ld(out, f), rows])
        case .scale(let x, let factor):
            f.run(UnaryKernel(width: node.type.cols, op: .scale(factor)), target: target, rows: rows,
                  [pointer(x, f), ld(x, f), pointer(out, f), ld(out, f), rows])
        case .add(let a, let b), .mul(let a, let b), .div(let a, let b):
            let op: BinaryOp = switch node.op {
            case .add: .add
            case .mul: .mul
            default: .div
            }
            let broadcast = graph[b].type.cols != node.type.cols
            f.run(BinaryKernel(width: node.type.cols, op: op, broadcastB: broadcast), target: target, rows: rows,
                  [pointer(a, f), ld(a, f), pointer(b, f), ld(b, f), pointer(out, f), ld(out, f), rows])
        case .rowStatistic(let x, let statistic):
            f.run(RowStatisticKernel(width: graph[x].type.cols, statistic: statistic), target: target, rows: rows,
                  [pointer(x, f), ld(x, f), pointer(out, f), ld(out, f), rows])
        case .blockMix(let x, let c, let blocks):
            let kernel = BlockMixKernel(width: graph[x].type.cols / blocks, blocks: blocks, outputs: graph[c].type.cols / blocks)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), pointer(c, f), ld(c, f), pointer(out, f), ld(out, f), rows])
        case .concat(let parts):
            var column = 0
            for part in parts {
                let width = graph[part].type.cols
                f.run(CopyRowsKernel(width: width), target: target, rows: rows,
                      [pointer(part, f), ld(part, f), m.gepF32(pointer(out, f), m.constI64(column)), ld(out, f), rows])
                column += width
            }
        case .positionEmbedding(let x, let table, let offset):
            if plan.locations[x.index] != plan.locations[index] {
                f.run(CopyRowsKernel(width: node.type.cols), target: target, rows: rows,
                      [pointer(x, f), ld(x, f), pointer(out, f), ld(out, f), rows])
            }
            let kernel = PositionEmbeddingKernel(positions: table.shape[0], dim: table.shape[1], weight: format(table),
                                                 offset: offset, accumulate: true)
            f.run(kernel, target: target, rows: rows, [weight(table, f), pointer(out, f), ld(out, f), f.pos, rows])
        }
    }

    // MARK: - Model table and main

    private func emitModelTable(_ m: ModuleBuilder, forward: LLVMValueRef) {
        var fields: [LLVMTypeRef?] = [m.i32Type, m.i32Type, m.i64Type, m.i64Type, m.i64Type, m.i64Type, m.ptrType]
        let tableType = LLVMStructTypeInContext(m.context, &fields, UInt32(fields.count), 0)!
        var values: [LLVMValueRef?] = [
            m.constI32(1), m.constI32(0), m.constI64(graph.info.vocabSize), m.constI64(plan.maxBatch),
            m.constI64(plan.arenaBytes), m.constI64(kvCache.bytesPerPosition), forward,
        ]
        let initializer = LLVMConstNamedStruct(tableType, &values, UInt32(values.count))
        let table = LLVMAddGlobal(m.module, tableType, "llmc_model_table")!
        LLVMSetInitializer(table, initializer)
        LLVMSetGlobalConstant(table, 1)
        LLVMSetLinkage(table, LLVMInternalLinkage)

        let mainType = m.functionType(m.i32Type, [m.i32Type, m.ptrType])
        _ = m.defineFunction("main", mainType, target: target) { fn in
            let llmcMain = m.functionType(m.i32Type, [m.i32Type, m.ptrType, m.ptrType])
            m.ret(m.callExternal("llmc_run_main", llmcMain, [m.param(fn, 0), m.param(fn, 1), table]))
        }
    }
}
