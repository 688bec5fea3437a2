// Normalizers (tokenizer.json's normalizer): NFC, Prepend and literal Replace, applied in order to each piece of text
// between added tokens, and the literal find / replace they share with the Metaspace pre-tokenizer and the decoders.
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

int tkz_normalize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span *piece) {
    for (uint32_t i = 0; i < t->normalizers.count; i++) {
        const tkz_step *s = &t->normalizers.steps[i];
        int rc = s->kind == TKZ_NORM_NFC       ? nfc(arena, piece)
                 : s->kind == TKZ_NORM_PREPEND ? prepend(arena, piece, s->str[0])
                                               : tkz_replace(arena, piece, s->str[0], s->str[1]);
        if (rc) return -1;
    }
    return 0;
}
