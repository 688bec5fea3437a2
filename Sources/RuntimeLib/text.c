// Text <-> token ids through the tokenizer stored in the blob (llmc_tokenizer.h).
#include "runtime_internal.h"
#include "llmc_tokenizer.h"
#include <stdlib.h>
#include <string.h>

struct llmc_text {
    llmc_tokenizer *tok;
    int64_t vocab; ///< ids the tokenizer knows; the model's vocabulary may be padded beyond it
    int32_t *scratch;
    int64_t scratch_len;
};

llmc_text *llmc_text_load(const llmc_blob *blob, char *err, uint64_t err_len) {
    if (!blob->tokenizer) return llmc_rt_fail(err, err_len, "the model has no tokenizer"), NULL;
    llmc_tokenizer *tok = llmc_tokenizer_load(blob->tokenizer, blob->header->tokenizer_bytes, err, err_len);
    if (!tok) return NULL;
    llmc_text *t = llmc_rt_xmalloc(sizeof *t);
    *t = (llmc_text){tok, llmc_tokenizer_vocab_size(tok), NULL, 0};
    return t;
}

void llmc_text_free(llmc_text *t) {
    if (!t) return;
    llmc_tokenizer_free(t->tok);
    free(t->scratch);
    free(t);
}

int64_t llmc_text_encode(llmc_text *t, const char *text, int32_t **ids, char *err, uint64_t err_len) {
    return llmc_tokenizer_encode(t->tok, text, strlen(text), 1, ids, err, err_len);
}

int64_t llmc_text_decode(llmc_text *t, const int32_t *ids, int64_t n, int raw, char **out, char *err,
                         uint64_t err_len) {
    // Ids of padded vocabulary rows have no text: leave them out rather than fail the whole decode.
    if (n > t->scratch_len) {
        free(t->scratch);
        t->scratch_len = n * 2;
        t->scratch = llmc_rt_xmalloc((size_t)t->scratch_len * sizeof *t->scratch);
    }
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < t->vocab) t->scratch[kept++] = ids[i];
    return (raw ? llmc_tokenizer_decode_bytes : llmc_tokenizer_decode)(t->tok, t->scratch, (uint64_t)kept, 1, out,
                                                                        err, err_len);
}

int64_t llmc_text_encode_pair(llmc_text *t, const char *a, const char *b, int64_t max_len, int32_t **ids, int32_t **types,
                              int *truncated, char *err, uint64_t err_len) {
    return llmc_tokenizer_encode_pair(t->tok, a, strlen(a), b, b ? strlen(b) : 0, 1, max_len, ids, types, truncated, err,
                                      err_len);
}

int64_t llmc_prompt_ids(const llmc_context *ctx, llmc_text *text, int32_t **out) {
    const llmc_cli_options *o = ctx->opts;
    char err[512];
    int64_t n = o->n_prompt_ids;
    if (o->prompt) {
        n = llmc_text_encode(text, o->prompt, out, err, sizeof err);
        if (n < 0) return llmc_report(ctx->prog, -1, "cannot tokenize the prompt: %s", err);
    } else {
        *out = llmc_rt_xmalloc((size_t)(n > 0 ? n : 1) * sizeof **out);
        memcpy(*out, o->prompt_ids, (size_t)n * sizeof **out);
    }
    for (int64_t i = 0; i < n; i++)
        if ((*out)[i] < 0 || (*out)[i] >= ctx->model->vocab_size) {
            int32_t bad = (*out)[i];
            free(*out);
            return llmc_report(ctx->prog, -1, "the tokenizer produced id %d outside the model's vocabulary of %lld",
                               bad, (long long)ctx->model->vocab_size);
        }
    return n;
}
