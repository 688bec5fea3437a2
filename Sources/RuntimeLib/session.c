// One generation session: the KV cache, the recurrent state, the activation arena and the forward calls that fill
// them.
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <errno.h>
#include <stdio.h>
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

/// Maps *bytes zeroed bytes (64 when the model needs none) into *out; on failure sets *bytes to 0, frees what the
/// session holds and returns -1 with "cannot allocate <what> (<MiB>...)".
static int map_region(llmc_session *s, void **out, size_t *bytes, int huge, const char *what, const char *detail,
                      char *err, uint64_t err_len) {
    size_t needed = *bytes;
    if (*bytes == 0) *bytes = 64;
    if ((*out = map_zeroed(*bytes, huge))) return 0;
    int e = errno;
    *bytes = 0;
    llmc_session_free(s);
    return llmc_rt_fail(err, err_len, "cannot allocate %s (%.1f MiB%s): %s", what, needed / 1048576.0, detail, strerror(e));
}

int llmc_session_init(llmc_session *s, const llmc_model *model, const uint8_t *weights, int64_t max_ctx, char *err,
                      uint64_t err_len) {
    memset(s, 0, sizeof *s);
    s->model = model;
    if (model->arena_bytes < 0 || model->state_bytes < 0)
        return llmc_rt_fail(err, err_len, "the model table has negative buffer sizes");
    if (max_ctx < 1 || model->kv_bytes_per_position < 0 ||
        (model->kv_bytes_per_position > 0 && max_ctx > INT64_MAX / model->kv_bytes_per_position))
        return llmc_rt_fail(err, err_len, "KV cache size overflows for %lld positions", (long long)max_ctx);
    s->kv_map_bytes = (size_t)(model->kv_bytes_per_position * max_ctx);
    s->state_map_bytes = (size_t)model->state_bytes;
    s->arena_map_bytes = (size_t)model->arena_bytes;
    char positions[48];
    snprintf(positions, sizeof positions, " for %lld positions", (long long)max_ctx);
    // Small pages for the KV cache: every layer's K and V region is touched at its first positions by the first
    // forward call, and with huge pages each of those touches zeroes 2 MiB (120 MB for SmolLM2 at 4096 positions,
    // most of the first token's latency); small pages are zeroed as the cache fills, a few per token.
    void *arena = NULL;
    if (map_region(s, &s->state.kv, &s->kv_map_bytes, 0, "the KV cache", positions, err, err_len) ||
        map_region(s, &s->state.state, &s->state_map_bytes, 0, "the recurrent state", "", err, err_len) ||
        map_region(s, &arena, &s->arena_map_bytes, 1, "the activation arena", "", err, err_len))
        return -1;
    s->state.arena = arena;
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
    if (s->state.state) munmap(s->state.state, s->state_map_bytes);
    if (s->state.arena) munmap(s->state.arena, s->arena_map_bytes);
    if (s->logits) munmap(s->logits, (size_t)s->model->vocab_size * sizeof(float));
    memset(s, 0, sizeof *s);
}
