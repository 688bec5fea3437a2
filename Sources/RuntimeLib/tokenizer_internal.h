// Internal declarations of the runtime tokenizer (tokenizer_*.c). The section format is documented at the top of
// tokenizer_section.c.
#ifndef LLMC_TOKENIZER_INTERNAL_H
#define LLMC_TOKENIZER_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "llmc_tokenizer.h"

#define TKZ_MAGIC "LLMCTOK1"
#define TKZ_VERSION 3u
#define TKZ_HEADER_BYTES 128u

/// Model kinds.
enum { TKZ_MODEL_BPE = 0, TKZ_MODEL_WORDPIECE = 1, TKZ_MODEL_UNIGRAM = 2 };
/// Template item values below 0: the sequences.
enum { TKZ_TEMPLATE_A = -1, TKZ_TEMPLATE_B = -2 };
/// Header flags.
enum { TKZ_IGNORE_MERGES = 2, TKZ_FUSE_UNK = 4, TKZ_BYTE_FALLBACK = 8, TKZ_CHAR_SYMBOLS = 16 };
/// Per-token flags.
enum { TKZ_TOKEN_PRESENT = 1, TKZ_TOKEN_SPECIAL = 2, TKZ_TOKEN_BPE = 4 };
/// Added-token flags.
enum { TKZ_ADDED_SPECIAL = 1, TKZ_ADDED_LSTRIP = 2, TKZ_ADDED_RSTRIP = 4, TKZ_ADDED_SINGLE_WORD = 8,
       TKZ_ADDED_NORMALIZED = 16, TKZ_ADDED_NORMALIZE_AT_LOAD = 32 };
/// Normalizer kinds.
enum { TKZ_NORM_NFC = 1, TKZ_NORM_PREPEND = 2, TKZ_NORM_REPLACE = 3, TKZ_NORM_BERT = 4, TKZ_NORM_LOWERCASE = 5,
       TKZ_NORM_STRIP = 6, TKZ_NORM_PRECOMPILED = 7 };
/// Pre-tokenizer step kinds and their arguments.
enum { TKZ_STEP_SPLIT = 1, TKZ_STEP_DIGITS = 2, TKZ_STEP_BYTE_LEVEL = 3, TKZ_STEP_METASPACE = 4,
       TKZ_STEP_SPLIT_STRING = 5, TKZ_STEP_BERT = 6, TKZ_STEP_WHITESPACE_SPLIT = 7 };
enum { TKZ_PATTERN_GPT2 = 1, TKZ_PATTERN_LLAMA3 = 2, TKZ_PATTERN_QWEN2 = 3 };
enum { TKZ_SPLIT_REMOVED = 0, TKZ_SPLIT_ISOLATED = 1, TKZ_SPLIT_MERGED_WITH_PREVIOUS = 2,
       TKZ_SPLIT_MERGED_WITH_NEXT = 3, TKZ_SPLIT_CONTIGUOUS = 4 };
enum { TKZ_PREPEND_NEVER = 0, TKZ_PREPEND_FIRST = 1, TKZ_PREPEND_ALWAYS = 2 };
/// Decoder kinds.
enum { TKZ_DEC_REPLACE = 1, TKZ_DEC_BYTE_FALLBACK = 2, TKZ_DEC_FUSE = 3, TKZ_DEC_STRIP = 4, TKZ_DEC_METASPACE = 5,
       TKZ_DEC_WORDPIECE = 6 };

/// U+2581 "▁", SentencePiece's space, in UTF-8.
#define TKZ_METASPACE "\xE2\x96\x81"

/// A string of the section's pool.
typedef struct tkz_str { const uint8_t *data; uint32_t len; } tkz_str;

/// One normalizer, pre-tokenizer or decoder step (see the format comment in tokenizer_section.c): its kind, the five
/// argument words, and the string arguments they name (str[0] from arg[0..1], str[1] from arg[2..3]).
typedef struct tkz_step { uint32_t kind, arg[5]; tkz_str str[2]; } tkz_step;

/// The steps of one stage.
typedef struct tkz_steps { tkz_step *steps; uint32_t count; } tkz_steps;

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

/// An item of a post-processor template: a special token id (value >= 0) or a sequence (TKZ_TEMPLATE_A / _B), with
/// the type id its tokens get.
typedef struct tkz_template_item { int32_t value; uint32_t type_id; } tkz_template_item;

/// A post-processor template (single or pair).
typedef struct tkz_template {
    const tkz_template_item *items;
    uint32_t count;
    uint32_t n_special; ///< items that are special tokens
} tkz_template;

/// A (string, replacement) pair of a Precompiled normalizer's map.
typedef struct tkz_charmap_entry { tkz_str key, value; } tkz_charmap_entry;

/// A Precompiled normalizer's map: entries hashed by key (open addressing, -1 empty).
typedef struct tkz_charmap {
    tkz_charmap_entry *entries;
    uint32_t count;
    int32_t *slots;
    uint64_t mask;
} tkz_charmap;

/// Reads the map from its record string (see tokenizer_precompiled.c). Returns 0, or -1 when malformed or out of
/// memory.
int tkz_charmap_load(tkz_charmap *m, tkz_str blob);
void tkz_charmap_free(tkz_charmap *m);

/// Merge table entry: the pair key (left << 32 | right) maps to the merge's rank and merged id.
typedef struct tkz_merge_slot { uint64_t key; uint32_t rank; int32_t merged; } tkz_merge_slot;

struct llmc_tokenizer {
    uint32_t flags;
    int32_t unk_id;
    uint32_t n_tokens;
    const uint32_t *token_offsets; ///< n_tokens + 1 entries into token_bytes
    const uint8_t *token_flags;
    const uint8_t *token_bytes;
    int32_t byte_to_id[256];       ///< BPE symbol of each one-byte token, -1 when none
    int32_t fallback_id[256];      ///< id of the "<0xNN>" token of each byte with byte fallback, -1 when none
    tkz_merge_slot *merges;        ///< open addressing, empty slots have rank UINT32_MAX
    uint64_t merge_mask;
    int32_t *vocab_slots;          ///< BPE vocabulary by content (open addressing, -1 empty); not for byte-level BPE
                                   ///< without ignore_merges, which only needs byte_to_id
    uint64_t vocab_mask;
    tkz_added_set added_raw, added_normalized;
    tkz_steps normalizers, pretokenizers, decoders;
    /// Character-symbol BPE whose vocabulary has "▁" and no token with "▁" after another character: no merge can
    /// span the start of a run of "▁", so a word is merged segment by segment (tokenizer_bpe.c).
    int split_at_metaspace;
    tkz_template single, pair;     ///< pair.count == 0: no pair template
    uint32_t model;                ///< TKZ_MODEL_*
    uint32_t max_input_chars;      ///< WordPiece: longer words are unk
    tkz_str subword_prefix;        ///< WordPiece: continuing_subword_prefix
    double *scores;                ///< Unigram: each id's log probability (n_tokens entries)
    double min_score;              ///< Unigram: the lowest score of a piece
    size_t max_piece_bytes;        ///< Unigram: the longest piece
    uint32_t *prefix_slots;        ///< WordPiece, Unigram: fingerprints of the tokens' proper prefixes (0 = empty)
    uint64_t prefix_mask;
    tkz_charmap charmap;           ///< the Precompiled normalizer's map (at most one such step)
    uint8_t *added_text;           ///< contents of the added tokens normalized at load
    tkz_str *text_override;        ///< n_tokens entries (NULL when none): an id's text when normalized at load
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

/// The text of token id (its bytes in the section, or its content normalized at load).
tkz_str tkz_token_text(const llmc_tokenizer *t, int32_t id);

/// 64-bit hash of a byte string (used for the vocabulary table at load and lookup time): FNV-1a over the bytes
/// (tkz_fnv_step, so a caller can extend a string byte by byte), then tkz_hash_finish.
#define TKZ_FNV_INIT 0xcbf29ce484222325ull
static inline uint64_t tkz_fnv_step(uint64_t h, uint8_t byte) { return (h ^ byte) * 0x100000001b3ull; }
uint64_t tkz_hash_finish(uint64_t h);
uint64_t tkz_hash_bytes(const uint8_t *s, size_t n);

/// Model vocabulary id of the exact byte string, or -1.
int32_t tkz_vocab_lookup(const llmc_tokenizer *t, const uint8_t *s, size_t n);
/// The same with the string's tkz_hash_bytes already computed.
int32_t tkz_vocab_lookup_hashed(const llmc_tokenizer *t, const uint8_t *s, size_t n, uint64_t hash);
/// WordPiece, Unigram: whether some vocabulary token is longer than the string with this hash and starts with it
/// (false positives possible, never false negatives).
int tkz_may_extend(const llmc_tokenizer *t, uint64_t hash);

/// Builds the merge table from the section's merge triples. Returns 0, or -1 (message in err) on a bad id.
int tkz_build_merges(llmc_tokenizer *t, const uint32_t *triples, uint32_t n_merges, char *err, size_t err_size);

/// Scratch memory of the BPE merge loop, reused across the words of one encode call.
typedef struct tkz_bpe_scratch {
    struct tkz_symbol *symbols;
    struct tkz_heap_item *heap;
    size_t symbols_cap, heap_cap;
} tkz_bpe_scratch;

/// WordPiece of one pre-tokenized word (tokenizer_wordpiece.c); appends its ids. Returns 0, or -1 when out of memory.
int tkz_wordpiece_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bytes *scratch, tkz_ids *out);

/// Scratch memory of the Unigram lattice, reused across the words of one encode call.
typedef struct tkz_unigram_scratch {
    struct tkz_lattice_node *nodes;
    size_t *ends;
    size_t cap;
} tkz_unigram_scratch;

/// Error code of an encode step: the model needs its unk token but has none (tokenizers' MissingUnkId).
#define TKZ_ERR_NO_UNK (-2)

/// Unigram of one pre-tokenized word (tokenizer_unigram.c); appends its ids. Returns 0, -1 when out of memory, or
/// TKZ_ERR_NO_UNK.
int tkz_unigram_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_unigram_scratch *scratch,
                     tkz_ids *out);
void tkz_unigram_scratch_free(tkz_unigram_scratch *scratch);

/// BPE of one pre-tokenized word; appends its ids. Returns 0, or -1 when out of memory.
int tkz_bpe_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bpe_scratch *scratch, tkz_ids *out);
void tkz_bpe_scratch_free(tkz_bpe_scratch *scratch);

/// Applies the pre-tokenizer steps to arena[piece] and appends the resulting words (spans in arena). at_start tells
/// whether the piece begins the input text (Metaspace's "first" prepend scheme). Returns 0, or -1 when out of memory.
int tkz_pretokenize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span piece, int at_start, tkz_spans *words);

/// Applies the normalizer steps to arena[*piece]; *piece becomes the result (appended to the arena when it differs).
/// Returns 0, or -1 when out of memory.
/// *shifted is set when the piece's first characters were dropped (Strip, a Replace by nothing, BertNormalizer's
/// clean_text or strip_accents): the piece then no longer starts at the text's first character, which is what
/// Metaspace's "first" prepend scheme checks (tokenizers' offsets_original().0 == 0).
int tkz_normalize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span *piece, int *shifted);

/// Applies a Precompiled normalizer to arena[*piece]; *piece becomes the result. Returns 0, or -1 when out of memory.
int tkz_precompiled(const tkz_charmap *m, tkz_bytes *arena, tkz_span *piece);

/// Replaces every non-overlapping occurrence of pattern (from the left) in arena[*span] by content; *span becomes the
/// result (appended to the arena when anything was replaced). An empty pattern replaces nothing. Returns 0 or -1.
int tkz_replace(tkz_bytes *arena, tkz_span *span, tkz_str pattern, tkz_str content);

/// Offset of the first occurrence of needle in s[from, n), or SIZE_MAX (needle non-empty).
size_t tkz_find(const uint8_t *s, size_t n, size_t from, tkz_str needle);

/// Writes a formatted message into err (if err_size > 0).
void tkz_error(char *err, size_t err_size, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
