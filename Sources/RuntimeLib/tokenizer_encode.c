// Encoding, in the order of Hugging Face tokenizers' Tokenizer::encode:
//   1. split the text on the non-normalized added tokens (leftmost-longest, with single_word / lstrip / rstrip),
//   2. normalize each remaining piece (tokenizer_normalize.c) and split it on the normalized added tokens,
//   3. pre-tokenize the remaining pieces into words (tokenizer_pretok.c),
//   4. BPE each word (tokenizer_bpe.c),
//   5. add the post-processor's prefix and suffix ids when asked.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

/// A piece of the text after splitting on added tokens: bytes [start, end) of the arena, and the added token's
/// id, or -1 for text still to tokenize.
typedef struct added_split { size_t start, end; int32_t id; } added_split;
typedef struct added_splits { added_split *data; size_t len, cap; } added_splits;

typedef struct encoder {
    const llmc_tokenizer *t;
    tkz_bytes arena; ///< the input text, then normalized pieces and prefixed words
    tkz_ids ids;
    tkz_spans words;
    tkz_bpe_scratch bpe;
} encoder;

static int push_split(added_splits *s, size_t start, size_t end, int32_t id) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        added_split *data = realloc(s->data, cap * sizeof(added_split));
        if (!data) return -1;
        s->data = data;
        s->cap = cap;
    }
    s->data[s->len++] = (added_split){start, end, id};
    return 0;
}

/// Class flags of the character that ends at s[end] (end > 0).
static uint8_t class_before(const uint8_t *s, size_t end, size_t *char_start) {
    size_t i = end - 1;
    while (i > 0 && (s[i] & 0xC0) == 0x80) i--;
    uint32_t cp = 0;
    unicode_utf8_next(s + i, end - i, &cp);
    *char_start = i;
    return unicode_class(cp);
}

static uint8_t class_at(const uint8_t *s, size_t len, size_t i, size_t *char_len) {
    uint32_t cp = 0;
    int k = unicode_utf8_next(s + i, len - i, &cp);
    *char_len = k > 0 ? (size_t)k : 1;
    return unicode_class(cp);
}

/// Longest added token of the set that starts at s[i], or NULL.
static const tkz_added *match_added(const tkz_added_set *set, const uint8_t *s, size_t len, size_t i) {
    for (uint32_t k = set->first[s[i]]; k < set->first[s[i] + 1]; k++) {
        const tkz_added *a = &set->tokens[k];
        if (a->length <= len - i && memcmp(s + i, a->content, a->length) == 0) return a;
    }
    return NULL;
}

/// Splits text [base, base + len) of the arena on the added tokens of set, like tokenizers'
/// AddedVocabulary::find_matches (the match iteration continues after each match's own end, whatever was stripped).
static int split_on_added(const tkz_added_set *set, const uint8_t *arena, size_t base, size_t len,
                          added_splits *out) {
    const uint8_t *s = arena + base;
    size_t start_offset = 0;
    for (size_t i = 0; i < len && set->count > 0;) {
        const tkz_added *a = match_added(set, s, len, i);
        if (!a) {
            i++;
            continue;
        }
        size_t start = i, stop = i + a->length, scan, step;
        i = stop;
        if (a->flags & TKZ_ADDED_SINGLE_WORD) {
            int word_before = start > 0 && (class_before(s, start, &scan) & UNICODE_WORD);
            int word_after = stop < len && (class_at(s, len, stop, &step) & UNICODE_WORD);
            if (word_before || word_after) continue;
        }
        if (a->flags & TKZ_ADDED_LSTRIP) {
            size_t new_start = start;
            while (new_start > 0 && (class_before(s, new_start, &scan) & UNICODE_SPACE)) new_start = scan;
            start = new_start > start_offset ? new_start : start_offset;
        }
        if (a->flags & TKZ_ADDED_RSTRIP) {
            while (stop < len && (class_at(s, len, stop, &step) & UNICODE_SPACE)) stop += step;
        }
        if (start_offset < start && push_split(out, base + start_offset, base + start, -1)) return -1;
        if (push_split(out, base + start, base + stop, a->id)) return -1;
        start_offset = stop;
    }
    if (start_offset < len && push_split(out, base + start_offset, base + len, -1)) return -1;
    return 0;
}

/// Pre-tokenizes and BPE-encodes arena[start, end); at_start: the piece begins the input text.
static int encode_words(encoder *e, size_t start, size_t end, int at_start) {
    e->words.len = 0;
    if (tkz_pretokenize(e->t, &e->arena, (tkz_span){start, end - start}, at_start, &e->words)) return -1;
    for (size_t i = 0; i < e->words.len; i++) {
        tkz_span w = e->words.data[i];
        if (tkz_bpe_word(e->t, e->arena.data + w.start, w.len, &e->bpe, &e->ids)) return -1;
    }
    return 0;
}

/// Normalizes arena[start, end), splits it on the normalized added tokens and encodes the rest.
static int encode_normalized(encoder *e, size_t start, size_t end, int at_start) {
    tkz_span piece = {start, end - start};
    if (tkz_normalize(e->t, &e->arena, &piece)) return -1;
    added_splits splits = {0};
    int rc = split_on_added(&e->t->added_normalized, e->arena.data, piece.start, piece.len, &splits);
    for (size_t i = 0; i < splits.len && rc == 0; i++) {
        added_split s = splits.data[i];
        rc = s.id >= 0 ? tkz_ids_push(&e->ids, s.id)
                       : encode_words(e, s.start, s.end, at_start && s.start == piece.start);
    }
    free(splits.data);
    return rc;
}

static int encode_text(encoder *e, size_t len) {
    added_splits splits = {0};
    int rc = split_on_added(&e->t->added_raw, e->arena.data, 0, len, &splits);
    for (size_t i = 0; i < splits.len && rc == 0; i++) {
        added_split s = splits.data[i];
        rc = s.id >= 0 ? tkz_ids_push(&e->ids, s.id) : encode_normalized(e, s.start, s.end, s.start == 0);
    }
    free(splits.data);
    return rc;
}

static int push_all(tkz_ids *ids, const int32_t *src, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (tkz_ids_push(ids, src[i])) return -1;
    return 0;
}

int64_t llmc_tokenizer_encode(const llmc_tokenizer *t, const char *text, uint64_t len, int add_special, int32_t **out,
                              char *err, uint64_t err_size) {
    *out = NULL;
    if (!t || (!text && len)) {
        tkz_error(err, err_size, "encode: no tokenizer or text");
        return -1;
    }
    const uint8_t *s = (const uint8_t *)text;
    for (uint64_t i = 0; i < len;) {
        uint32_t cp;
        int k = unicode_utf8_next(s + i, len - i, &cp);
        if (k <= 0) {
            tkz_error(err, err_size, "encode: invalid UTF-8 at byte %llu", (unsigned long long)i);
            return -1;
        }
        i += (uint64_t)k;
    }
    encoder e = {.t = t};
    int rc = tkz_bytes_append(&e.arena, s, len) || tkz_ids_push(&e.ids, 0);
    e.ids.len = 0; // the push above only makes sure the result is a non-NULL allocation
    if (rc == 0 && add_special) rc = push_all(&e.ids, t->prefix, t->n_prefix);
    if (rc == 0) rc = encode_text(&e, len);
    if (rc == 0 && add_special) rc = push_all(&e.ids, t->suffix, t->n_suffix);
    free(e.arena.data);
    free(e.words.data);
    tkz_bpe_scratch_free(&e.bpe);
    if (rc) {
        free(e.ids.data);
        tkz_error(err, err_size, "encode: out of memory");
        return -1;
    }
    *out = e.ids.data;
    return (int64_t)e.ids.len;
}
