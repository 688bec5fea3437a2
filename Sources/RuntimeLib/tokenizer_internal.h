// Internal declarations of the runtime tokenizer (tokenizer_*.c). The section format is documented at the top of
// tokenizer_section.c.
#ifndef LLMC_TOKENIZER_INTERNAL_H
#define LLMC_TOKENIZER_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "llmc_tokenizer.h"

#define TKZ_MAGIC "LLMCTOK1"
#define TKZ_VERSION 1u
#define TKZ_HEADER_BYTES 96u

/// Header flags.
enum { TKZ_NFC = 1, TKZ_IGNORE_MERGES = 2, TKZ_FUSE_UNK = 4 };
/// Per-token flags.
enum { TKZ_TOKEN_PRESENT = 1, TKZ_TOKEN_SPECIAL = 2, TKZ_TOKEN_BPE = 4 };
/// Added-token flags.
enum { TKZ_ADDED_SPECIAL = 1, TKZ_ADDED_LSTRIP = 2, TKZ_ADDED_RSTRIP = 4, TKZ_ADDED_SINGLE_WORD = 8,
       TKZ_ADDED_NORMALIZED = 16 };
/// Pre-tokenizer step kinds and their arguments.
enum { TKZ_STEP_SPLIT = 1, TKZ_STEP_DIGITS = 2, TKZ_STEP_BYTE_LEVEL = 3 };
enum { TKZ_PATTERN_GPT2 = 1, TKZ_PATTERN_LLAMA3 = 2, TKZ_PATTERN_QWEN2 = 3 };
enum { TKZ_SPLIT_REMOVED = 0, TKZ_SPLIT_ISOLATED = 1, TKZ_SPLIT_MERGED_WITH_PREVIOUS = 2,
       TKZ_SPLIT_MERGED_WITH_NEXT = 3, TKZ_SPLIT_CONTIGUOUS = 4 };

/// One pre-tokenizer step: kind and up to three arguments (see the format comment in tokenizer_section.c).
typedef struct tkz_step { uint32_t kind, arg[3]; } tkz_step;

/// An added token, matched in the text before pre-tokenization.
typedef struct tkz_added {
    int32_t id;
    uint32_t flags;
    const uint8_t *content;
    uint32_t length;
} tkz_added;

/// Added tokens matched in one pass (non-normalized ones on the raw text, normalized ones after normalization):
/// sorted by first byte then by decreasing length, so the first match at a position is the longest.
typedef struct tkz_added_set {
    tkz_added *tokens;
    uint32_t count;
    uint32_t first[257]; ///< tokens with first byte b are tokens[first[b] .. first[b + 1])
} tkz_added_set;

/// Merge table entry: the pair key (left << 32 | right) maps to the merge's rank and merged id.
typedef struct tkz_merge_slot { uint64_t key; uint32_t rank; int32_t merged; } tkz_merge_slot;

struct llmc_tokenizer {
    uint32_t flags;
    int32_t unk_id;
    uint32_t n_tokens;
    const uint32_t *token_offsets; ///< n_tokens + 1 entries into token_bytes
    const uint8_t *token_flags;
    const uint8_t *token_bytes;
    int32_t byte_to_id[256];       ///< initial BPE symbol of each byte, -1 when none
    tkz_merge_slot *merges;        ///< open addressing, empty slots have rank UINT32_MAX
    uint64_t merge_mask;
    int32_t *vocab_slots;          ///< BPE vocabulary by content (open addressing, -1 empty); only with ignore_merges
    uint64_t vocab_mask;
    tkz_added_set added_raw, added_normalized;
    tkz_step *steps;
    uint32_t n_steps;
    const int32_t *prefix, *suffix;
    uint32_t n_prefix, n_suffix;
    uint8_t *aligned_copy;         ///< copy of the section when the caller's bytes are not 4-byte aligned
};

/// Growable byte buffer.
typedef struct tkz_bytes { uint8_t *data; size_t len, cap; } tkz_bytes;
/// Growable id list.
typedef struct tkz_ids { int32_t *data; size_t len, cap; } tkz_ids;
/// A piece of text: byte range in a tkz_bytes arena.
typedef struct tkz_span { size_t start, len; } tkz_span;
/// Growable list of pieces.
typedef struct tkz_spans { tkz_span *data; size_t len, cap; } tkz_spans;

int tkz_bytes_append(tkz_bytes *b, const uint8_t *data, size_t n);
int tkz_ids_push(tkz_ids *ids, int32_t id);
int tkz_spans_push(tkz_spans *spans, size_t start, size_t len);

/// 64-bit hash of a byte string (used for the vocabulary table at load and lookup time).
uint64_t tkz_hash_bytes(const uint8_t *s, size_t n);

/// BPE vocabulary id of the exact byte string, or -1.
int32_t tkz_vocab_lookup(const llmc_tokenizer *t, const uint8_t *s, size_t n);

/// Builds the merge table from the section's merge triples. Returns 0, or -1 (message in err) on a bad id.
int tkz_build_merges(llmc_tokenizer *t, const uint32_t *triples, uint32_t n_merges, char *err, size_t err_size);

/// Scratch memory of the BPE merge loop, reused across the words of one encode call.
typedef struct tkz_bpe_scratch {
    struct tkz_symbol *symbols;
    struct tkz_heap_item *heap;
    size_t symbols_cap, heap_cap;
} tkz_bpe_scratch;

/// BPE of one pre-tokenized word; appends its ids. Returns 0, or -1 when out of memory.
int tkz_bpe_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bpe_scratch *scratch, tkz_ids *out);
void tkz_bpe_scratch_free(tkz_bpe_scratch *scratch);

/// Applies the pre-tokenizer steps to arena[piece] and appends the resulting words (spans in arena).
/// Returns 0, or -1 when out of memory.
int tkz_pretokenize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span piece, tkz_spans *words);

/// Writes a formatted message into err (if err_size > 0).
void tkz_error(char *err, size_t err_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
