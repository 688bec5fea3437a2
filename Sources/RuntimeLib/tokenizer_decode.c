// Decoding: ids -> the bytes of their tokens (ByteLevel decoding was done at compile time), then, for
// llmc_tokenizer_decode, invalid UTF-8 replaced by U+FFFD like Rust's String::from_utf8_lossy (what tokenizers does).
#include <stdlib.h>

#include "tokenizer_internal.h"
#include "unicode.h"

static int64_t decode(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special, int replace,
                      char **out, char *err, uint64_t err_size) {
    *out = NULL;
    if (!t || (!ids && n)) {
        tkz_error(err, err_size, "decode: no tokenizer or ids");
        return -1;
    }
    tkz_bytes raw = {0};
    for (uint64_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || (uint32_t)id >= t->n_tokens) {
            tkz_error(err, err_size, "decode: token id %d at position %llu is out of range [0, %u)", id,
                      (unsigned long long)i, t->n_tokens);
            free(raw.data);
            return -1;
        }
        if (skip_special && (t->token_flags[id] & TKZ_TOKEN_SPECIAL)) continue;
        uint32_t start = t->token_offsets[id];
        if (tkz_bytes_append(&raw, t->token_bytes + start, t->token_offsets[id + 1] - start)) goto oom;
    }
    if (replace) {
        tkz_bytes text = {0};
        static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};
        for (size_t i = 0; i < raw.len;) {
            uint32_t cp;
            int k = unicode_utf8_next(raw.data + i, raw.len - i, &cp);
            int rc = k > 0 ? tkz_bytes_append(&text, raw.data + i, (size_t)k) : tkz_bytes_append(&text, replacement, 3);
            if (rc) {
                free(text.data);
                goto oom;
            }
            i += (size_t)(k > 0 ? k : -k);
        }
        free(raw.data);
        raw = text;
    }
    if (tkz_bytes_append(&raw, (const uint8_t *)"", 0)) goto oom; // makes room for the terminating NUL
    raw.data[raw.len] = 0;
    *out = (char *)raw.data;
    return (int64_t)raw.len;
oom:
    free(raw.data);
    tkz_error(err, err_size, "decode: out of memory");
    return -1;
}

int64_t llmc_tokenizer_decode(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special, char **out,
                              char *err, uint64_t err_size) {
    return decode(t, ids, n, skip_special, 1, out, err, err_size);
}

int64_t llmc_tokenizer_decode_bytes(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special,
                                    char **out, char *err, uint64_t err_size) {
    return decode(t, ids, n, skip_special, 0, out, err, err_size);
}
