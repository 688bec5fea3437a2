import Foundation
import IR
import RuntimeLib

/// Appends the weight blob (llmc_blob.h) to a linked executable: header, info JSON, tokenizer section, then every
/// planned weight packed into its kernel layout at its planned offset, and the trailer that locates the blob.
public struct WeightBlob {
    /// Header facts that are not layout (ids and sampling defaults).
    public struct Facts {
        public var vocabSize: Int
        public var maxPosition: Int
        public var bosId: Int?
        public var padId: Int?
        public var eosIds: [Int]
        public var temperature: Float = 0
        public var topP: Float = 1
        public var topK: Int = 0
        public var minP: Float = 0
        public var repetitionPenalty: Float = 1

        public init(vocabSize: Int, maxPosition: Int, bosId: Int?, padId: Int?, eosIds: [Int]) {
            self.vocabSize = vocabSize
            self.maxPosition = maxPosition
            self.bosId = bosId
            self.padId = padId
            self.eosIds = eosIds
        }
    }

    public let plan: WeightPlan
    public let facts: Facts
    public let info: Data
    public let tokenizer: [UInt8]

    public init(plan: WeightPlan, facts: Facts, info: Data, tokenizer: [UInt8]) {
        self.plan = plan
        self.facts = facts
        self.info = info
        self.tokenizer = tokenizer
    }

    /// Appends the blob to the file at `path`. `materialize` returns a weight as row-major f32 values;
    /// `progress` is called after each weight with (done, total).
    public func append(to path: String, materialize: (WeightRef) throws -> [Float], progress: (Int, Int) -> Void) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw CompileError.io(path, "cannot open for writing") }
        defer { try? handle.close() }
        let blobStart = align(Int(try handle.seekToEnd()), 4096)
        let headerBytes = MemoryLayout<llmc_blob_header>.size
        let infoOffset = headerBytes
        let tokenizerOffset = align(infoOffset + info.count, 64)
        let weightsOffset = align(tokenizerOffset + tokenizer.count, 4096)

        var header = llmc_blob_header()
        withUnsafeMutableBytes(of: &header.magic) { $0.copyBytes(from: Array(LLMC_BLOB_MAGIC.utf8)) }
        header.version = UInt32(LLMC_BLOB_VERSION)
        header.header_bytes = UInt32(headerBytes)
        header.weights_offset = UInt64(weightsOffset)
        header.weights_bytes = UInt64(plan.totalBytes)
        header.tokenizer_offset = tokenizer.isEmpty ? 0 : UInt64(tokenizerOffset)
        header.tokenizer_bytes = UInt64(tokenizer.count)
        header.info_offset = UInt64(infoOffset)
        header.info_bytes = UInt64(info.count)
        header.vocab_size = Int64(facts.vocabSize)
        header.max_position = Int64(facts.maxPosition)
        header.default_ctx = Int64(min(facts.maxPosition, 4096))
        header.bos_id = Int64(facts.bosId ?? -1)
        header.pad_id = Int64(facts.padId ?? -1)
        let eos = Array(facts.eosIds.prefix(Int(LLMC_MAX_EOS)))
        header.n_eos = Int64(eos.count)
        withUnsafeMutableBytes(of: &header.eos_ids) { raw in
            for (i, id) in eos.enumerated() { raw.storeBytes(of: Int64(id), toByteOffset: 8 * i, as: Int64.self) }
        }
        header.temperature = facts.temperature
        header.top_p = facts.topP
        header.top_k = Int64(facts.topK)
        header.min_p = facts.minP
        header.repetition_penalty = facts.repetitionPenalty

        try handle.seek(toOffset: UInt64(blobStart))
        try handle.write(contentsOf: withUnsafeBytes(of: &header) { Data($0) })
        try handle.write(contentsOf: info)
        try handle.seek(toOffset: UInt64(blobStart + tokenizerOffset))
        try handle.write(contentsOf: Data(tokenizer))

        for (done, planned) in plan.weights.enumerated() {
            let values = try materialize(planned.weight)
            var packed = Data(count: planned.bytes)
            packed.withUnsafeMutableBytes { dst in
                values.withUnsafeBufferPointer { src in pack(planned, src, into: dst.baseAddress!) }
            }
            try handle.seek(toOffset: UInt64(blobStart + weightsOffset + planned.offset))
            try handle.write(contentsOf: packed)
            progress(done + 1, plan.weights.count)
        }
        let blobEnd = UInt64(blobStart + weightsOffset + plan.totalBytes)
        try handle.truncate(atOffset: blobEnd)
        try handle.seek(toOffset: blobEnd)
        var trailer = Data()
        withUnsafeBytes(of: UInt64(blobStart).littleEndian) { trailer.append(contentsOf: $0) }
        trailer.append(contentsOf: Array(LLMC_TRAILER_MAGIC.utf8))
        try handle.write(contentsOf: trailer)
    }

    private func pack(_ planned: PlannedWeight, _ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableRawPointer) {
        let shape = planned.weight.shape
        switch planned.layout {
        case .matmul(let format):
            MatmulKernel.pack(src, k: shape[1], n: shape[0], weight: format, into: dst)
        case .embeddingRows(let format):
            EmbeddingKernel.pack(src, vocab: shape[0], dim: shape[1], weight: format, into: dst)
        case .vector:
            dst.copyMemory(from: src.baseAddress!, byteCount: src.count * 4)
        }
    }

    private func align(_ value: Int, _ to: Int) -> Int { (value + to - 1) / to * to }
}

/// Failures of compiling, linking or writing a model executable.
public enum CompileError: Error, CustomStringConvertible {
    case unsupportedOp(String, String)
    case tool(String)
    case io(String, String)

    public var description: String {
        switch self {
        case .unsupportedOp(let node, let reason): "cannot generate code for '\(node)': \(reason)"
        case .tool(let message): message
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}
