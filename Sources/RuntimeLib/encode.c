// Pooling models: runs any number of sequences through the model's `encode` entry point (llmc_abi.h), packing as
// many whole sequences into each call as max_batch allows.
#include "runtime_internal.h"
#include <stdlib.h>
#include <string.h>

int llmc_encode_all(llmc_session *s, const llmc_sequences *in, const llmc_encode_outputs *out, char *err,
                    uint64_t err_len) {
    const llmc_model *m = s->model;
    if (!m->encode) return llmc_rt_fail(err, err_len, "the model has no encode entry point");
    int64_t cap = m->max_batch;
    int32_t *tokens = llmc_rt_xmalloc((size_t)cap * sizeof *tokens);
    int32_t *types = llmc_rt_xmalloc((size_t)cap * sizeof *types);
    int32_t *positions = llmc_rt_xmalloc((size_t)cap * sizeof *positions);
    int64_t *starts = llmc_rt_xmalloc((size_t)(cap + 1) * sizeof *starts);
    int rc = 0;
    int64_t token_row = 0; // rows of the per-token outputs written so far
    for (int64_t first = 0; first < in->n;) {
        int64_t n_tokens = 0, n_seqs = 0;
        starts[0] = 0;
        while (first + n_seqs < in->n && n_tokens + in->lens[first + n_seqs] <= cap) {
            int64_t k = first + n_seqs, len = in->lens[k];
            if (len < 1) {
                rc = llmc_rt_fail(err, err_len, "input %lld has no tokens", (long long)k + 1);
                goto done;
            }
            memcpy(tokens + n_tokens, in->ids[k], (size_t)len * sizeof *tokens);
            for (int64_t i = 0; i < len; i++) {
                types[n_tokens + i] = in->types && in->types[k] ? in->types[k][i] : 0;
                positions[n_tokens + i] = (int32_t)i;
            }
            n_tokens += len;
            starts[++n_seqs] = n_tokens;
        }
        if (n_seqs == 0) {
            rc = llmc_rt_fail(err, err_len, "input %lld has %lld tokens, more than one call takes (%lld)",
                              (long long)first + 1, (long long)in->lens[first], (long long)cap);
            goto done;
        }
        llmc_encode_batch batch = {tokens, types, positions, starts, n_tokens, n_seqs};
        llmc_encode_outputs at = {
            out->hidden ? out->hidden + token_row * m->hidden_size : NULL,
            out->pooled ? out->pooled + first * m->pooled_size : NULL,
            out->seq_logits ? out->seq_logits + first * m->seq_labels : NULL,
            out->token_logits ? out->token_logits + token_row * m->token_labels : NULL,
        };
        m->encode(&s->state, &batch, &at);
        token_row += n_tokens;
        first += n_seqs;
    }
done:
    free(tokens);
    free(types);
    free(positions);
    free(starts);
    return rc;
}
