// Decoding, like Hugging Face tokenizers' Tokenizer::decode: the ids' token texts (special tokens left out when asked),
// then the decoder steps over that list of strings (decode_chain: Replace, ByteFallback, Fuse, Strip, Metaspace for
// SentencePiece-style BPE and Unigram, WordPiece for BERT; none for byte-level BPE, whose token texts were mapped back to bytes at compile time),
// joined. llmc_tokenizer_decode then replaces invalid UTF-8 by U+FFFD like Rust's String::from_utf8_lossy (only
// byte-level output can be invalid there); llmc_tokenizer_decode_bytes keeps every byte, including byte-fallback runs
// that are not valid UTF-8, for a streaming printer to hold back.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

static const tkz_str replacement_character = {(const uint8_t *)"\xEF\xBF\xBD", 3};

/// The token strings being decoded: spans of an arena that holds the token texts and the steps' results.
typedef struct decoding {
    tkz_bytes arena;
    tkz_spans pieces, next;
    int raw; ///< keep invalid byte-fallback runs as bytes
} decoding;

static int hex_digit(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// The byte of a "<0xNN>" token as tokenizers' ByteFallback reads it (six bytes, the two between "<0x" and ">"
/// parsed by Rust's u8::from_str_radix, which takes a leading "+"), or -1.
static int byte_token(const uint8_t *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    int value = 0;
    for (int i = s[3] == '+' ? 4 : 3; i < 5; i++) {
        int digit = hex_digit(s[i]);
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    return value;
}

static int valid_utf8(const uint8_t *s, size_t n) {
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int k = unicode_utf8_next(s + i, n - i, &cp);
        if (k <= 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

/// Ends a run of byte tokens (its bytes at arena[start, start + len)): one string when valid UTF-8 (or raw), else
/// one U+FFFD per byte.
static int flush_byte_run(decoding *d, size_t start, size_t len) {
    if (len == 0) return 0;
    if (d->raw || valid_utf8(d->arena.data + start, len)) return tkz_spans_push(&d->next, start, len);
    size_t out = d->arena.len;
    for (size_t i = 0; i < len; i++)
        if (tkz_bytes_append(&d->arena, replacement_character.data, replacement_character.len)) return -1;
    return tkz_spans_push(&d->next, out, d->arena.len - out);
}

static int byte_fallback(decoding *d) {
    size_t run_start = 0, run_len = 0;
    d->next.len = 0;
    for (size_t i = 0; i < d->pieces.len; i++) {
        tkz_span p = d->pieces.data[i];
        int byte = byte_token(d->arena.data + p.start, p.len);
        if (byte >= 0) {
            if (run_len == 0) run_start = d->arena.len; // nothing else is appended while a run lasts
            uint8_t b = (uint8_t)byte;
            if (tkz_bytes_append(&d->arena, &b, 1)) return -1;
            run_len++;
            continue;
        }
        if (flush_byte_run(d, run_start, run_len) || tkz_spans_push(&d->next, p.start, p.len)) return -1;
        run_len = 0;
    }
    if (flush_byte_run(d, run_start, run_len)) return -1;
    tkz_spans swap = d->pieces;
    d->pieces = d->next;
    d->next = swap;
    return 0;
}

static int fuse(decoding *d) {
    size_t out = d->arena.len;
    for (size_t i = 0; i < d->pieces.len; i++) {
        tkz_span p = d->pieces.data[i];
        if (tkz_bytes_append(&d->arena, d->arena.data + p.start, p.len)) return -1;
    }
    d->pieces.len = 0;
    return tkz_spans_push(&d->pieces, out, d->arena.len - out);
}

static void strip(decoding *d, tkz_str content, uint32_t start, uint32_t stop) {
    for (size_t i = 0; i < d->pieces.len; i++) {
        tkz_span *p = &d->pieces.data[i];
        for (uint32_t k = 0; k < start && p->len >= content.len &&
                             memcmp(d->arena.data + p->start, content.data, content.len) == 0; k++) {
            p->start += content.len;
            p->len -= content.len;
        }
        for (uint32_t k = 0; k < stop && p->len >= content.len &&
                             memcmp(d->arena.data + p->start + p->len - content.len, content.data, content.len) == 0;
             k++)
            p->len -= content.len;
    }
}

/// tokenizers' WordPiece decoder (before its cleanup, which the section writes as Replace steps): a token after the
/// first loses the prefix when it starts with it, else gets a space before it.
static int wordpiece(decoding *d, tkz_str prefix) {
    for (size_t i = 1; i < d->pieces.len; i++) {
        tkz_span *p = &d->pieces.data[i];
        if (p->len >= prefix.len && memcmp(d->arena.data + p->start, prefix.data, prefix.len) == 0) {
            p->start += prefix.len;
            p->len -= prefix.len;
            continue;
        }
        size_t out = d->arena.len;
        if (tkz_bytes_append(&d->arena, (const uint8_t *)" ", 1) ||
            tkz_bytes_append(&d->arena, d->arena.data + p->start, p->len))
            return -1;
        *p = (tkz_span){out, d->arena.len - out};
    }
    return 0;
}

static int apply_decoder(decoding *d, const tkz_step *s) {
    static const tkz_str space = {(const uint8_t *)" ", 1}, nothing = {(const uint8_t *)"", 0};
    switch (s->kind) {
    case TKZ_DEC_REPLACE:
        for (size_t i = 0; i < d->pieces.len; i++)
            if (tkz_replace(&d->arena, &d->pieces.data[i], s->str[0], s->str[1])) return -1;
        return 0;
    case TKZ_DEC_BYTE_FALLBACK: return byte_fallback(d);
    case TKZ_DEC_FUSE: return fuse(d);
    case TKZ_DEC_STRIP: strip(d, s->str[0], s->arg[2], s->arg[3]); return 0;
    case TKZ_DEC_WORDPIECE: return wordpiece(d, s->str[0]);
    default: // TKZ_DEC_METASPACE
        for (size_t i = 0; i < d->pieces.len; i++)
            if (tkz_replace(&d->arena, &d->pieces.data[i], s->str[0], i == 0 && s->arg[2] ? nothing : space))
                return -1;
        return 0;
    }
}

/// Joins the pieces into a malloc'ed NUL-terminated string; unless raw, invalid UTF-8 (across piece boundaries: a
/// byte-level token may end inside a character) becomes U+FFFD per maximal invalid subsequence.
static int join(decoding *d, tkz_bytes *out) {
    size_t start = d->arena.len;
    for (size_t i = 0; i < d->pieces.len; i++) {
        tkz_span p = d->pieces.data[i];
        if (tkz_bytes_append(&d->arena, d->arena.data + p.start, p.len)) return -1;
    }
    const uint8_t *s = d->arena.data + start;
    size_t n = d->arena.len - start;
    for (size_t k = 0; k < n;) {
        uint32_t cp;
        int len = d->raw ? (int)(n - k) : unicode_utf8_next(s + k, n - k, &cp);
        int rc = len > 0 ? tkz_bytes_append(out, s + k, (size_t)len)
                         : tkz_bytes_append(out, replacement_character.data, replacement_character.len);
        if (rc) return -1;
        k += (size_t)(len > 0 ? len : -len);
    }
    if (tkz_bytes_append(out, (const uint8_t *)"", 0)) return -1; // makes room for the terminating NUL
    out->data[out->len] = 0;
    return 0;
}

static int64_t decode(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special, int raw,
                      char **out, char *err, uint64_t err_size) {
    *out = NULL;
    if (!t || (!ids && n)) {
        tkz_error(err, err_size, "decode: no tokenizer or ids");
        return -1;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= t->n_tokens) {
            tkz_error(err, err_size, "decode: token id %d at position %llu is out of range [0, %u)", ids[i],
                      (unsigned long long)i, t->n_tokens);
            return -1;
        }
    }
    decoding d = {.raw = raw};
    tkz_bytes text = {0};
    int rc = tkz_bytes_append(&d.arena, (const uint8_t *)"", 0); // a non-NULL arena even when no token has text
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        int32_t id = ids[i];
        if (skip_special && (t->token_flags[id] & TKZ_TOKEN_SPECIAL)) continue;
        tkz_str text = tkz_token_text(t, id);
        size_t at = d.arena.len;
        rc = tkz_bytes_append(&d.arena, text.data, text.len) || tkz_spans_push(&d.pieces, at, text.len);
    }
    for (uint32_t k = 0; k < t->decoders.count && rc == 0; k++) rc = apply_decoder(&d, &t->decoders.steps[k]);
    if (rc == 0) rc = join(&d, &text);
    free(d.arena.data);
    free(d.pieces.data);
    free(d.next.data);
    if (rc) {
        free(text.data);
        tkz_error(err, err_size, "decode: out of memory");
        return -1;
    }
    *out = (char *)text.data;
    return (int64_t)text.len;
}

int64_t llmc_tokenizer_decode(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special, char **out,
                              char *err, uint64_t err_size) {
    return decode(t, ids, n, skip_special, 0, out, err, err_size);
}

int64_t llmc_tokenizer_decode_bytes(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special,
                                    char **out, char *err, uint64_t err_size) {
    return decode(t, ids, n, skip_special, 1, out, err, err_size);
}
