// Growable arrays used while encoding and decoding.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/// Grows *data (elements of size elem) to hold at least need elements.
static int grow(void **data, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need) cap2 *= 2;
    void *p = realloc(*data, cap2 * elem);
    if (!p) return -1;
    *data = p;
    *cap = cap2;
    return 0;
}

int tkz_bytes_append(tkz_bytes *b, const uint8_t *data, size_t n) {
    // data may point into b itself (appending a piece of the arena), so keep its offset across the realloc
    int inside = b->data && data >= b->data && data < b->data + b->len;
    size_t offset = inside ? (size_t)(data - b->data) : 0;
    if (grow((void **)&b->data, &b->cap, b->len + n + 1, 1)) return -1;
    if (inside) data = b->data + offset;
    if (n) memmove(b->data + b->len, data, n);
    b->len += n;
    return 0;
}

int tkz_ids_push(tkz_ids *ids, int32_t id) {
    if (grow((void **)&ids->data, &ids->cap, ids->len + 1, sizeof(int32_t))) return -1;
    ids->data[ids->len++] = id;
    return 0;
}

int tkz_spans_push(tkz_spans *spans, size_t start, size_t len) {
    if (grow((void **)&spans->data, &spans->cap, spans->len + 1, sizeof(tkz_span))) return -1;
    spans->data[spans->len++] = (tkz_span){start, len};
    return 0;
}
