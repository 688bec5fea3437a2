// Reader of the tokenizer section (written by Sources/Frontend/Tokenizer/TokenizerSectionWriter.swift).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

void tkz_error(char *err, size_t err_size, const char *format, ...) {
    if (!err || err_size == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(err, err_size, format, args);
    va_end(args);
}

static uint32_t read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/// Checks that an array of count elements of elem_size bytes at offset fits in the section.
static int check_array(uint64_t size, uint32_t offset, uint64_t count, uint64_t elem_size, const char *name,
                       char *err, size_t err_size) {
    if (offset % 4 != 0 || offset > size || count * elem_size > size - offset) {
        tkz_error(err, err_size, "tokenizer section: array '%s' (offset %u, %llu elements) is out of bounds",
                  name, offset, (unsigned long long)count);
        return -1;
    }
    return 0;
}

uint64_t tkz_hash_finish(uint64_t h) {
    // FNV-1a leaves the low bits (the table index) poorly mixed: finish with MurmurHash3's fmix64.
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

uint64_t tkz_hash_bytes(const uint8_t *s, size_t n) {
    uint64_t h = TKZ_FNV_INIT;
    for (size_t i = 0; i < n; i++) h = tkz_fnv_step(h, s[i]);
    return tkz_hash_finish(h);
}

static uint64_t table_capacity(uint64_t n) {
    uint64_t cap = 16;
    while (cap < n * 2) cap *= 2;
    return cap;
}

int32_t tkz_vocab_lookup(const llmc_tokenizer *t, const uint8_t *s, size_t n) {
    return tkz_vocab_lookup_hashed(t, s, n, tkz_hash_bytes(s, n));
}

int32_t tkz_vocab_lookup_hashed(const llmc_tokenizer *t, const uint8_t *s, size_t n, uint64_t hash) {
    for (uint64_t i = hash & t->vocab_mask;; i = (i + 1) & t->vocab_mask) {
        int32_t id = t->vocab_slots[i];
        if (id < 0) return -1;
        uint32_t start = t->token_offsets[id];
        if (t->token_offsets[id + 1] - start == n && memcmp(t->token_bytes + start, s, n) == 0) return id;
    }
}

static int build_vocab(llmc_tokenizer *t) {
    uint64_t count = 0;
    for (uint32_t id = 0; id < t->n_tokens; id++) count += (t->token_flags[id] & TKZ_TOKEN_BPE) != 0;
    uint64_t cap = table_capacity(count);
    t->vocab_slots = malloc(cap * sizeof(int32_t));
    if (!t->vocab_slots) return -1;
    memset(t->vocab_slots, 0xff, cap * sizeof(int32_t));
    t->vocab_mask = cap - 1;
    for (uint32_t id = 0; id < t->n_tokens; id++) {
        if (!(t->token_flags[id] & TKZ_TOKEN_BPE)) continue;
        const uint8_t *s = t->token_bytes + t->token_offsets[id];
        size_t n = t->token_offsets[id + 1] - t->token_offsets[id];
        uint64_t i = tkz_hash_bytes(s, n) & t->vocab_mask;
        while (t->vocab_slots[i] >= 0) i = (i + 1) & t->vocab_mask;
        t->vocab_slots[i] = (int32_t)id;
    }
    return 0;
}

static int compare_added(const void *a, const void *b) {
    const tkz_added *x = a, *y = b;
    if (x->content[0] != y->content[0]) return x->content[0] < y->content[0] ? -1 : 1;
    if (x->length != y->length) return x->length > y->length ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/// Collects the added tokens whose normalized flag equals `normalized` into set, sorted for matching.
static int build_added_set(tkz_added_set *set, const tkz_added *all, uint32_t n, int normalized) {
    set->count = 0;
    set->tokens = malloc((n ? n : 1) * sizeof(tkz_added));
    if (!set->tokens) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (((all[i].flags & TKZ_ADDED_NORMALIZED) != 0) == normalized && all[i].length > 0)
            set->tokens[set->count++] = all[i];
    qsort(set->tokens, set->count, sizeof(tkz_added), compare_added);
    uint32_t k = 0;
    for (uint32_t b = 0; b <= 256; b++) {
        while (k < set->count && set->tokens[k].content[0] < b) k++;
        set->first[b] = k;
    }
    return 0;
}

/// Header fields after the magic, version and header size.
typedef struct section_header {
    uint32_t flags, n_tokens, n_merges, n_added, n_normalizers, n_pretokenizers, n_decoders, n_single, n_pair;
    int32_t unk_id;
    uint32_t token_offsets, token_flags, token_bytes, merges, added, strings, strings_bytes, normalizers,
        pretokenizers, decoders, single, pair;
    uint32_t total_bytes, model, model_arg, model_string, model_string_len, scores;
} section_header;

static int parse_header(const uint8_t *d, uint64_t size, section_header *h, char *err, size_t err_size) {
    if (size < 16 || memcmp(d, TKZ_MAGIC, 8) != 0) {
        tkz_error(err, err_size, "tokenizer section: bad magic (expected %s)", TKZ_MAGIC);
        return -1;
    }
    if (read_u32(d + 8) != TKZ_VERSION || read_u32(d + 12) != TKZ_HEADER_BYTES || size < TKZ_HEADER_BYTES) {
        tkz_error(err, err_size,
                  "tokenizer section: version %u / header size %u, this runtime reads version %u (recompile the "
                  "model with this llmc)", read_u32(d + 8), read_u32(d + 12), TKZ_VERSION);
        return -1;
    }
    h->flags = read_u32(d + 16);
    h->unk_id = (int32_t)read_u32(d + 20);
    h->n_tokens = read_u32(d + 24);
    h->n_merges = read_u32(d + 28);
    h->n_added = read_u32(d + 32);
    h->n_normalizers = read_u32(d + 36);
    h->n_pretokenizers = read_u32(d + 40);
    h->n_decoders = read_u32(d + 44);
    h->n_single = read_u32(d + 48);
    h->n_pair = read_u32(d + 52);
    h->token_offsets = read_u32(d + 56);
    h->token_flags = read_u32(d + 60);
    h->token_bytes = read_u32(d + 64);
    h->merges = read_u32(d + 68);
    h->added = read_u32(d + 72);
    h->strings = read_u32(d + 76);
    h->strings_bytes = read_u32(d + 80);
    h->normalizers = read_u32(d + 84);
    h->pretokenizers = read_u32(d + 88);
    h->decoders = read_u32(d + 92);
    h->single = read_u32(d + 96);
    h->pair = read_u32(d + 100);
    h->total_bytes = read_u32(d + 104);
    h->model = read_u32(d + 108);
    h->model_arg = read_u32(d + 112);
    h->model_string = read_u32(d + 116);
    h->model_string_len = read_u32(d + 120);
    h->scores = read_u32(d + 124);
    if (h->total_bytes != size) {
        tkz_error(err, err_size, "tokenizer section: size %llu, header says %u", (unsigned long long)size,
                  h->total_bytes);
        return -1;
    }
    if (h->n_tokens == 0 || h->n_tokens > INT32_MAX || h->unk_id < -1 || h->unk_id >= (int32_t)h->n_tokens ||
        (h->flags & ~(uint32_t)(TKZ_IGNORE_MERGES | TKZ_FUSE_UNK | TKZ_BYTE_FALLBACK | TKZ_CHAR_SYMBOLS)) ||
        h->model > TKZ_MODEL_UNIGRAM || (h->model == TKZ_MODEL_UNIGRAM && h->scores == 0) ||
        (h->model == TKZ_MODEL_WORDPIECE && h->unk_id < 0)) {
        tkz_error(err, err_size, "tokenizer section: bad token count %u, unk id %d, flags %#x or model %u",
                  h->n_tokens, h->unk_id, h->flags, h->model);
        return -1;
    }
    if (check_array(size, h->token_offsets, (uint64_t)h->n_tokens + 1, 4, "token_offsets", err, err_size) ||
        check_array(size, h->token_flags, h->n_tokens, 1, "token_flags", err, err_size) ||
        check_array(size, h->merges, (uint64_t)h->n_merges * 3, 4, "merges", err, err_size) ||
        check_array(size, h->added, (uint64_t)h->n_added * 4, 4, "added", err, err_size) ||
        check_array(size, h->strings, h->strings_bytes, 1, "strings", err, err_size) ||
        check_array(size, h->normalizers, (uint64_t)h->n_normalizers * 6, 4, "normalizers", err, err_size) ||
        check_array(size, h->pretokenizers, (uint64_t)h->n_pretokenizers * 6, 4, "pretokenizers", err, err_size) ||
        check_array(size, h->decoders, (uint64_t)h->n_decoders * 6, 4, "decoders", err, err_size) ||
        check_array(size, h->single, (uint64_t)h->n_single * 2, 4, "single template", err, err_size) ||
        check_array(size, h->pair, (uint64_t)h->n_pair * 2, 4, "pair template", err, err_size) ||
        (h->model == TKZ_MODEL_UNIGRAM && check_array(size, h->scores, h->n_tokens, 8, "scores", err, err_size)))
        return -1;
    if (h->model_string > h->strings_bytes || h->model_string_len > h->strings_bytes - h->model_string) {
        tkz_error(err, err_size, "tokenizer section: model string out of bounds");
        return -1;
    }
    uint32_t token_bytes_len = read_u32(d + h->token_offsets + 4ull * h->n_tokens);
    return check_array(size, h->token_bytes, token_bytes_len, 1, "token_bytes", err, err_size);
}

/// Reads a template: its special token ids must exist and it must hold sequence A once (and B once in a pair).
static int load_template(tkz_template *out, const uint8_t *d, uint32_t offset, uint32_t count, uint32_t n_tokens,
                         int pair, char *err, size_t err_size) {
    const tkz_template_item *items = (const tkz_template_item *)(d + offset);
    uint32_t seen_a = 0, seen_b = 0, n_special = 0;
    for (uint32_t i = 0; i < count; i++) {
        int32_t v = items[i].value;
        seen_a += v == TKZ_TEMPLATE_A;
        seen_b += v == TKZ_TEMPLATE_B;
        n_special += v >= 0;
        if (v < TKZ_TEMPLATE_B || (v >= 0 && (uint32_t)v >= n_tokens)) {
            tkz_error(err, err_size, "tokenizer section: %s template item %u (%d) out of range", pair ? "pair" : "single",
                      i, v);
            return -1;
        }
    }
    if (count > 0 && (seen_a != 1 || seen_b != (uint32_t)pair)) {
        tkz_error(err, err_size, "tokenizer section: %s template without its sequences", pair ? "pair" : "single");
        return -1;
    }
    *out = (tkz_template){items, count, n_special};
    return 0;
}

/// Stages of the section's step records.
enum { STAGE_NORMALIZER, STAGE_PRETOKENIZER, STAGE_DECODER };

/// Length of the single UTF-8 character s is, or 0 when s is not exactly one character.
static uint32_t one_character(tkz_str s) {
    uint32_t cp;
    return s.len > 0 && unicode_utf8_next(s.data, s.len, &cp) == (int)s.len ? s.len : 0;
}

/// Whether a step's kind and arguments are valid for its stage (string arguments already resolved).
static int valid_step(int stage, const tkz_step *s) {
    const uint32_t *a = s->arg;
    switch (stage) {
    case STAGE_NORMALIZER:
        switch (s->kind) {
        case TKZ_NORM_NFC: case TKZ_NORM_PREPEND: case TKZ_NORM_REPLACE: case TKZ_NORM_LOWERCASE:
        case TKZ_NORM_PRECOMPILED: return 1;
        case TKZ_NORM_BERT: return a[0] <= 1 && a[1] <= 1 && a[2] <= 1 && a[3] <= 1;
        case TKZ_NORM_STRIP: return a[0] <= 1 && a[1] <= 1;
        default: return 0;
        }
    case STAGE_PRETOKENIZER:
        switch (s->kind) {
        case TKZ_STEP_SPLIT:
            return a[0] >= TKZ_PATTERN_GPT2 && a[0] <= TKZ_PATTERN_QWEN2 && a[1] <= TKZ_SPLIT_CONTIGUOUS && a[2] <= 1;
        case TKZ_STEP_DIGITS: return a[0] <= 1;
        case TKZ_STEP_BYTE_LEVEL: return a[0] <= 1 && a[1] <= 1;
        case TKZ_STEP_METASPACE: return one_character(s->str[0]) && a[2] <= TKZ_PREPEND_ALWAYS && a[3] <= 1;
        case TKZ_STEP_SPLIT_STRING: return a[2] <= TKZ_SPLIT_CONTIGUOUS && a[3] <= 1;
        case TKZ_STEP_BERT: case TKZ_STEP_WHITESPACE_SPLIT: return 1;
        default: return 0;
        }
    default:
        switch (s->kind) {
        case TKZ_DEC_REPLACE: case TKZ_DEC_BYTE_FALLBACK: case TKZ_DEC_FUSE: return 1;
        case TKZ_DEC_STRIP: return one_character(s->str[0]) != 0;
        case TKZ_DEC_METASPACE: return one_character(s->str[0]) && a[2] <= 1;
        case TKZ_DEC_WORDPIECE: return 1;
        default: return 0;
        }
    }
}

/// Which of a step's two string arguments its kind has (bit 0: str[0], bit 1: str[1]).
static int string_arguments(int stage, uint32_t kind) {
    switch (stage) {
    case STAGE_NORMALIZER:
        return kind == TKZ_NORM_PREPEND || kind == TKZ_NORM_PRECOMPILED ? 1 : kind == TKZ_NORM_REPLACE ? 3 : 0;
    case STAGE_PRETOKENIZER: return kind == TKZ_STEP_METASPACE || kind == TKZ_STEP_SPLIT_STRING ? 1 : 0;
    default:
        return kind == TKZ_DEC_REPLACE ? 3
               : kind == TKZ_DEC_STRIP || kind == TKZ_DEC_METASPACE || kind == TKZ_DEC_WORDPIECE ? 1 : 0;
    }
}

static int load_steps(tkz_steps *out, int stage, const uint8_t *d, uint32_t offset, uint32_t count,
                      const section_header *h, char *err, size_t err_size) {
    static const char *const names[] = {"normalizer", "pre-tokenizer", "decoder"};
    const uint32_t *raw = (const uint32_t *)(d + offset);
    out->count = count;
    out->steps = calloc(count ? count : 1, sizeof(tkz_step));
    if (!out->steps) {
        tkz_error(err, err_size, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        tkz_step *s = &out->steps[i];
        s->kind = raw[6 * i];
        for (int k = 0; k < 5; k++) s->arg[k] = raw[6 * i + 1 + k];
        int strings = string_arguments(stage, s->kind), ok = 1;
        for (int k = 0; k < 2; k++) {
            if (!(strings & (1 << k))) continue;
            uint32_t at = s->arg[2 * k], len = s->arg[2 * k + 1];
            ok = ok && at <= h->strings_bytes && len <= h->strings_bytes - at;
            if (ok) s->str[k] = (tkz_str){d + h->strings + at, len};
        }
        if (!ok || !valid_step(stage, s)) {
            tkz_error(err, err_size, "tokenizer section: bad %s step %u (kind %u)", names[stage], i, s->kind);
            return -1;
        }
    }
    return 0;
}

/// Normalizes the contents of the added tokens flagged TKZ_ADDED_NORMALIZE_AT_LOAD with the section's normalizers
/// (kept in t->added_text), which then are what they match and their ids' text. Returns 0, or -1 when out of memory.
static int normalize_added(llmc_tokenizer *t, tkz_added *all, uint32_t n) {
    tkz_bytes text = {0}, arena = {0};
    size_t *offsets = malloc((n ? n : 1) * sizeof(size_t));
    int rc = offsets ? 0 : -1, any = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (!(all[i].flags & TKZ_ADDED_NORMALIZE_AT_LOAD)) continue;
        any = 1;
        arena.len = 0;
        tkz_span span = {0, all[i].length};
        int shifted;
        rc = tkz_bytes_append(&arena, all[i].content, all[i].length) || tkz_normalize(t, &arena, &span, &shifted);
        offsets[i] = text.len;
        if (rc == 0) rc = tkz_bytes_append(&text, arena.data + span.start, span.len);
        all[i].length = (uint32_t)span.len;
    }
    if (rc == 0 && any) {
        t->added_text = text.data;
        text.data = NULL;
        t->text_override = calloc(t->n_tokens, sizeof(tkz_str));
        rc = t->text_override ? 0 : -1;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            if (!(all[i].flags & TKZ_ADDED_NORMALIZE_AT_LOAD)) continue;
            all[i].content = t->added_text + offsets[i];
            t->text_override[all[i].id] = (tkz_str){all[i].content, all[i].length};
        }
    }
    free(text.data);
    free(arena.data);
    free(offsets);
    return rc;
}

tkz_str tkz_token_text(const llmc_tokenizer *t, int32_t id) {
    if (t->text_override && t->text_override[id].data) return t->text_override[id];
    uint32_t start = t->token_offsets[id];
    return (tkz_str){t->token_bytes + start, t->token_offsets[id + 1] - start};
}

static int load_added(llmc_tokenizer *t, const uint8_t *d, const section_header *h, char *err, size_t err_size) {
    const uint32_t *raw = (const uint32_t *)(d + h->added);
    tkz_added *all = malloc((h->n_added ? h->n_added : 1) * sizeof(tkz_added));
    if (!all) {
        tkz_error(err, err_size, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < h->n_added; i++) {
        uint32_t id = raw[4 * i], flags = raw[4 * i + 1], offset = raw[4 * i + 2], length = raw[4 * i + 3];
        if (id >= h->n_tokens || length == 0 || offset > h->strings_bytes || length > h->strings_bytes - offset) {
            tkz_error(err, err_size, "tokenizer section: added token %u is out of bounds", i);
            free(all);
            return -1;
        }
        if ((flags & TKZ_ADDED_NORMALIZE_AT_LOAD) && !(flags & TKZ_ADDED_NORMALIZED)) {
            tkz_error(err, err_size, "tokenizer section: added token %u is normalized at load but not normalized", i);
            free(all);
            return -1;
        }
        all[i] = (tkz_added){(int32_t)id, flags, d + h->strings + offset, length};
    }
    int rc = normalize_added(t, all, h->n_added) || build_added_set(&t->added_raw, all, h->n_added, 0) ||
             build_added_set(&t->added_normalized, all, h->n_added, 1);
    free(all);
    if (rc) tkz_error(err, err_size, "out of memory");
    return rc ? -1 : 0;
}

/// Whether no merge can span the start of a run of "▁" (see split_at_metaspace): "▁" is a token, so unknown
/// characters never fuse across it, and no token has "▁" right after another character.
static int metaspace_runs_start_tokens(const llmc_tokenizer *t) {
    if (!(t->flags & TKZ_CHAR_SYMBOLS) || tkz_vocab_lookup(t, (const uint8_t *)TKZ_METASPACE, 3) < 0) return 0;
    for (uint32_t id = 0; id < t->n_tokens; id++) {
        if (!(t->token_flags[id] & TKZ_TOKEN_BPE)) continue;
        const uint8_t *s = t->token_bytes + t->token_offsets[id];
        size_t n = t->token_offsets[id + 1] - t->token_offsets[id];
        for (size_t i = 1; i + 3 <= n; i++)
            if (memcmp(s + i, TKZ_METASPACE, 3) == 0 && (i < 3 || memcmp(s + i - 3, TKZ_METASPACE, 3) != 0)) return 0;
    }
    return 1;
}

/// Adds a hash fingerprint to the Unigram prefix set (0 marks empty slots).
static void add_prefix(llmc_tokenizer *t, uint64_t hash) {
    uint32_t fingerprint = (uint32_t)(hash >> 32) | 1;
    for (uint64_t i = hash & t->prefix_mask;; i = (i + 1) & t->prefix_mask) {
        if (t->prefix_slots[i] == fingerprint) return;
        if (t->prefix_slots[i] == 0) {
            t->prefix_slots[i] = fingerprint;
            return;
        }
    }
}

int tkz_may_extend(const llmc_tokenizer *t, uint64_t hash) {
    uint32_t fingerprint = (uint32_t)(hash >> 32) | 1;
    for (uint64_t i = hash & t->prefix_mask;; i = (i + 1) & t->prefix_mask) {
        if (t->prefix_slots[i] == fingerprint) return 1;
        if (t->prefix_slots[i] == 0) return 0;
    }
}

/// Hashes the proper prefixes (at character boundaries) of every vocabulary token of a WordPiece or Unigram model,
/// so candidates that no token starts with are not extended (tkz_may_extend).
static int build_prefixes(llmc_tokenizer *t) {
    uint64_t prefixes = 0;
    for (uint32_t id = 0; id < t->n_tokens; id++)
        if (t->token_flags[id] & TKZ_TOKEN_BPE) prefixes += t->token_offsets[id + 1] - t->token_offsets[id];
    uint64_t cap = table_capacity(prefixes);
    t->prefix_slots = calloc(cap, sizeof(uint32_t));
    if (!t->prefix_slots) return -1;
    t->prefix_mask = cap - 1;
    for (uint32_t id = 0; id < t->n_tokens; id++) {
        if (!(t->token_flags[id] & TKZ_TOKEN_BPE)) continue;
        const uint8_t *s = t->token_bytes + t->token_offsets[id];
        size_t len = t->token_offsets[id + 1] - t->token_offsets[id];
        uint64_t h = TKZ_FNV_INIT;
        for (size_t i = 0; i + 1 < len; i++) {
            h = tkz_fnv_step(h, s[i]);
            if ((s[i + 1] & 0xC0) != 0x80) add_prefix(t, tkz_hash_finish(h)); // a prefix ending before a character
        }
    }
    return 0;
}

/// Copies the Unigram scores (f64, possibly unaligned) and finds the lowest score and the longest piece.
static int load_unigram(llmc_tokenizer *t, const uint8_t *raw) {
    t->scores = malloc(t->n_tokens * sizeof(double));
    if (!t->scores) return -1;
    memcpy(t->scores, raw, t->n_tokens * sizeof(double));
    t->min_score = 0;
    int any = 0;
    for (uint32_t id = 0; id < t->n_tokens; id++) {
        if (!(t->token_flags[id] & TKZ_TOKEN_BPE)) continue;
        if (!any || t->scores[id] < t->min_score) t->min_score = t->scores[id];
        any = 1;
        size_t len = t->token_offsets[id + 1] - t->token_offsets[id];
        if (len > t->max_piece_bytes) t->max_piece_bytes = len;
    }
    return 0;
}

/// The "<0xNN>" vocabulary token of each byte, for byte fallback.
static void find_fallback_ids(llmc_tokenizer *t) {
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        t->fallback_id[b] = (t->flags & TKZ_BYTE_FALLBACK) ? tkz_vocab_lookup(t, (const uint8_t *)name, 6) : -1;
    }
}

llmc_tokenizer *llmc_tokenizer_load(const uint8_t *data, uint64_t size, char *err, uint64_t err_size) {
    section_header h;
    if (!data || parse_header(data, size, &h, err, err_size)) return NULL;
    llmc_tokenizer *t = calloc(1, sizeof(llmc_tokenizer));
    if (!t) {
        tkz_error(err, err_size, "out of memory");
        return NULL;
    }
    if ((uintptr_t)data % 4 != 0) { // the arrays are read in place, so they must be aligned
        t->aligned_copy = malloc(size);
        if (!t->aligned_copy) {
            tkz_error(err, err_size, "out of memory");
            free(t);
            return NULL;
        }
        memcpy(t->aligned_copy, data, size);
        data = t->aligned_copy;
    }
    t->flags = h.flags;
    t->unk_id = h.unk_id;
    t->n_tokens = h.n_tokens;
    t->token_offsets = (const uint32_t *)(data + h.token_offsets);
    t->token_flags = data + h.token_flags;
    t->token_bytes = data + h.token_bytes;
    t->model = h.model;
    t->max_input_chars = h.model_arg;
    t->subword_prefix = (tkz_str){data + h.strings + h.model_string, h.model_string_len};
    for (uint32_t i = 0; i < h.n_tokens; i++) {
        if (t->token_offsets[i] > t->token_offsets[i + 1]) {
            tkz_error(err, err_size, "tokenizer section: token offsets decrease at id %u", i);
            goto fail;
        }
    }
    for (int b = 0; b < 256; b++) t->byte_to_id[b] = -1;
    for (uint32_t id = 0; id < h.n_tokens; id++) {
        if ((t->token_flags[id] & TKZ_TOKEN_BPE) && t->token_offsets[id + 1] - t->token_offsets[id] == 1)
            t->byte_to_id[t->token_bytes[t->token_offsets[id]]] = (int32_t)id;
    }
    if (h.n_single == 0) {
        tkz_error(err, err_size, "tokenizer section: empty single template");
        goto fail;
    }
    if (load_template(&t->single, data, h.single, h.n_single, t->n_tokens, 0, err, err_size) ||
        load_template(&t->pair, data, h.pair, h.n_pair, t->n_tokens, 1, err, err_size) ||
        load_steps(&t->normalizers, STAGE_NORMALIZER, data, h.normalizers, h.n_normalizers, &h, err, err_size) ||
        load_steps(&t->pretokenizers, STAGE_PRETOKENIZER, data, h.pretokenizers, h.n_pretokenizers, &h, err,
                   err_size) ||
        load_steps(&t->decoders, STAGE_DECODER, data, h.decoders, h.n_decoders, &h, err, err_size))
        goto fail;
    for (uint32_t i = 0, seen = 0; i < t->normalizers.count; i++) {
        const tkz_step *s = &t->normalizers.steps[i];
        if (s->kind != TKZ_NORM_PRECOMPILED) continue;
        if (seen++ || tkz_charmap_load(&t->charmap, s->str[0])) {
            tkz_error(err, err_size, "tokenizer section: bad Precompiled normalizer (step %u)", i);
            goto fail;
        }
    }
    if (load_added(t, data, &h, err, err_size) ||
        tkz_build_merges(t, (const uint32_t *)(data + h.merges), h.n_merges, err, err_size))
        goto fail;
    if ((t->flags & (TKZ_IGNORE_MERGES | TKZ_CHAR_SYMBOLS | TKZ_BYTE_FALLBACK)) || t->model != TKZ_MODEL_BPE) {
        if (build_vocab(t)) {
            tkz_error(err, err_size, "out of memory");
            goto fail;
        }
    }
    if ((t->model == TKZ_MODEL_UNIGRAM && load_unigram(t, data + h.scores)) ||
        (t->model != TKZ_MODEL_BPE && build_prefixes(t))) {
        tkz_error(err, err_size, "out of memory");
        goto fail;
    }
    find_fallback_ids(t);
    t->split_at_metaspace = metaspace_runs_start_tokens(t);
    return t;
fail:
    llmc_tokenizer_free(t);
    return NULL;
}

void llmc_tokenizer_free(llmc_tokenizer *t) {
    if (!t) return;
    free(t->merges);
    free(t->vocab_slots);
    free(t->added_raw.tokens);
    free(t->added_normalized.tokens);
    free(t->normalizers.steps);
    free(t->pretokenizers.steps);
    free(t->decoders.steps);
    free(t->aligned_copy);
    free(t->scores);
    free(t->prefix_slots);
    tkz_charmap_free(&t->charmap);
    free(t->added_text);
    free(t->text_override);
    free(t);
}

int64_t llmc_tokenizer_vocab_size(const llmc_tokenizer *t) { return t ? (int64_t)t->n_tokens : 0; }

int64_t llmc_tokenizer_num_special(const llmc_tokenizer *t, int pair) {
    if (!t) return -1;
    if (!pair) return t->single.n_special;
    return t->pair.count ? (int64_t)t->pair.n_special : -1;
}

int32_t llmc_tokenizer_token_id(const llmc_tokenizer *t, const char *token, uint64_t len) {
    if (!t || (!token && len)) return -1;
    const tkz_added_set *sets[2] = {&t->added_raw, &t->added_normalized};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < sets[k]->count; i++) {
            const tkz_added *a = &sets[k]->tokens[i];
            if (a->length == len && memcmp(a->content, token, len) == 0) return a->id;
        }
    for (uint32_t id = 0; id < t->n_tokens; id++) {
        tkz_str text = tkz_token_text(t, (int32_t)id);
        if ((t->token_flags[id] & TKZ_TOKEN_PRESENT) && text.len == len && memcmp(text.data, token, len) == 0)
            return (int32_t)id;
    }
    return -1;
}
