// Token sampling with Hugging Face semantics and log-softmax top-K.
//
// Scores are ordered by (value descending, id ascending), a total order, so every selection is deterministic.
// Every step is linear in the vocabulary: top-k keeps a heap of k entries, top-p and min-p only drop a tail of the
// order, and top-p finds its boundary through a histogram of scores, sorting only the one bucket the boundary is in.
#include "runtime_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/// Histogram buckets for top-p: HIST_PER_UNIT per unit of (best score - score); the last bucket takes the rest.
#define HIST_BUCKETS 2048
#define HIST_PER_UNIT 64.0f
/// Candidate sets up to this size are simply sorted for top-p.
#define SORT_LIMIT 2048

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
    uint32_t hist_count[HIST_BUCKETS];
    double hist_mass[HIST_BUCKETS];
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

/// e^x for x <= 0 (0 below -87), within about 1 ulp; branch-free so loops over it vectorise.
static inline float exp_nonpositive(float x) {
    float clamped = x < -87.0f ? -87.0f : x;
    float n = floorf(clamped * 1.44269504088896341f + 0.5f);
    float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    union { uint32_t u; float f; } scale = {(uint32_t)((int32_t)n + 127) << 23};
    return x < -87.0f ? 0.0f : y * scale.f;
}

/// e[i] = exp(v[i] - best) for i < n (vectorised); returns the sum of e[i] over the i with v[i] >= floor, in double.
static double exp_and_sum(float *e, const float *v, int64_t n, float best, float floor) {
    for (int64_t i = 0; i < n; i++) e[i] = exp_nonpositive(v[i] - best);
    double total = 0;
    for (int64_t start = 0; start < n; start += 4096) {
        int64_t end = start + 4096 < n ? start + 4096 : n;
        float acc[8] = {0};
        int64_t i = start;
        for (; i + 8 <= end; i += 8)
            for (int l = 0; l < 8; l++) acc[l] += v[i + l] >= floor ? e[i + l] : 0.0f;
        for (; i < end; i++) acc[0] += v[i] >= floor ? e[i] : 0.0f;
        for (int l = 0; l < 8; l++) total += acc[l];
    }
    return total;
}

/// The k best entries of v[0..n) by (value desc, id asc), best first, into out[0..k); 0 < k <= n.
/// A min-heap of the k best so far: each further entry costs one comparison unless it gets in.
static void best_k(const float *v, int64_t n, int64_t k, cand *out) {
    float worst = -INFINITY; // value of the heap root once the heap is full: anything below cannot get in
    for (int64_t i = 0; i < n; i++) {
        if (i >= k) {
            if ((i & 15) == 0 && i + 16 <= n) { // skip 16 entries at once when none can get in
                int any = 0;
                for (int l = 0; l < 16; l++) any |= v[i + l] >= worst;
                if (!any) {
                    i += 15;
                    continue;
                }
            }
            if (v[i] < worst) continue;
        }
        cand x = {v[i], (int32_t)i, 0.0f};
        int64_t at;
        if (i < k) { // sift up
            at = i;
            while (at > 0 && better(out[(at - 1) / 2], x)) {
                out[at] = out[(at - 1) / 2];
                at = (at - 1) / 2;
            }
        } else if (better(x, out[0])) { // replace the worst kept entry, sift down
            at = 0;
            for (;;) {
                int64_t child = 2 * at + 1;
                if (child >= k) break;
                if (child + 1 < k && better(out[child], out[child + 1])) child++;
                if (!better(x, out[child])) break;
                out[at] = out[child];
                at = child;
            }
        } else {
            continue;
        }
        out[at] = x;
        if (i >= k - 1) worst = out[0].v;
    }
    qsort(out, (size_t)k, sizeof *out, cmp_cand);
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
    // the largest value in 8 lanes (a max reduction the compiler vectorises), then its first index
    float lane[8];
    for (int l = 0; l < 8; l++) lane[l] = -INFINITY;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) lane[l] = v[i + l] > lane[l] ? v[i + l] : lane[l];
    float m = -INFINITY;
    for (; i < n; i++) m = v[i] > m ? v[i] : m;
    for (int l = 0; l < 8; l++) m = lane[l] > m ? lane[l] : m;
    for (i = 0; i < n; i++)
        if (v[i] == m) return (int32_t)i;
    return 0; // every value is NaN
}

/// work = logits (NaN as -inf) with the repetition penalty applied once per distinct id of the history, divided by
/// `temperature` (1 leaves them as they are). One pass over the vocabulary, then one over the history.
static void penalise(llmc_sampler *s, const float *logits, const int32_t *hist, int64_t n_hist, float temperature) {
    for (int64_t i = 0; i < s->vocab; i++) s->work[i] = (isnan(logits[i]) ? -INFINITY : logits[i]) / temperature;
    float pen = s->p.repetition_penalty;
    if (pen == 1.0f) return;
    for (int64_t i = 0; i < n_hist; i++) {
        int32_t id = hist[i];
        if (id < 0 || id >= s->vocab || s->seen[id]) continue;
        s->seen[id] = 1;
        float v = isnan(logits[id]) ? -INFINITY : logits[id];
        s->work[id] = (v < 0 ? v * pen : v / pen) / temperature;
    }
    for (int64_t i = 0; i < n_hist; i++)
        if (hist[i] >= 0 && hist[i] < s->vocab) s->seen[hist[i]] = 0;
}

static inline int32_t bucket_of(float best, float v) {
    float b = (best - v) * HIST_PER_UNIT; // >= 0; NaN cannot occur (scores are finite or -inf)
    return b < (float)(HIST_BUCKETS - 1) ? (int32_t)b : HIST_BUCKETS - 1;
}

/// Top-p over c[0..n) (e filled, z = their total before min-p): keeps the best-first prefix while the mass strictly
/// before a token is < top_p (HF drops the ascending tail whose cumulative mass is <= 1 - top_p); the best token
/// always stays. Returns the new count; *sorted tells whether c[0..count) is best first.
static int64_t top_p_filter(llmc_sampler *s, cand *c, int64_t n, float best, double z, int *sorted) {
    double target = (double)s->p.top_p * z, before = 0;
    int64_t first = 0; // c[first..) are still undecided, in best-first order after the sort below
    if (n > SORT_LIMIT) {
        // Whole buckets above the boundary bucket are kept as they are; only the boundary bucket gets sorted.
        memset(s->hist_count, 0, sizeof s->hist_count);
        memset(s->hist_mass, 0, sizeof s->hist_mass);
        for (int64_t i = 0; i < n; i++) {
            int32_t b = bucket_of(best, c[i].v);
            s->hist_count[b]++;
            s->hist_mass[b] += c[i].e;
        }
        int32_t boundary = 0;
        while (boundary < HIST_BUCKETS - 1 && before + s->hist_mass[boundary] < target)
            before += s->hist_mass[boundary++];
        int64_t kept = 0; // partition by swapping: [buckets above the boundary | boundary bucket | dropped]
        for (int64_t i = 0; i < n; i++)
            if (bucket_of(best, c[i].v) < boundary) swap(&c[i], &c[kept++]);
        first = kept;
        for (int64_t i = kept; i < n; i++)
            if (bucket_of(best, c[i].v) == boundary) swap(&c[i], &c[kept++]);
        n = kept;
        *sorted = first == 0;
    } else {
        *sorted = 1;
    }
    qsort(c + first, (size_t)(n - first), sizeof *c, cmp_cand);
    int64_t keep = first;
    while (keep < n && (keep == 0 || before < target)) before += c[keep++].e;
    return keep;
}

/// Fills s->cands[0..count) and s->probs (normalised over the survivors); returns count. *sorted tells whether the
/// candidates are in best-first order.
static int64_t filter(llmc_sampler *s, const float *logits, const int32_t *hist, int64_t n_hist, int *sorted) {
    const llmc_sampling_params *p = &s->p;
    cand *c = s->cands;
    float *pr = s->probs;
    const int64_t vocab = s->vocab;
    int greedy = p->temperature == 0.0f;
    penalise(s, logits, hist, n_hist, greedy ? 1.0f : p->temperature);
    int32_t top = llmc_rt_argmax(s->work, vocab);
    float best = s->work[top];
    if (greedy || best == -INFINITY) { // argmax; with nothing finite, the lowest id
        c[0] = (cand){best, top, 1.0f};
        pr[0] = 1.0f;
        *sorted = 1;
        return 1;
    }
    *sorted = 0;

    // Keep every score >= the k-th best (ties with it included, as HF's `scores < kth` mask does).
    float kth = -INFINITY;
    if (p->top_k > 0 && p->top_k < vocab) {
        best_k(s->work, vocab, p->top_k, c);
        kth = c[p->top_k - 1].v;
    }
    // softmax denominator over the top-k survivors, relative to the best score; pr holds exp(score - best) for now
    double z = exp_and_sum(pr, s->work, vocab, best, kth);
    int64_t n = 0; // tokens without probability mass (masked or underflowed) are not candidates
    for (int64_t i = 0; i < vocab; i++)
        if (s->work[i] >= kth && pr[i] > 0) c[n++] = (cand){s->work[i], (int32_t)i, pr[i]};

    if (p->min_p > 0) {
        // probs < min_p * max_prob are dropped (the best token has e == 1, so it always stays). The survivors are a
        // best-first prefix, so top-p below sees the same masses under z as it would without min-p.
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            if (c[i].e >= p->min_p) c[k++] = c[i];
        n = k;
    }
    if (p->top_p < 1.0f) n = top_p_filter(s, c, n, best, z, sorted);

    double kept = 0;
    for (int64_t i = 0; i < n; i++) kept += c[i].e;
    double inv = 1.0 / kept;
    for (int64_t i = 0; i < n; i++) pr[i] = (float)(c[i].e * inv);
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
        // sort candidates and probabilities together (e is free to carry the probability)
        for (int64_t i = 0; i < n; i++) s->cands[i].e = s->probs[i];
        qsort(s->cands, (size_t)n, sizeof *s->cands, cmp_cand);
        for (int64_t i = 0; i < n; i++) s->probs[i] = s->cands[i].e;
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
    float *v = llmc_rt_xmalloc((size_t)vocab_size * sizeof *v);
    float best = -INFINITY;
    for (int64_t i = 0; i < vocab_size; i++) {
        v[i] = isnan(logits[i]) ? -INFINITY : logits[i];
        best = v[i] > best ? v[i] : best;
    }
    float *e = llmc_rt_xmalloc((size_t)vocab_size * sizeof *e);
    double lse = best + log(exp_and_sum(e, v, vocab_size, best, -INFINITY));
    free(e);
    cand *c = llmc_rt_xmalloc((size_t)k * sizeof *c);
    best_k(v, vocab_size, k, c);
    for (int64_t i = 0; i < k; i++) {
        out_ids[i] = c[i].id;
        out_logprobs[i] = (float)((double)c[i].v - lse);
    }
    free(c);
    free(v);
    return k;
}
