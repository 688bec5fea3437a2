// Normalizers (tokenizer.json's normalizer): NFC, Prepend, literal Replace, BertNormalizer, Lowercase, Strip and
// Precompiled (tokenizer_precompiled.c), applied
// in order to each piece of text between added tokens, and the literal find / replace they share with the Metaspace
// pre-tokenizer and the decoders.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

size_t tkz_find(const uint8_t *s, size_t n, size_t from, tkz_str needle) {
    while (from + needle.len <= n) {
        const uint8_t *hit = memchr(s + from, needle.data[0], n - from - needle.len + 1);
        if (!hit) break;
        size_t at = (size_t)(hit - s);
        if (memcmp(hit, needle.data, needle.len) == 0) return at;
        from = at + 1;
    }
    return SIZE_MAX;
}

int tkz_replace(tkz_bytes *arena, tkz_span *span, tkz_str pattern, tkz_str content) {
    if (pattern.len == 0) return 0;
    size_t at = tkz_find(arena->data + span->start, span->len, 0, pattern);
    if (at == SIZE_MAX) return 0;
    size_t out = arena->len, done = 0;
    // arena->data may move while appending, so the source is addressed by offset each time.
    while (at != SIZE_MAX) {
        if (tkz_bytes_append(arena, arena->data + span->start + done, at - done) ||
            tkz_bytes_append(arena, content.data, content.len))
            return -1;
        done = at + pattern.len;
        at = tkz_find(arena->data + span->start, span->len, done, pattern);
    }
    if (tkz_bytes_append(arena, arena->data + span->start + done, span->len - done)) return -1;
    *span = (tkz_span){out, arena->len - out};
    return 0;
}

/// NFC of arena[*piece].
static int nfc(tkz_bytes *arena, tkz_span *piece) {
    uint8_t *normalized;
    size_t len;
    if (unicode_nfc(arena->data + piece->start, piece->len, &normalized, &len)) return -1;
    if (!normalized) return 0; // already NFC
    size_t out = arena->len;
    int rc = tkz_bytes_append(arena, normalized, len);
    free(normalized);
    *piece = (tkz_span){out, len};
    return rc;
}

/// prefix + arena[*piece], when the piece is not empty.
static int prepend(tkz_bytes *arena, tkz_span *piece, tkz_str prefix) {
    if (piece->len == 0) return 0;
    size_t out = arena->len;
    if (tkz_bytes_append(arena, prefix.data, prefix.len) ||
        tkz_bytes_append(arena, arena->data + piece->start, piece->len))
        return -1;
    *piece = (tkz_span){out, arena->len - out};
    return 0;
}

/// Decodes arena[piece] (valid UTF-8) into code points.
static int decode_cps(const tkz_bytes *arena, tkz_span piece, unicode_cps *out) {
    const uint8_t *s = arena->data + piece.start;
    for (size_t i = 0; i < piece.len;) {
        uint32_t cp;
        int k = unicode_utf8_next(s + i, piece.len - i, &cp);
        if (k <= 0 || unicode_cps_push(out, cp)) return -1;
        i += (size_t)k;
    }
    return 0;
}

/// Appends the UTF-8 of the code points to the arena as the new *piece.
static int encode_cps(tkz_bytes *arena, tkz_span *piece, const unicode_cps *cps) {
    size_t out = arena->len;
    for (size_t i = 0; i < cps->len; i++) {
        uint8_t buf[4];
        if (tkz_bytes_append(arena, buf, (size_t)unicode_utf8_encode(cps->data[i], buf))) return -1;
    }
    *piece = (tkz_span){out, arena->len - out};
    return 0;
}

/// Lowercases the code points in place (Rust's char::to_lowercase may give up to three per character).
static int lowercase_cps(unicode_cps *a) {
    unicode_cps out = {0};
    for (size_t i = 0; i < a->len; i++) {
        uint32_t lower[3];
        int n = unicode_lowercase(a->data[i], lower);
        for (int k = 0; k < n; k++)
            if (unicode_cps_push(&out, lower[k])) {
                free(out.data);
                return -1;
            }
    }
    free(a->data);
    *a = out;
    return 0;
}

/// Whether all of cp's canonical decomposition is nonspacing marks (strip_accents drops it whole).
static int only_marks(uint32_t cp) {
    unicode_cps d = {0};
    int all = unicode_cps_push(&d, cp) == 0 && unicode_nfd_cps(&d) == 0 && d.len > 0;
    for (size_t i = 0; i < d.len && all; i++) all = (unicode_bert_class(d.data[i]) & UNICODE_BERT_NONSPACING_MARK) != 0;
    free(d.data);
    return all;
}

/// tokenizers' BertNormalizer: clean_text, handle_chinese_chars, strip_accents (NFD, then no Mn), lowercase.
/// *shifted is set when the piece's first characters are dropped.
static int bert(tkz_bytes *arena, tkz_span *piece, const uint32_t *arg, int *shifted) {
    unicode_cps a = {0}, b = {0};
    int rc = decode_cps(arena, *piece, &a);
    for (size_t i = 0; i < a.len && rc == 0; i++) {
        uint32_t cp = a.data[i];
        uint8_t flags = unicode_bert_class(cp);
        if (arg[0] && (flags & UNICODE_BERT_REMOVED)) {
            if (b.len == 0) *shifted = 1;
            continue;
        }
        if (arg[0] && (flags & UNICODE_BERT_SPACE)) cp = ' ';
        if (arg[1] && (flags & UNICODE_BERT_CHINESE))
            rc = unicode_cps_push(&b, ' ') || unicode_cps_push(&b, cp) || unicode_cps_push(&b, ' ');
        else
            rc = unicode_cps_push(&b, cp);
    }
    if (rc == 0 && arg[2]) {
        if (b.len > 0 && only_marks(b.data[0])) *shifted = 1;
        rc = unicode_nfd_cps(&b);
        size_t kept = 0;
        for (size_t i = 0; i < b.len; i++)
            if (!(unicode_bert_class(b.data[i]) & UNICODE_BERT_NONSPACING_MARK)) b.data[kept++] = b.data[i];
        b.len = kept;
    }
    if (rc == 0 && arg[3]) rc = lowercase_cps(&b);
    if (rc == 0) rc = encode_cps(arena, piece, &b);
    free(a.data);
    free(b.data);
    return rc;
}

static int lowercase(tkz_bytes *arena, tkz_span *piece) {
    unicode_cps a = {0};
    int rc = decode_cps(arena, *piece, &a) || lowercase_cps(&a) || encode_cps(arena, piece, &a);
    free(a.data);
    return rc;
}

/// Strip: drops whitespace at the start (left) and the end (right) of the piece; *shifted is set when it drops some
/// at the start.
static void strip(const tkz_bytes *arena, tkz_span *piece, int left, int right, int *shifted) {
    const uint8_t *s = arena->data + piece->start;
    size_t start = 0, end = piece->len;
    while (left && start < end) {
        uint32_t cp;
        int k = unicode_utf8_next(s + start, end - start, &cp);
        if (k <= 0 || !(unicode_class(cp) & UNICODE_SPACE)) break;
        start += (size_t)k;
    }
    while (right && end > start) {
        size_t i = end - 1;
        while (i > start && (s[i] & 0xC0) == 0x80) i--;
        uint32_t cp;
        if (unicode_utf8_next(s + i, end - i, &cp) <= 0 || !(unicode_class(cp) & UNICODE_SPACE)) break;
        end = i;
    }
    if (start > 0) *shifted = 1;
    *piece = (tkz_span){piece->start + start, end - start};
}

int tkz_normalize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span *piece, int *shifted) {
    *shifted = 0;
    for (uint32_t i = 0; i < t->normalizers.count; i++) {
        const tkz_step *s = &t->normalizers.steps[i];
        int rc = 0;
        switch (s->kind) {
        case TKZ_NORM_NFC: rc = nfc(arena, piece); break;
        case TKZ_NORM_PREPEND: rc = prepend(arena, piece, s->str[0]); break;
        case TKZ_NORM_REPLACE:
            // A match at the start replaced by nothing drops the first characters.
            if (s->str[1].len == 0 && s->str[0].len > 0 && piece->len >= s->str[0].len &&
                memcmp(arena->data + piece->start, s->str[0].data, s->str[0].len) == 0)
                *shifted = 1;
            rc = tkz_replace(arena, piece, s->str[0], s->str[1]);
            break;
        case TKZ_NORM_BERT: rc = bert(arena, piece, s->arg, shifted); break;
        case TKZ_NORM_LOWERCASE: rc = lowercase(arena, piece); break;
        case TKZ_NORM_STRIP: strip(arena, piece, (int)s->arg[0], (int)s->arg[1], shifted); break;
        default: rc = tkz_precompiled(&t->charmap, arena, piece); break; // TKZ_NORM_PRECOMPILED
        }
        if (rc) return -1;
    }
    return 0;
}
