// Precompiled normalizer: SentencePiece's precompiled_charsmap (decoded at compile time into (string, replacement)
// pairs, see Sources/Frontend/Tokenizer/PrecompiledCharsmap.swift), applied like Hugging Face tokenizers' Precompiled:
// grapheme by grapheme, a grapheme shorter than 6 bytes that starts with a key of the map is replaced whole by the
// replacement of the shortest such key; otherwise each character that starts with a key is replaced (the shortest key
// again) and the others are kept.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

static uint16_t read_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int tkz_charmap_load(tkz_charmap *m, tkz_str blob) {
    const uint8_t *p = blob.data, *end = blob.data + blob.len;
    if (blob.len < 4) return -1;
    uint32_t count = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    p += 4;
    uint64_t cap = 16;
    while (cap < (uint64_t)count * 2) cap *= 2;
    if (count > blob.len / 4) return -1; // each entry takes at least four bytes
    m->entries = malloc((count ? count : 1) * sizeof(tkz_charmap_entry));
    m->slots = malloc(cap * sizeof(int32_t));
    if (!m->entries || !m->slots) return -1;
    memset(m->slots, 0xff, cap * sizeof(int32_t));
    m->mask = cap - 1;
    m->count = count;
    for (uint32_t i = 0; i < count; i++) {
        if (end - p < 4) return -1;
        uint16_t key_len = read_u16(p), value_len = read_u16(p + 2);
        p += 4;
        if (key_len == 0 || (size_t)(end - p) < (size_t)key_len + value_len) return -1;
        m->entries[i] = (tkz_charmap_entry){{p, key_len}, {p + key_len, value_len}};
        p += key_len + value_len;
        uint64_t h = tkz_hash_bytes(m->entries[i].key.data, key_len) & m->mask;
        while (m->slots[h] >= 0) h = (h + 1) & m->mask;
        m->slots[h] = (int32_t)i;
    }
    return p == end ? 0 : -1;
}

void tkz_charmap_free(tkz_charmap *m) {
    free(m->entries);
    free(m->slots);
}

static const tkz_charmap_entry *find(const tkz_charmap *m, const uint8_t *s, size_t n) {
    for (uint64_t h = tkz_hash_bytes(s, n) & m->mask;; h = (h + 1) & m->mask) {
        int32_t i = m->slots[h];
        if (i < 0) return NULL;
        const tkz_charmap_entry *e = &m->entries[i];
        if (e->key.len == n && memcmp(e->key.data, s, n) == 0) return e;
    }
}

/// The entry of the shortest key that is a prefix of s[0, n), like the trie's first common-prefix result.
static const tkz_charmap_entry *shortest_prefix(const tkz_charmap *m, const uint8_t *s, size_t n) {
    for (size_t k = 1; k <= n; k++) {
        const tkz_charmap_entry *e = find(m, s, k);
        if (e) return e;
    }
    return NULL;
}

int tkz_precompiled(const tkz_charmap *m, tkz_bytes *arena, tkz_span *piece) {
    size_t out = arena->len;
    // The source is addressed by offset: appending may move the arena.
    for (size_t g = 0; g < piece->len;) {
        size_t g_end = unicode_grapheme_end(arena->data + piece->start, piece->len, g);
        const tkz_charmap_entry *e =
            g_end - g < 6 ? shortest_prefix(m, arena->data + piece->start + g, g_end - g) : NULL;
        if (e) {
            if (tkz_bytes_append(arena, e->value.data, e->value.len)) return -1;
            g = g_end;
            continue;
        }
        while (g < g_end) {
            uint32_t cp;
            const uint8_t *c = arena->data + piece->start + g;
            int k = unicode_utf8_next(c, g_end - g, &cp);
            size_t n = k > 0 ? (size_t)k : 1;
            e = shortest_prefix(m, c, n);
            if (e ? tkz_bytes_append(arena, e->value.data, e->value.len) : tkz_bytes_append(arena, c, n)) return -1;
            g += n;
        }
    }
    *piece = (tkz_span){out, arena->len - out};
    return 0;
}
