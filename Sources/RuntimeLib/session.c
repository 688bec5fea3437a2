// One generation session: the KV cache, the activation arena and the forward calls that fill them.
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/// Page-aligned, lazily zeroed anonymous memory; `huge` requests transparent huge pages where available.
static void *map_zeroed(size_t bytes, int huge) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)huge;
#endif
    return p;
}

int llmc_session_init(llmc_session *s, const llmc_model *model, const uint8_t *weights, int64_t max_ctx, char *err,
                      uint64_t err_len) {
    memset(s, 0, sizeof *s);
    s->model = model;
    if (max_ctx < 1 || model->kv_bytes_per_position < 0 || model->arena_bytes < 0 ||
        (model->kv_bytes_per_position > 0 && max_ctx > INT64_MAX / model->kv_bytes_per_position))
        return llmc_rt_fail(err, err_len, "KV cache size overflows for %lld positions", (long long)max_ctx);
    size_t kv = (size_t)(model->kv_bytes_per_position * max_ctx);
    s->kv_map_bytes = kv > 0 ? kv : 64;
    s->arena_map_bytes = model->arena_bytes > 0 ? (size_t)model->arena_bytes : 64;
    // Small pages for the KV cache: every layer's K and V region is touched at its first positions by the first
    // forward call, and with huge pages each of those touches zeroes 2 MiB (120 MB for SmolLM2 at 4096 positions,
    // most of the first token's latency); small pages are zeroed as the cache fills, a few per token.
    s->state.kv = map_zeroed(s->kv_map_bytes, 0);
    if (!s->state.kv) {
        int e = errno;
        s->kv_map_bytes = 0;
        return llmc_rt_fail(err, err_len, "cannot allocate the KV cache (%.1f MiB for %lld positions): %s",
                            kv / 1048576.0, (long long)max_ctx, strerror(e));
    }
    s->state.arena = map_zeroed(s->arena_map_bytes, 1);
    if (!s->state.arena) {
        int e = errno;
        s->arena_map_bytes = 0;
        llmc_session_free(s);
        return llmc_rt_fail(err, err_len, "cannot allocate the activation arena (%.1f MiB): %s",
                            model->arena_bytes / 1048576.0, strerror(e));
    }
    s->logits = map_zeroed((size_t)model->vocab_size * sizeof(float), 0);
    if (!s->logits) {
        llmc_session_free(s);
        return llmc_rt_fail(err, err_len, "cannot allocate %lld logits", (long long)model->vocab_size);
    }
    s->state.weights = weights;
    s->state.max_ctx = max_ctx;
    return 0;
}

const float *llmc_session_feed(llmc_session *s, const int32_t *tokens, int64_t n) {
    const llmc_model *m = s->model;
    for (int64_t done = 0; done < n;) {
        int64_t chunk = n - done < m->max_batch ? n - done : m->max_batch;
        m->forward(&s->state, tokens + done, chunk, s->pos, s->logits);
        s->pos += chunk;
        done += chunk;
    }
    return s->logits;
}

void llmc_session_free(llmc_session *s) {
    if (s->state.kv) munmap(s->state.kv, s->kv_map_bytes);
    if (s->state.arena) munmap(s->state.arena, s->arena_map_bytes);
    if (s->logits) munmap(s->logits, (size_t)s->model->vocab_size * sizeof(float));
    memset(s, 0, sizeof *s);
}
