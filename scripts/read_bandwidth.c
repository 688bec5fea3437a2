// Memory read bandwidth with N threads (default 1; bench.py passes its --threads): each thread sums its share of
// a 1 GiB f32 buffer (far larger than the caches); best of 5 passes, printed as GB/s. scripts/bench.py compiles it
// (cc -O3 -march=native -pthread) for the decode roofline.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 64

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct share {
    const float *data;
    size_t count; // a multiple of 64
    float sum;
} share;

static void *sum_share(void *arg) {
    share *s = arg;
    float acc[64] = {0}; // independent accumulators: the loop vectorises into several zmm sums
    for (size_t i = 0; i < s->count; i += 64)
        for (int j = 0; j < 64; j++) acc[j] += s->data[i + j];
    s->sum = 0;
    for (int j = 0; j < 64; j++) s->sum += acc[j];
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > MAX_THREADS) return 2;
    const size_t n = (size_t)1 << 28; // 1 GiB of floats
    float *a = aligned_alloc(64, n * sizeof *a);
    if (!a) return 1;
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 7);
    double best = 0;
    float total = 0;
    for (int pass = 0; pass < 5; pass++) {
        share shares[MAX_THREADS];
        pthread_t ids[MAX_THREADS];
        size_t per = n / threads / 64 * 64;
        double t0 = now();
        for (int t = 0; t < threads; t++) {
            shares[t] = (share){a + t * per, t == threads - 1 ? n - t * per : per, 0};
            if (t > 0) pthread_create(&ids[t], NULL, sum_share, &shares[t]);
        }
        sum_share(&shares[0]);
        for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
        double seconds = now() - t0;
        for (int t = 0; t < threads; t++) total += shares[t].sum;
        double gbs = n * sizeof *a / seconds / 1e9;
        if (gbs > best) best = gbs;
    }
    printf("{\"read_gb_s\":%.2f,\"threads\":%d,\"checksum\":%g}\n", best, threads, total);
    free(a);
    return 0;
}
