// Encoding, in the order of Hugging Face tokenizers' Tokenizer::encode:
//   1. split the text on the non-normalized added tokens (leftmost-longest, with single_word / lstrip / rstrip),
//   2. normalize each remaining piece (tokenizer_normalize.c) and split it on the normalized added tokens,
//   3. pre-tokenize the remaining pieces into words (tokenizer_pretok.c),
//   4. run the model on each word (BPE: tokenizer_bpe.c, WordPiece: tokenizer_wordpiece.c, Unigram:
//      tokenizer_unigram.c),
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
    tkz_bytes scratch; ///< WordPiece candidates
    tkz_unigram_scratch unigram;
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

/// Pre-tokenizes arena[start, end) and runs the model on each word; at_start: the piece begins the input text.
static int encode_words(encoder *e, size_t start, size_t end, int at_start) {
    e->words.len = 0;
    if (tkz_pretokenize(e->t, &e->arena, (tkz_span){start, end - start}, at_start, &e->words)) return -1;
    for (size_t i = 0; i < e->words.len; i++) {
        tkz_span w = e->words.data[i];
        const uint8_t *word = e->arena.data + w.start;
        int rc = e->t->model == TKZ_MODEL_WORDPIECE ? tkz_wordpiece_word(e->t, word, w.len, &e->scratch, &e->ids)
                 : e->t->model == TKZ_MODEL_UNIGRAM ? tkz_unigram_word(e->t, word, w.len, &e->unigram, &e->ids)
                                                    : tkz_bpe_word(e->t, word, w.len, &e->bpe, &e->ids);
        if (rc) return rc;
    }
    return 0;
}

/// Normalizes arena[start, end), splits it on the normalized added tokens and encodes the rest.
static int encode_normalized(encoder *e, size_t start, size_t end, int at_start) {
    tkz_span piece = {start, end - start};
    int shifted;
    if (tkz_normalize(e->t, &e->arena, &piece, &shifted)) return -1;
    added_splits splits = {0};
    int rc = split_on_added(&e->t->added_normalized, e->arena.data, piece.start, piece.len, &splits);
    for (size_t i = 0; i < splits.len && rc == 0; i++) {
        added_split s = splits.data[i];
        rc = s.id >= 0 ? tkz_ids_push(&e->ids, s.id)
                       : encode_words(e, s.start, s.end, at_start && !shifted && s.start == piece.start);
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

/// Checks that text[0, len) is valid UTF-8; the message names the byte and which text of a pair it is in.
static int check_utf8(const uint8_t *s, uint64_t len, const char *which, char *err, uint64_t err_size) {
    for (uint64_t i = 0; i < len;) {
        uint32_t cp;
        int k = unicode_utf8_next(s + i, len - i, &cp);
        if (k <= 0) {
            tkz_error(err, err_size, "encode: invalid UTF-8 at byte %llu%s", (unsigned long long)i, which);
            return -1;
        }
        i += (uint64_t)k;
    }
    return 0;
}

/// Encodes one text (no special tokens) into *out: the input goes into a fresh arena.
static int encode_sequence(const llmc_tokenizer *t, const uint8_t *text, uint64_t len, tkz_ids *out) {
    encoder e = {.t = t, .ids = *out};
    int rc = tkz_bytes_append(&e.arena, text, len);
    if (rc == 0) rc = encode_text(&e, len);
    *out = e.ids;
    free(e.arena.data);
    free(e.words.data);
    free(e.scratch.data);
    tkz_unigram_scratch_free(&e.unigram);
    tkz_bpe_scratch_free(&e.bpe);
    return rc;
}

/// Lengths after tokenizers' truncate_encodings with the LongestFirst strategy: the longer sequence loses tokens
/// first; when both must be cut they share max (the second one gets the odd token).
static void truncate_longest_first(size_t *na, size_t *nb, size_t max, int pair) {
    if (*na + *nb <= max) return;
    if (!pair) {
        *na = max;
        return;
    }
    size_t n1 = *na, n2 = *nb;
    int swap = n1 > n2;
    if (swap) { size_t x = n1; n1 = n2; n2 = x; }
    n2 = n1 > max ? n1 : (n1 > max - n1 ? n1 : max - n1);
    if (n1 + n2 > max) {
        n1 = max / 2;
        n2 = n1 + max % 2;
    }
    if (swap) { size_t x = n1; n1 = n2; n2 = x; }
    if (n1 < *na) *na = n1;
    if (n2 < *nb) *nb = n2;
}

int64_t llmc_tokenizer_encode_pair(const llmc_tokenizer *t, const char *a, uint64_t alen, const char *b, uint64_t blen,
                                   int add_special, int64_t max_len, int32_t **ids, int32_t **type_ids,
                                   int *truncated, char *err, uint64_t err_size) {
    *ids = NULL;
    if (type_ids) *type_ids = NULL;
    if (truncated) *truncated = 0;
    int pair = b != NULL && blen > 0; // like transformers, which ignores an empty text_pair
    if (!t || (!a && alen) || (pair && blen && !b)) {
        tkz_error(err, err_size, "encode: no tokenizer or text");
        return -1;
    }
    const tkz_template *template = pair ? &t->pair : &t->single;
    if (pair && template->count == 0) {
        tkz_error(err, err_size, "encode: this tokenizer's post-processor has no template for a pair of texts");
        return -1;
    }
    uint32_t n_special = add_special ? template->n_special : 0;
    if (max_len > 0 && (uint64_t)max_len < n_special) {
        tkz_error(err, err_size, "encode: max length %lld is less than the %u special tokens", (long long)max_len,
                  n_special);
        return -1;
    }
    if (check_utf8((const uint8_t *)a, alen, pair ? " of the first text" : "", err, err_size) ||
        (pair && check_utf8((const uint8_t *)b, blen, " of the second text", err, err_size)))
        return -1;
    tkz_ids seq[2] = {{0}, {0}}, out = {0};
    int32_t *types = NULL;
    int rc = encode_sequence(t, (const uint8_t *)a, alen, &seq[0]);
    if (rc == 0 && pair) rc = encode_sequence(t, (const uint8_t *)b, blen, &seq[1]);
    if (rc == 0 && max_len > 0) {
        size_t na = seq[0].len, nb = seq[1].len;
        truncate_longest_first(&na, &nb, (size_t)max_len - n_special, pair);
        if (truncated) *truncated = na < seq[0].len || nb < seq[1].len;
        seq[0].len = na;
        seq[1].len = nb;
    }
    // The template: special tokens only with add_special, the sequences always with the template's type ids.
    size_t total = seq[0].len + seq[1].len + n_special;
    out.data = malloc((total ? total : 1) * sizeof(int32_t));
    types = malloc((total ? total : 1) * sizeof(int32_t));
    if (rc == 0 && (!out.data || !types)) rc = -1;
    for (uint32_t i = 0; i < template->count && rc == 0; i++) {
        tkz_template_item item = template->items[i];
        if (item.value >= 0 && !add_special) continue;
        const tkz_ids *s = item.value >= 0 ? NULL : &seq[item.value == TKZ_TEMPLATE_A ? 0 : 1];
        size_t n = s ? s->len : 1;
        for (size_t k = 0; k < n; k++) {
            out.data[out.len] = s ? s->data[k] : item.value;
            types[out.len++] = (int32_t)item.type_id;
        }
    }
    free(seq[0].data);
    free(seq[1].data);
    if (rc) {
        free(out.data);
        free(types);
        if (rc == TKZ_ERR_NO_UNK)
            tkz_error(err, err_size, "encode: the text has a character the Unigram model cannot encode, and the model "
                                     "has no unk token (unk_id)");
        else
            tkz_error(err, err_size, "encode: out of memory");
        return -1;
    }
    *ids = out.data;
    if (type_ids) *type_ids = types;
    else free(types);
    return (int64_t)out.len;
}

int64_t llmc_tokenizer_encode(const llmc_tokenizer *t, const char *text, uint64_t len, int add_special, int32_t **out,
                              char *err, uint64_t err_size) {
    return llmc_tokenizer_encode_pair(t, text, len, NULL, 0, add_special, 0, out, NULL, NULL, err, err_size);
}
