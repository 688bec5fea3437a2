// Token sampling with Hugging Face semantics and log-softmax top-K.
//
// Scores are ordered by (value descending, id ascending), a total order, so every selection is deterministic.
// Top-p and min-p only ever drop a tail of that order; the descending prefix is found by partial selection with a
// growing window, so a 150k vocabulary is never fully sorted.
#include "runtime_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
    float v;   ///< score
    int32_t id;
    float e;   ///< exp(v - best score), filled once top-k has run
} cand;

struct llmc_sampler {
    llmc_sampling_params p;
    int64_t vocab;
    float *work;    ///< penalised, temperature-scaled scores
    float *probs;   ///< probabilities aligned with cands
    cand *cands;
    uint8_t *seen;  ///< marks for the repetition penalty, all zero between calls
    uint64_t rng[4];
};

static inline int better(cand a, cand b) {
    return a.v > b.v || (a.v == b.v && a.id < b.id);
}

static int cmp_cand(const void *x, const void *y) {
    cand a = *(const cand *)x, b = *(const cand *)y;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static inline void swap(cand *a, cand *b) {
    cand t = *a;
    *a = *b;
    *b = t;
}

/// Rearranges a[0..n) so that a[0..k) holds the k best candidates (in no particular order), 0 < k <= n.
static void select_best(cand *a, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        // median of three to a[hi] as pivot
        if (better(a[mid], a[lo])) swap(&a[mid], &a[lo]);
        if (better(a[hi], a[lo])) swap(&a[hi], &a[lo]);
        if (better(a[mid], a[hi])) swap(&a[mid], &a[hi]);
        cand pivot = a[hi];
        int64_t store = lo;
        for (int64_t i = lo; i < hi; i++)
            if (better(a[i], pivot)) swap(&a[i], &a[store++]);
        swap(&a[store], &a[hi]);
        if (store == k - 1 || store == k) return;
        if (store < k) lo = store + 1;
        else hi = store - 1;
    }
}

/// Makes a[0..k) the k best candidates in sorted order.
static void sort_best(cand *a, int64_t n, int64_t k) {
    if (k < n) select_best(a, n, k);
    qsort(a, (size_t)k, sizeof *a, cmp_cand);
}

// ---- xoshiro256** seeded through splitmix64 ----
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static double rng_uniform(uint64_t s[4]) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (double)(r >> 11) * 0x1.0p-53;
}

llmc_sampler *llmc_sampler_create(const llmc_sampling_params *params, int64_t vocab_size) {
    if (vocab_size < 1 || vocab_size > INT32_MAX) return NULL;
    llmc_sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->p = *params;
    s->vocab = vocab_size;
    s->work = malloc((size_t)vocab_size * sizeof *s->work);
    s->probs = malloc((size_t)vocab_size * sizeof *s->probs);
    s->cands = malloc((size_t)vocab_size * sizeof *s->cands);
    s->seen = calloc((size_t)vocab_size, 1);
    if (!s->work || !s->probs || !s->cands || !s->seen) {
        llmc_sampler_free(s);
        return NULL;
    }
    uint64_t x = params->seed;
    for (int i = 0; i < 4; i++) s->rng[i] = splitmix64(&x);
    return s;
}

void llmc_sampler_free(llmc_sampler *s) {
    if (!s) return;
    free(s->work);
    free(s->probs);
    free(s->cands);
    free(s->seen);
    free(s);
}

int32_t llmc_rt_argmax(const float *v, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return (int32_t)best;
}

/// work = logits with NaN as -inf, the repetition penalty applied once per distinct id of the history.
static void penalise(llmc_sampler *s, const float *logits, const int32_t *hist, int64_t n_hist) {
    for (int64_t i = 0; i < s->vocab; i++) s->work[i] = isnan(logits[i]) ? -INFINITY : logits[i];
    float pen = s->p.repetition_penalty;
    if (pen == 1.0f) return;
    for (int64_t i = 0; i < n_hist; i++) {
        int32_t id = hist[i];
        if (id < 0 || id >= s->vocab || s->seen[id]) continue;
        s->seen[id] = 1;
        float v = s->work[id];
        s->work[id] = v < 0 ? v * pen : v / pen;
    }
    for (int64_t i = 0; i < n_hist; i++)
        if (hist[i] >= 0 && hist[i] < s->vocab) s->seen[hist[i]] = 0;
}

/// Fills s->cands[0..count) and s->probs (normalised over the survivors); returns count. *sorted tells whether the
/// candidates are in best-first order.
static int64_t filter(llmc_sampler *s, const float *logits, const int32_t *hist, int64_t n_hist, int *sorted) {
    const llmc_sampling_params *p = &s->p;
    penalise(s, logits, hist, n_hist);
    cand *c = s->cands;
    float *pr = s->probs;
    *sorted = 1;
    if (p->temperature == 0.0f) {
        int32_t best = llmc_rt_argmax(s->work, s->vocab);
        c[0] = (cand){s->work[best], best, 1.0f};
        pr[0] = 1.0f;
        return 1;
    }
    int64_t n = s->vocab;
    for (int64_t i = 0; i < n; i++) c[i] = (cand){s->work[i] / p->temperature, (int32_t)i, 0.0f};
    *sorted = 0;

    if (p->top_k > 0 && p->top_k < n) {
        // Keep every score >= the k-th best (ties with it included, as HF's `scores < kth` mask does).
        int64_t k = p->top_k;
        select_best(c, n, k);
        float kth = c[0].v;
        for (int64_t i = 1; i < k; i++)
            if (c[i].v < kth) kth = c[i].v;
        for (int64_t i = k; i < n; i++)
            if (c[i].v >= kth) swap(&c[i], &c[k++]);
        n = k;
    }

    float maxv = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (c[i].v > maxv) maxv = c[i].v;
    if (maxv == -INFINITY) { // nothing finite: fall back to the lowest id
        sort_best(c, n, 1);
        pr[0] = 1.0f;
        *sorted = 1;
        return 1;
    }
    double z = 0; // softmax denominator over the top-k survivors, relative to the best score
    for (int64_t i = 0; i < n; i++) {
        c[i].e = expf(c[i].v - maxv);
        z += c[i].e;
    }

    if (p->min_p > 0) {
        // probs < min_p * max_prob are dropped (the best token has e == 1, so it always stays).
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            if (c[i].e >= p->min_p) swap(&c[i], &c[k++]);
        n = k;
    }

    if (p->top_p < 1.0f) {
        // Keep the best-first prefix while the mass strictly before a token is < top_p (HF drops the ascending
        // tail whose cumulative mass is <= 1 - top_p); the best token always stays. The min-p survivors are a
        // best-first prefix themselves, so their masses under z are those top-p sees.
        int64_t window = n < 64 ? n : 64, keep = 0;
        for (;;) {
            sort_best(c, n, window);
            double before = 0;
            keep = 0;
            while (keep < window && (keep == 0 || before < p->top_p)) before += c[keep++].e / z;
            if (keep < window || window == n) break;
            window = window * 8 < n ? window * 8 : n;
        }
        n = keep;
        *sorted = 1;
    }

    double kept = 0;
    for (int64_t i = 0; i < n; i++) kept += c[i].e;
    for (int64_t i = 0; i < n; i++) pr[i] = (float)(c[i].e / kept);
    return n;
}

int32_t llmc_sampler_sample(llmc_sampler *s, const float *logits, const int32_t *history, int64_t n_history) {
    int sorted;
    int64_t n = filter(s, logits, history, n_history, &sorted);
    if (n == 1) return s->cands[0].id;
    double r = rng_uniform(s->rng), acc = 0;
    for (int64_t i = 0; i < n; i++) {
        acc += s->probs[i];
        if (r < acc) return s->cands[i].id;
    }
    for (int64_t i = n - 1; i > 0; i--) // rounding left r beyond the total: take the last token with mass
        if (s->probs[i] > 0) return s->cands[i].id;
    return s->cands[0].id;
}

int64_t llmc_sampler_candidates(llmc_sampler *s, const float *logits, const int32_t *history, int64_t n_history,
                                int32_t *out_ids, float *out_probs) {
    int sorted;
    int64_t n = filter(s, logits, history, n_history, &sorted);
    if (!sorted) {
        // sort candidates and probabilities together
        for (int64_t i = 0; i < n; i++) s->work[s->cands[i].id] = s->probs[i];
        qsort(s->cands, (size_t)n, sizeof *s->cands, cmp_cand);
        for (int64_t i = 0; i < n; i++) s->probs[i] = s->work[s->cands[i].id];
    }
    for (int64_t i = 0; i < n; i++) {
        out_ids[i] = s->cands[i].id;
        out_probs[i] = s->probs[i];
    }
    return n;
}

int64_t llmc_top_logprobs(const float *logits, int64_t vocab_size, int64_t k, int32_t *out_ids, float *out_logprobs) {
    if (vocab_size < 1 || k < 1) return 0;
    if (k > vocab_size) k = vocab_size;
    float maxv = -INFINITY;
    for (int64_t i = 0; i < vocab_size; i++)
        if (logits[i] > maxv) maxv = logits[i];
    double z = 0;
    for (int64_t i = 0; i < vocab_size; i++) z += exp((double)logits[i] - maxv);
    double lse = maxv + log(z);
    cand *c = llmc_rt_xmalloc((size_t)vocab_size * sizeof *c);
    for (int64_t i = 0; i < vocab_size; i++) c[i] = (cand){isnan(logits[i]) ? -INFINITY : logits[i], (int32_t)i, 0.0f};
    sort_best(c, vocab_size, k);
    for (int64_t i = 0; i < k; i++) {
        out_ids[i] = c[i].id;
        out_logprobs[i] = (float)((double)c[i].v - lse);
    }
    free(c);
    return k;
}
