import CLLVM
import IR

/// Emits a model's entry points into an LLVM module: `llmc_forward` for generative graphs and `llmc_encode` for
/// pooling graphs (straight-line calls of the graph's kernels with arena and weight offsets baked in; each entry runs
/// only the nodes its outputs need), the `llmc_model` table the runtime reads, and `main`.
///
/// forward(st, tokens, n, pos, logits): st is `llmc_model_state*` {weights, kv, arena, max_ctx, state}; see llmc_abi.h.
/// encode(st, batch, out): a packed batch of sequences (`llmc_encode_batch`), outputs copied to `llmc_encode_outputs`.
public struct ForwardEmitter {
    public let graph: Graph
    public let plan: MemoryPlan
    public let weights: WeightPlan
    public let target: TargetSpec
    /// Where each layer's K and V live and in which format.
    public let kvCache: KVCacheLayout
    /// Where each conv window and scan state lives (state-space layers).
    public let recurrentState: RecurrentStateLayout

    public init(graph: Graph, plan: MemoryPlan, weights: WeightPlan, target: TargetSpec, kvCache: KVCacheLayout,
                recurrentState: RecurrentStateLayout) {
        self.graph = graph
        self.plan = plan
        self.weights = weights
        self.target = target
        self.kvCache = kvCache
        self.recurrentState = recurrentState
    }

    /// Distinct kernels the model uses (after deduplication by symbol).
    public private(set) var kernelSymbols: Set<String> = []

    /// Emits everything into `module`; returns the number of distinct kernels.
    @discardableResult
    public mutating func emit(into m: ModuleBuilder) throws -> Int {
        var symbols = Set<String>()
        var forward: LLVMValueRef?
        if let logits = graph.logits {
            let type = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.i64Type, m.i64Type, m.ptrType])
            forward = try emitEntry("llmc_forward", type, in: m, outputs: [logits], symbols: &symbols) { Frame(forward: m, fn: $0) }
        }
        var encode: LLVMValueRef?
        if let pooling = graph.pooling {
            let type = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.ptrType])
            let zeros = zeroTypes(m)
            encode = try emitEntry("llmc_encode", type, in: m, outputs: pooling.values, symbols: &symbols) {
                Frame(encode: m, fn: $0, zeroTypes: zeros)
            } finish: { frame in
                try copyOutputs(pooling, frame: &frame)
            }
        }
        kernelSymbols = symbols
        emitModelTable(m, forward: forward, encode: encode)
        return symbols.count
    }

    /// Defines one entry point running the nodes `outputs` depend on, in graph order.
    private func emitEntry(
        _ name: String, _ type: LLVMTypeRef, in m: ModuleBuilder, outputs: [ValueID], symbols: inout Set<String>,
        frame makeFrame: (LLVMValueRef) -> Frame, finish: (inout Frame) throws -> Void = { _ in }
    ) throws -> LLVMValueRef {
        var live = Set(outputs.map(\.index))
        for index in graph.nodes.indices.reversed() where live.contains(index) {
            live.formUnion(graph.nodes[index].op.inputs.map(\.index))
        }
        // Values bound to the other entry point's parameters: `forward`'s logits, `encode`'s token types.
        let encode = name == "llmc_encode"
        if encode, let logits = graph.logits, live.contains(logits.index) {
            throw CompileError.unsupportedOp(graph[logits].name, "the generation logits also feed a pooling output")
        }
        if !encode, let types = live.first(where: { if case .tokenTypes = graph.nodes[$0].op { true } else { false } }) {
            throw CompileError.unsupportedOp(graph.nodes[types].name, "token types exist only in encode")
        }
        var failure: Error?
        var used = symbols
        let fn = m.defineFunction(name, type, linkage: LLVMInternalLinkage, target: target) { fn in
            var frame = makeFrame(fn)
            do {
                try emitRopeTables(&frame, live: live)
                for (index, node) in graph.nodes.enumerated() where live.contains(index) {
                    try emit(node, index: index, frame: &frame)
                }
                try finish(&frame)
            } catch {
                failure = error
            }
            used.formUnion(frame.symbols)
            m.retVoid()
        }
        if let failure { throw failure }
        symbols = used
        return fn
    }

    /// max_batch zero token types, read when an encode caller passes no token_types.
    private func zeroTypes(_ m: ModuleBuilder) -> LLVMValueRef {
        let type = LLVMArrayType2(m.i32Type, UInt64(plan.maxBatch))!
        let global = LLVMAddGlobal(m.module, type, "llmc_zero_token_types")!
        LLVMSetInitializer(global, LLVMConstNull(type))
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, LLVMPrivateLinkage)
        LLVMSetAlignment(global, 64)
        return global
    }

    /// Copies each pooling output the caller asked for (non-NULL pointer in `llmc_encode_outputs`) out of the arena.
    private func copyOutputs(_ pooling: PoolingOutputs, frame f: inout Frame) throws {
        let m = f.m
        guard let outputs = f.outputs else { return }
        let slots = [pooling.hidden, pooling.pooled, pooling.sequenceLogits, pooling.tokenLogits]
        for (slot, value) in slots.enumerated() {
            guard let value else { continue }
            let destination = m.load(m.ptrType, m.gep(m.ptrType, outputs, m.constI64(slot)), align: 8)
            let cols = graph[value].type.cols
            let rows = rows(of: value, f)
            m.ifThen(m.icmp(LLVMIntNE, m.ptrToInt(destination), m.constI64(0))) {
                f.run(CopyRowsKernel(width: cols), target: target, rows: rows,
                      [pointer(value, f), ld(value, f), destination, m.constI64(cols), rows])
            }
        }
    }

    // MARK: - Per-call state

    /// Values loaded once at the top of an entry point, and the reusable argument slots. `forward` frames have
    /// `logits`; `encode` frames have the batch's token types, positions, sequence starts and the outputs struct.
    struct Frame {
        let m: ModuleBuilder
        let weightsBase: LLVMValueRef
        let kvBase: LLVMValueRef
        let arenaBase: LLVMValueRef
        let maxCtx: LLVMValueRef
        let stateBase: LLVMValueRef
        let tokens: LLVMValueRef
        let n: LLVMValueRef
        let pos: LLVMValueRef
        let slots: LLVMValueRef
        var logits: LLVMValueRef?
        var tokenTypes: LLVMValueRef?
        var positions: LLVMValueRef?
        var seqStart: LLVMValueRef?
        var nSeqs: LLVMValueRef?
        var outputs: LLVMValueRef?
        var symbols: Set<String> = []

        /// The model state (parameter 0) and the call's tokens.
        private init(m: ModuleBuilder, fn: LLVMValueRef, tokens: LLVMValueRef, n: LLVMValueRef, pos: LLVMValueRef) {
            self.m = m
            let st = m.param(fn, 0)
            weightsBase = m.load(m.ptrType, st, align: 8)
            kvBase = m.load(m.ptrType, m.gep(m.i64Type, st, m.constI64(1)), align: 8)
            arenaBase = m.load(m.ptrType, m.gep(m.i64Type, st, m.constI64(2)), align: 8)
            maxCtx = m.load(m.i64Type, m.gep(m.i64Type, st, m.constI64(3)), align: 8)
            stateBase = m.load(m.ptrType, m.gep(m.i64Type, st, m.constI64(4)), align: 8)
            self.tokens = tokens
            self.n = n
            self.pos = pos
            slots = m.alloca(m.i64Type, count: 16)
        }

        /// forward(st, tokens, n, pos, logits).
        init(forward m: ModuleBuilder, fn: LLVMValueRef) {
            self.init(m: m, fn: fn, tokens: m.param(fn, 1), n: m.param(fn, 2), pos: m.param(fn, 3))
            logits = m.param(fn, 4)
        }

        /// encode(st, batch, out): fields of `llmc_encode_batch` are 8-byte slots in declaration order.
        init(encode m: ModuleBuilder, fn: LLVMValueRef, zeroTypes: LLVMValueRef) {
            let batch = m.param(fn, 1)
            let field = { (index: Int, type: LLVMTypeRef) in m.load(type, m.gep(m.i64Type, batch, m.constI64(index)), align: 8) }
            self.init(m: m, fn: fn, tokens: field(0, m.ptrType), n: field(4, m.i64Type), pos: m.constI64(0))
            let types = field(1, m.ptrType)
            tokenTypes = m.select(m.icmp(LLVMIntEQ, m.ptrToInt(types), m.constI64(0)), zeroTypes, types)
            positions = field(2, m.ptrType)
            seqStart = field(3, m.ptrType)
            nSeqs = field(5, m.i64Type)
            outputs = m.param(fn, 2)
        }

        /// The value a frame of the other entry point lacks, or an error naming the node that needs it.
        func require(_ value: LLVMValueRef?, _ node: String, _ what: String) throws -> LLVMValueRef {
            guard let value else { throw CompileError.unsupportedOp(node, "\(what) exists only in the other entry point") }
            return value
        }

        /// Where position-dependent kernels read positions in this entry point.
        var positionSource: PositionSource { positions == nil ? .consecutive : .perToken }

        /// Stores `args` (pointers or i64) into the slots and runs `kernel` over `rows` through llmc_parallel_for.
        mutating func run(_ kernel: Kernel, target: TargetSpec, rows: LLVMValueRef, _ args: [LLVMValueRef]) {
            symbols.insert(kernel.symbol)
            emitParallelFor(m, kernel, target: target, slots: slots, rows: rows, args)
        }

        /// Byte offset `bytes` from `base`.
        func offset(_ base: LLVMValueRef, _ bytes: LLVMValueRef) -> LLVMValueRef { m.gep(m.i8Type, base, bytes) }
    }

    // MARK: - Ops

    private func rows(of value: ValueID, _ f: Frame) -> LLVMValueRef {
        switch graph[value].type.rows {
        case .tokens: f.n
        case .last: f.m.constI64(1)
        case .sequences: f.nSeqs ?? f.m.constI64(0)
        }
    }

    private func pointer(_ value: ValueID, _ f: Frame) -> LLVMValueRef {
        let loc = plan.locations[value.index]
        let m = f.m
        let base: LLVMValueRef = switch loc.base {
        case .arena(let bytes): f.offset(f.arenaBase, m.constI64(bytes))
        case .tokens: f.tokens
        case .tokenTypes: f.tokenTypes ?? f.tokens
        case .logits: f.logits ?? f.arenaBase
        }
        var element = m.constI64(loc.column)
        if loc.lastRowOfTokens { element = m.add(element, m.mul(m.sub(f.n, m.constI64(1)), m.constI64(loc.ld))) }
        return m.gepF32(base, element)
    }

    private func ld(_ value: ValueID, _ f: Frame) -> LLVMValueRef { f.m.constI64(plan.locations[value.index].ld) }

    private func weight(_ ref: WeightRef, _ f: Frame) -> LLVMValueRef {
        f.offset(f.weightsBase, f.m.constI64(weights[ref].offset))
    }

    /// An optional weight's address, or a null slot.
    private func weight(_ ref: WeightRef?, _ f: Frame) -> LLVMValueRef {
        ref.map { weight($0, f) } ?? f.m.constI64(0)
    }

    private func format(_ ref: WeightRef) -> WeightFormat {
        switch weights[ref].layout {
        case .matmul(let format), .embeddingRows(let format): format
        case .vector: .f32
        }
    }

    private func emitRopeTables(_ f: inout Frame, live: Set<Int>) throws {
        for (key, offset) in plan.ropeTables.sorted(by: { $0.value < $1.value }) {
            if f.positions != nil && key.longContext != nil {
                throw CompileError.unsupportedOp("rope", "LongRoPE's long-context switch in encode (packed sequences)")
            }
            let kernel = RopeTableKernel(rotaryDim: key.rotaryDim, invFreq: key.invFreq, attentionScaling: key.attentionScaling,
                                         longContext: key.longContext, source: f.positionSource)
            f.run(kernel, target: target, rows: f.n, [f.offset(f.arenaBase, f.m.constI64(offset)), f.positions ?? f.pos, f.n])
        }
    }

    private func emit(_ node: Node, index: Int, frame f: inout Frame) throws {
        let m = f.m
        let out = ValueID(index)
        let rows = rows(of: out, f)
        switch node.op {
        case .tokenIDs, .tokenTypes, .slice:
            return
        case .lastRow:
            if f.positions != nil { throw CompileError.unsupportedOp(node.name, "the last row of a packed batch; use pool(last)") }
            return
        case .embedding(let ids, let table):
            let planned = weights.embeddingTable(table)
            let (vocab, dim) = (table.shape[0], table.shape[1])
            let kernel: Kernel = switch planned.layout {
            case .matmul(let fmt) where fmt.isQuantized: QuantEmbeddingKernel(vocab: vocab, dim: dim, weight: fmt)
            case .matmul(let fmt): EmbeddingKernel(vocab: vocab, dim: dim, weight: fmt, layout: .matmulPacked)
            case .embeddingRows(let fmt): EmbeddingKernel(vocab: vocab, dim: dim, weight: fmt, layout: .rows)
            case .vector: throw CompileError.unsupportedOp(node.name, "embedding table planned as a vector")
            }
            f.run(kernel, target: target, rows: rows, [pointer(ids, f), f.offset(f.weightsBase, m.constI64(planned.offset)),
                                                       pointer(out, f), ld(out, f), rows])
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
            let (format, kvBase, maxCtx, pos) = (kvCache.format, f.kvBase, f.maxCtx, f.pos)
            let region = { (coefficient: Int) in m.gep(m.i8Type, kvBase, m.mul(m.constI64(coefficient), maxCtx)) }
            let codes = kvCache.codes(spec.cacheSlot)
            let (kCache, vCache) = (region(codes.k), region(codes.v))
            let scales = format.hasScales ? kvCache.scales(spec.cacheSlot) : nil
            let (kScales, vScales) = (scales.map { region($0.k) } ?? m.constI64(0), scales.map { region($0.v) } ?? m.constI64(0))
            let (keyWidth, valueWidth) = (spec.kvHeads * spec.headDim, spec.kvHeads * spec.valueHeadDim)
            let row = { (base: LLVMValueRef, position: LLVMValueRef, width: Int) in format.element(m, base, m.mul(position, m.constI64(width))) }
            let firstScale = { (base: LLVMValueRef) in scales == nil ? base : m.gepF32(base, pos) }
            // Without k and v (KV sharing) the slot already holds this call's rows, written by an earlier layer.
            for (source, cache, scale, headDim) in [(k, kCache, kScales, spec.headDim), (v, vCache, vScales, spec.valueHeadDim)] {
                guard let source else { continue }
                let write = KVWriteKernel(kvHeads: spec.kvHeads, headDim: headDim, format: format)
                f.run(write, target: target, rows: rows, [pointer(source, f), ld(source, f), row(cache, pos, spec.kvHeads * headDim),
                                                          firstScale(scale), f.maxCtx, rows])
            }
            let sinks = weight(spec.sinks, f)
            let kernel = AttentionKernel(qHeads: spec.qHeads, kvHeads: spec.kvHeads, headDim: spec.headDim, scale: spec.scale, window: spec.window,
                                         softcap: spec.softcap, alibiSlopes: spec.alibiSlopes, causal: spec.causal, cache: format,
                                         valueDim: spec.valueHeadDim, sinks: spec.sinks != nil)
            if let seqStart = f.seqStart, let nSeqs = f.nSeqs {
                // Packed sequences: one call per sequence over its own rows and keys (block-diagonal attention).
                let (q0, o0) = (pointer(q, f), pointer(out, f))
                let (ldq, ldo) = (ld(q, f), ld(out, f))
                m.forLoop(from: m.constI64(0), to: nSeqs) { s in
                    let start = m.load(m.i64Type, m.gep(m.i64Type, seqStart, s), align: 8)
                    let end = m.load(m.i64Type, m.gep(m.i64Type, seqStart, m.add(s, m.constI64(1))), align: 8)
                    let length = m.sub(end, start)
                    let keyScales = { (base: LLVMValueRef) in scales == nil ? base : m.gepF32(base, start) }
                    f.run(kernel, target: target, rows: length, [m.gepF32(q0, m.mul(start, ldq)), ldq, row(kCache, start, keyWidth),
                                                                 row(vCache, start, valueWidth),
                                                                 m.gepF32(o0, m.mul(start, ldo)), ldo, m.constI64(0), length,
                                                                 keyScales(kScales), keyScales(vScales), maxCtx, sinks])
                }
            } else {
                f.run(kernel, target: target, rows: rows, [pointer(q, f), ld(q, f), kCache, vCache, pointer(out, f), ld(out, f), f.pos,
                                                           rows, kScales, vScales, f.maxCtx, sinks])
            }
        case .gatedActivation(let gate, let up, let act):
            let kernel = GatedActivationKernel(ff: node.type.cols, activation: act)
            f.run(kernel, target: target, rows: rows, [pointer(gate, f), ld(gate, f), pointer(up, f), ld(up, f), pointer(out, f),
                                                       ld(out, f), rows])
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
                                                 offset: offset, accumulate: true, source: f.positionSource)
            f.run(kernel, target: target, rows: rows, [weight(table, f), pointer(out, f), ld(out, f), f.positions ?? f.pos, rows])
        case .pool(let x, let reduction):
            let seqStart = try f.require(f.seqStart, node.name, "pooling over sequences")
            f.run(PoolKernel(width: node.type.cols, reduction: reduction), target: target, rows: rows,
                  [pointer(x, f), ld(x, f), seqStart, pointer(out, f), ld(out, f), rows])
        case .l2Normalize(let x):
            f.run(L2NormalizeKernel(width: node.type.cols), target: target, rows: rows,
                  [pointer(x, f), ld(x, f), pointer(out, f), ld(out, f), rows])
        case .causalConv1d(let x, let spec):
            let window = try stateRegion(recurrentState.conv, spec.stateSlot, node, f)
            let kernel = CausalConv1dKernel(channels: spec.channels, kernel: spec.kernel, bias: spec.bias != nil, activation: spec.activation,
                                            source: f.positionSource)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), weight(spec.weight, f),
                                                       weight(spec.bias, f), pointer(out, f), ld(out, f),
                                                       window, f.positions ?? f.pos, rows])
        case .selectiveScan(let x, let dt, let b, let c, let spec):
            guard SelectiveScanKernel.supports(headDim: spec.headDim, heads: spec.heads, groups: spec.groups, lanes: target.vectorWidth) else {
                throw CompileError.unsupportedOp(node.name, "a scan of \(spec.heads) heads × \(spec.headDim) in \(spec.groups) groups "
                                                 + "(vectors of \(target.vectorWidth) channels would span heads or groups)")
            }
            let state = try stateRegion(recurrentState.scan, spec.stateSlot, node, f)
            let kernel = SelectiveScanKernel(heads: spec.heads, headDim: spec.headDim, groups: spec.groups, stateSize: spec.stateSize,
                                             aPerState: spec.aPerState, skip: spec.d != nil, dtBias: spec.dtBias != nil,
                                             dtSoftplus: spec.dtSoftplus, source: f.positionSource)
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), pointer(dt, f), ld(dt, f), pointer(b, f), ld(b, f),
                                                       pointer(c, f), ld(c, f), weight(spec.a, f), weight(spec.d, f), weight(spec.dtBias, f),
                                                       pointer(out, f), ld(out, f), state, f.positions ?? f.pos, rows])
        case .linearAttention(let q, let k, let v, let decay, let beta, let spec):
            let state = try stateRegion(recurrentState.linearAttention, spec.stateSlot, node, f)
            let none = m.constI64(0)
            let (a, dtBias): (WeightRef?, WeightRef?) = if case .gated(let a, let dtBias) = spec.decay { (a, dtBias) } else { (nil, nil) }
            f.run(LinearAttentionKernel(spec, source: f.positionSource), target: target, rows: rows,
                  [pointer(q, f), ld(q, f), pointer(k, f), ld(k, f), pointer(v, f), ld(v, f), decay.map { pointer($0, f) } ?? none,
                   decay.map { ld($0, f) } ?? none, beta.map { pointer($0, f) } ?? none, beta.map { ld($0, f) } ?? none,
                   weight(a, f), weight(dtBias, f), pointer(out, f), ld(out, f), state, f.positions ?? f.pos, rows])
        case .moe(let x, let router, let spec):
            let formats = Set(spec.experts.map { format($0.gateUp) }), downFormats = Set(spec.experts.map { format($0.down) })
            guard let scratch = plan.scratch[index], formats.count == 1, downFormats.count == 1, let gateUp = formats.first,
                  let down = downFormats.first else {
                throw CompileError.unsupportedOp(node.name, "experts planned in mixed formats or without scratch")
            }
            let kernel = MoEKernel(spec, gateUpFormat: gateUp, downFormat: down, capacity: plan.maxBatch)
            let offsets = m.constantI64Array(named: "llmc_moe_experts.\(index)", (spec.expertWeights + spec.expertBiases).map { weights[$0].offset })
            f.run(kernel, target: target, rows: rows, [pointer(x, f), ld(x, f), pointer(router, f), ld(router, f), f.weightsBase,
                                                       offsets, spec.selectionBias.map { weight($0, f) } ?? m.constI64(0),
                                                       f.offset(f.arenaBase, m.constI64(scratch)), pointer(out, f), ld(out, f), rows])
        }
    }

    /// The address of a state-space op's region in the recurrent state.
    private func stateRegion(_ regions: [Int: Int], _ slot: Int, _ node: Node, _ f: Frame) throws -> LLVMValueRef {
        guard let offset = regions[slot] else {
            throw CompileError.unsupportedOp(node.name, "recurrent state slot \(slot) has no region")
        }
        return f.offset(f.stateBase, f.m.constI64(offset))
    }

    // MARK: - Model table and main

    /// `llmc_model` (llmc_abi.h): version, task, sizes, entry points (NULL when absent), output widths, state bytes.
    private func emitModelTable(_ m: ModuleBuilder, forward: LLVMValueRef?, encode: LLVMValueRef?) {
        var fields: [LLVMTypeRef?] = [m.i32Type, m.i32Type, m.i64Type, m.i64Type, m.i64Type, m.i64Type, m.ptrType, m.ptrType,
                                      m.i64Type, m.i64Type, m.i64Type, m.i64Type, m.i64Type]
        let tableType = LLVMStructTypeInContext(m.context, &fields, UInt32(fields.count), 0)!
        let null = LLVMConstNull(m.ptrType)
        let width = { (value: ValueID?) in m.constI64(value.map { graph[$0].type.cols } ?? 0) }
        let pooling = graph.pooling
        var values: [LLVMValueRef?] = [
            m.constI32(Self.abiVersion), m.constI32(graph.info.pooling.map { Self.taskCode($0.task) } ?? 0),
            m.constI64(graph.info.vocabSize), m.constI64(plan.maxBatch),
            m.constI64(plan.arenaBytes), m.constI64(kvCache.bytesPerPosition), forward ?? null, encode ?? null,
            width(pooling?.hidden), width(pooling?.pooled), width(pooling?.sequenceLogits), width(pooling?.tokenLogits),
            m.constI64(recurrentState.bytes),
        ]
        let initializer = LLVMConstNamedStruct(tableType, &values, UInt32(values.count))
        let table = LLVMAddGlobal(m.module, tableType, "llmc_model_table")!
        LLVMSetInitializer(table, initializer)
        LLVMSetGlobalConstant(table, 1)
        LLVMSetLinkage(table, LLVMInternalLinkage)

        let mainType = m.functionType(m.i32Type, [m.i32Type, m.ptrType])
        _ = m.defineFunction("main", mainType, target: target) { fn in
            // First make sure the CPU has what the kernels were compiled for (llmc_require_cpu exits otherwise).
            let require = m.functionType(m.voidType, [m.ptrType, m.ptrType, m.ptrType])
            let features = target.requiredCPUFeatures.joined(separator: ",")
            m.callExternal("llmc_require_cpu", require, [
                m.load(m.ptrType, m.param(fn, 1), align: 8),
                LLVMBuildGlobalStringPtr(m.builder, target.name, "llmc_target_name"),
                LLVMBuildGlobalStringPtr(m.builder, features, "llmc_target_features"),
            ])
            let llmcMain = m.functionType(m.i32Type, [m.i32Type, m.ptrType, m.ptrType])
            m.ret(m.callExternal("llmc_run_main", llmcMain, [m.param(fn, 0), m.param(fn, 1), table]))
        }
    }

    /// LLMC_ABI_VERSION of llmc_abi.h.
    static let abiVersion = 3

    /// `llmc_task` codes of llmc_abi.h.
    static func taskCode(_ task: PoolingTask) -> Int {
        switch task {
        case .embed: 1
        case .classify: 2
        case .score: 3
        case .reward: 4
        case .tokenClassify: 5
        }
    }
}
