// Text <-> token ids through the tokenizer stored in the blob (the tokenizer engineer's llmc_tokenizer API).
#include "runtime_internal.h"
#include <stdlib.h>

// Declarations of the tokenizer API (include/llmc_tokenizer.h once it lands). Weak until then, so RuntimeLib links
// without the tokenizer objects; llmc_text_load reports a missing implementation.
typedef struct llmc_tokenizer llmc_tokenizer;
__attribute__((weak)) llmc_tokenizer *llmc_tokenizer_load(const uint8_t *data, uint64_t len, char *err,
                                                          uint64_t err_len);
__attribute__((weak)) void llmc_tokenizer_free(llmc_tokenizer *t);
__attribute__((weak)) int64_t llmc_tokenizer_encode(llmc_tokenizer *t, const char *text, uint64_t len,
                                                    int add_special, int32_t **out, char *err, uint64_t err_len);
__attribute__((weak)) int64_t llmc_tokenizer_decode(llmc_tokenizer *t, const int32_t *ids, uint64_t n,
                                                    int skip_special, char **out, char *err, uint64_t err_len);
__attribute__((weak)) int64_t llmc_tokenizer_decode_bytes(llmc_tokenizer *t, const int32_t *ids, uint64_t n,
                                                          int skip_special, char **out, char *err, uint64_t err_len);

struct llmc_text {
    llmc_tokenizer *tok;
};

llmc_text *llmc_text_load(const llmc_blob *blob, char *err, uint64_t err_len) {
    if (!blob->tokenizer) return llmc_rt_fail(err, err_len, "the model has no tokenizer"), NULL;
    if (!llmc_tokenizer_load) return llmc_rt_fail(err, err_len, "this runtime was built without a tokenizer"), NULL;
    llmc_tokenizer *tok = llmc_tokenizer_load(blob->tokenizer, blob->header->tokenizer_bytes, err, err_len);
    if (!tok) return NULL;
    llmc_text *t = llmc_rt_xmalloc(sizeof *t);
    t->tok = tok;
    return t;
}

void llmc_text_free(llmc_text *t) {
    if (!t) return;
    llmc_tokenizer_free(t->tok);
    free(t);
}

int64_t llmc_text_encode(llmc_text *t, const char *text, int32_t **ids, char *err, uint64_t err_len) {
    size_t len = 0;
    while (text[len]) len++;
    return llmc_tokenizer_encode(t->tok, text, len, 1, ids, err, err_len);
}

int64_t llmc_text_decode(llmc_text *t, const int32_t *ids, int64_t n, int raw, char **out, char *err,
                         uint64_t err_len) {
    return (raw ? llmc_tokenizer_decode_bytes : llmc_tokenizer_decode)(t->tok, ids, (uint64_t)n, 1, out, err, err_len);
}
