// Writer of the tokenizer section (read by Sources/RuntimeLib/tokenizer_section.c).
//
// Tokenizer section format, version 3. Little-endian; offsets are relative to the section start; every array
// offset is a multiple of 4. A string argument is two words: offset and length in the string pool.
//
//   off  size field
//     0     8 magic "LLMCTOK1"
//     8     4 version (3; older versions are rejected: recompile the model)
//    12     4 header_bytes (128)
//    16     4 flags: 2 = BPE ignore_merges, 4 = fuse_unk (BPE, Unigram), 8 = byte_fallback (BPE, Unigram),
//             16 = character symbols (the BPE starts from the characters of a word, SentencePiece-style; otherwise
//             from its bytes, byte-level)
//    20     4 unk_id (int32; -1 = none): the model's token for what it cannot encode
//    24     4 n_tokens: ids are 0 ..< n_tokens
//    28     4 n_merges
//    32     4 n_added
//    36     4 n_normalizers
//    40     4 n_pretokenizers
//    44     4 n_decoders
//    48     4 n_single, 52: n_pair: items of the post-processor's single and pair templates (n_pair 0: no pair
//             template)
//    56     4 token_offsets: u32[n_tokens + 1], token i's bytes are token_bytes[offsets[i] ..< offsets[i + 1]]
//    60     4 token_flags: u8[n_tokens]; 1 = present (id has a token), 2 = special (skipped by
//             skip_special_tokens), 4 = model (in the model's vocabulary: for BPE a merge result or initial symbol)
//    64     4 token_bytes: each token's text: for byte-level BPE the bytes it decodes to (the ByteLevel alphabet mapped
//             back to bytes; tokens with a character outside that alphabet, e.g. an added "hello world", are their
//             own UTF-8), otherwise its UTF-8 (normalized added tokens in their normalized form)
//    68     4 merges: u32[3 * n_merges] = (left id, right id, merged id); the index is the merge's rank
//    72     4 added: u32[4 * n_added] = (id, flags, content offset in strings, content length); flags: 1 special,
//             2 lstrip, 4 rstrip, 8 single_word, 16 normalized (content already normalized, unless 32), 32 the
//             runtime normalizes the content at load (also the token's text for decoding)
//    76     4 strings: offset of the string pool (added-token contents and string arguments)
//    80     4 strings_bytes
//    84     4 normalizers: u32[6 * n_normalizers] = (kind, a0 .. a4), applied in order to each piece of text
//             between added tokens:
//             kind 1 NFC
//             kind 2 Prepend: a0 a1 the string (prepended to a non-empty piece)
//             kind 3 Replace: a0 a1 pattern, a2 a3 content (literal, non-overlapping from the left)
//    88     4 pretokenizers: u32[6 * n_pretokenizers] = (kind, a0 .. a4), applied in order:
//             kind 1 Split: a0 pattern (1 GPT-2, 2 Llama-3, 3 Qwen2), a1 behavior (0 Removed, 1 Isolated,
//                    2 MergedWithPrevious, 3 MergedWithNext, 4 Contiguous), a2 invert
//             kind 2 Digits: a0 individual_digits
//             kind 3 ByteLevel: a0 add_prefix_space, a1 use_regex (GPT-2 pattern, Isolated)
//             kind 4 Metaspace: a0 a1 replacement, a2 prepend scheme (0 never, 1 first, 2 always), a3 split
//             kind 5 Split on a string: a0 a1 the string, a2 behavior, a3 invert
//    92     4 decoders: u32[6 * n_decoders] = (kind, a0 .. a4), applied in order to the token strings, which are
//             then joined (none: byte-level BPE, whose token_bytes are already decoded):
//             kind 1 Replace: a0 a1 pattern, a2 a3 content
//             kind 2 ByteFallback
//             kind 3 Fuse
//             kind 4 Strip: a0 a1 the character, a2 start, a3 stop
//             kind 5 Metaspace: a0 a1 replacement, a2 1 = removed from the first token (else a space)
//    96     4 single: (i32 value, u32 type_id)[n_single]; value >= 0 a special token id, -1 sequence A, -2 sequence B
//   100     4 pair: the same, [n_pair]
//   104     4 total_bytes (the section size)
//   108     4 model: 0 BPE, 1 WordPiece, 2 Unigram
//   112     4 model_arg: WordPiece max_input_chars_per_word
//   116     8 model_string: WordPiece continuing_subword_prefix (offset, length in the string pool)
//   124     4 scores: offset of f64[n_tokens], the Unigram pieces' log probabilities (0 for other models)

/// The section's pool of strings: added-token contents and the string arguments of the step records.
struct StringPool {
    private(set) var bytes: [UInt8] = []

    /// Appends `string`; returns its (offset, length) words.
    mutating func add(_ string: String) -> [UInt32] { add(Array(string.utf8)) }

    mutating func add(_ string: [UInt8]) -> [UInt32] {
        defer { bytes += string }
        return [UInt32(bytes.count), UInt32(string.count)]
    }
}

/// Everything the runtime tokenizer needs, serialized into the section format above.
struct TokenizerSectionWriter {
    /// One id of the table.
    struct Token {
        var bytes: [UInt8]
        var special: Bool
        var bpe: Bool
    }

    static let magic = Array("LLMCTOK1".utf8)
    static let version: UInt32 = 3
    static let headerBytes = 128

    var model: TokenizerModel
    var characterSymbols: Bool
    /// Indexed by id; nil for ids without a token.
    var tokens: [Token?]
    /// Added tokens with their content as matched at run time (normalized ones already normalized).
    var added: [(token: AddedToken, content: [UInt8])]
    var normalizers: [NormalizerStep]
    var preTokenizer: [PreTokenizerStep]
    /// Empty for the ByteLevel decoder.
    var decoder: [DecoderStep]
    var template: PostProcessorTemplate

    func serialize() -> [UInt8] {
        var body: [UInt8] = []
        var offsets: [UInt32] = []
        /// Appends an array at a 4-aligned offset and records that offset.
        func section(_ bytes: [UInt8]) {
            while (TokenizerSectionWriter.headerBytes + body.count) % 4 != 0 { body.append(0) }
            offsets.append(UInt32(TokenizerSectionWriter.headerBytes + body.count))
            body += bytes
        }
        func words(_ values: [UInt32]) -> [UInt8] { values.flatMap(Self.littleEndian) }

        var tokenOffsets: [UInt32] = [0]
        var tokenFlags: [UInt8] = []
        var tokenBytes: [UInt8] = []
        for token in tokens {
            if let token {
                tokenBytes += token.bytes
                tokenFlags.append(1 | (token.special ? 2 : 0) | (token.bpe ? 4 : 0))
            } else {
                tokenFlags.append(0)
            }
            tokenOffsets.append(UInt32(tokenBytes.count))
        }
        var pool = StringPool()
        var addedRecords: [UInt32] = []
        for (token, content) in added { addedRecords += [UInt32(token.id), token.flags] + pool.add(content) }
        let normalizerRecords = normalizers.flatMap { $0.record(&pool) }
        let preTokenizerRecords = preTokenizer.flatMap { $0.record(&pool) }
        let decoderRecords = decoder.flatMap { $0.record(&pool) }
        // The model's own words: kind, arg, string (offset, length) and the scores' offset (added below).
        var modelWords: [UInt32] = [0, 0, 0, 0]
        if case .wordPiece(let prefix, let maxChars) = model.kind {
            modelWords = [1, UInt32(maxChars)] + pool.add(prefix)
        } else if case .unigram = model.kind {
            modelWords = [2, 0, 0, 0]
        }
        section(words(tokenOffsets))
        section(tokenFlags)
        section(tokenBytes)
        section(words(model.merges.flatMap { [UInt32($0.left), UInt32($0.right), UInt32($0.merged)] }))
        section(words(addedRecords))
        section(pool.bytes)
        section(words(normalizerRecords))
        section(words(preTokenizerRecords))
        section(words(decoderRecords))
        section(words(template.single.flatMap(\.record)))
        section(words((template.pair ?? []).flatMap(\.record)))
        if case .unigram(let scores) = model.kind {
            var table = [Double](repeating: 0, count: tokens.count)
            for (id, score) in scores.enumerated() where id < table.count { table[id] = score }
            section(words(table.flatMap { [UInt32($0.bitPattern & 0xFFFF_FFFF), UInt32($0.bitPattern >> 32)] }))
            modelWords.append(offsets[11])
        } else {
            modelWords.append(0)
        }
        while body.count % 4 != 0 { body.append(0) }

        let flags: UInt32 = (model.ignoreMerges ? 2 : 0) | (model.fuseUnk ? 4 : 0) | (model.byteFallback ? 8 : 0)
            | (characterSymbols ? 16 : 0)
        var header = Self.magic
        header += words([
            Self.version, UInt32(Self.headerBytes), flags, UInt32(bitPattern: Int32(model.unkId ?? -1)),
            UInt32(tokens.count), UInt32(model.merges.count), UInt32(added.count), UInt32(normalizers.count),
            UInt32(preTokenizer.count), UInt32(decoder.count), UInt32(template.single.count),
            UInt32(template.pair?.count ?? 0),
            offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], UInt32(pool.bytes.count),
            offsets[6], offsets[7], offsets[8], offsets[9], offsets[10], UInt32(Self.headerBytes + body.count),
        ] + modelWords)
        return header + body
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
