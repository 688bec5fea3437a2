// Writer of the tokenizer section (read by Sources/RuntimeLib/tokenizer_section.c).
//
// Tokenizer section format, version 1. Little-endian; offsets are relative to the section start; every array
// offset is a multiple of 4.
//
//   off  size field
//     0     8 magic "LLMCTOK1"
//     8     4 version (1)
//    12     4 header_bytes (96)
//    16     4 flags: 1 = NFC normalizer, 2 = BPE ignore_merges, 4 = BPE fuse_unk
//    20     4 unk_id (int32; -1 = none): BPE symbol for a byte that has no token
//    24     4 n_tokens: ids are 0 ..< n_tokens
//    28     4 n_merges
//    32     4 n_added
//    36     4 n_steps (pre-tokenizer steps)
//    40     4 n_prefix, 44: n_suffix (ids the post-processor adds around a single sequence)
//    48     4 token_offsets: u32[n_tokens + 1], token i's bytes are token_bytes[offsets[i] ..< offsets[i + 1]]
//    52     4 token_flags: u8[n_tokens]; 1 = present (id has a token), 2 = special (skipped by
//             skip_special_tokens), 4 = BPE (in the BPE model's vocabulary: a merge result or initial byte symbol)
//    56     4 token_bytes: the raw bytes each token decodes to (the ByteLevel alphabet mapped back to bytes; tokens
//             with a character outside that alphabet, e.g. an added "hello world", are their own UTF-8)
//    60     4 merges: u32[3 * n_merges] = (left id, right id, merged id); the index is the merge's rank
//    64     4 added: u32[4 * n_added] = (id, flags, content offset in strings, content length); flags: 1 special,
//             2 lstrip, 4 rstrip, 8 single_word, 16 normalized (content already normalized when the section says NFC)
//    68     4 strings: offset of the byte pool for added-token contents
//    72     4 strings_bytes
//    76     4 steps: u32[4 * n_steps] = (kind, arg0, arg1, arg2), applied in order:
//             kind 1 Split: arg0 pattern (1 GPT-2, 2 Llama-3, 3 Qwen2), arg1 behavior (0 Removed, 1 Isolated,
//                    2 MergedWithPrevious, 3 MergedWithNext, 4 Contiguous), arg2 invert
//             kind 2 Digits: arg0 individual_digits
//             kind 3 ByteLevel: arg0 add_prefix_space, arg1 use_regex (GPT-2 pattern, Isolated)
//    80     4 prefix: i32[n_prefix]
//    84     4 suffix: i32[n_suffix]
//    88     4 total_bytes (the section size)
//    92     4 reserved (0)

/// Everything the runtime tokenizer needs, serialized into the section format above.
struct TokenizerSectionWriter {
    /// One id of the table.
    struct Token {
        var bytes: [UInt8]
        var special: Bool
        var bpe: Bool
    }

    static let magic = Array("LLMCTOK1".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 96

    var nfc: Bool
    var ignoreMerges: Bool
    var fuseUnk: Bool
    var unkId: Int?
    /// Indexed by id; nil for ids without a token.
    var tokens: [Token?]
    var merges: [(left: Int, right: Int, merged: Int)]
    /// Added tokens with their content as matched at run time (normalized ones already NFC when nfc).
    var added: [(token: AddedToken, content: [UInt8])]
    var steps: [PreTokenizerStep]
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
        var strings: [UInt8] = []
        var addedRecords: [UInt32] = []
        for (token, content) in added {
            addedRecords += [UInt32(token.id), token.flags, UInt32(strings.count), UInt32(content.count)]
            strings += content
        }
        section(words(tokenOffsets))
        section(tokenFlags)
        section(tokenBytes)
        section(words(merges.flatMap { [UInt32($0.left), UInt32($0.right), UInt32($0.merged)] }))
        section(words(addedRecords))
        section(strings)
        section(words(steps.flatMap(\.record)))
        section(words(template.prefix.map { UInt32($0) }))
        section(words(template.suffix.map { UInt32($0) }))
        while body.count % 4 != 0 { body.append(0) }

        let flags: UInt32 = (nfc ? 1 : 0) | (ignoreMerges ? 2 : 0) | (fuseUnk ? 4 : 0)
        var header = Self.magic
        header += words([
            Self.version, UInt32(Self.headerBytes), flags, UInt32(bitPattern: Int32(unkId ?? -1)),
            UInt32(tokens.count), UInt32(merges.count), UInt32(added.count), UInt32(steps.count),
            UInt32(template.prefix.count), UInt32(template.suffix.count),
            offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], UInt32(strings.count),
            offsets[6], offsets[7], offsets[8], UInt32(Self.headerBytes + body.count), 0,
        ])
        return header + body
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
