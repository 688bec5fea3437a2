// Single-thread memory read bandwidth: sums a 1 GiB f32 buffer (far larger than the caches), best of 5 passes,
// printed as GB/s. scripts/bench.py compiles it (cc -O3 -march=native) for the decode roofline.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void) {
    const size_t n = (size_t)1 << 28;  // 1 GiB of floats
    float *a = aligned_alloc(64, n * sizeof *a);
    if (!a) return 1;
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 7);
    double best = 0;
    float total = 0;
    for (int pass = 0; pass < 5; pass++) {
        float acc[64] = {0};  // independent accumulators: the loop vectorises into several zmm sums
        double t0 = now();
        for (size_t i = 0; i < n; i += 64)
            for (int j = 0; j < 64; j++) acc[j] += a[i + j];
        double seconds = now() - t0;
        for (int j = 0; j < 64; j++) total += acc[j];
        double gbs = n * sizeof *a / seconds / 1e9;
        if (gbs > best) best = gbs;
    }
    printf("{\"read_gb_s\":%.2f,\"checksum\":%g}\n", best, total);
    free(a);
    return 0;
}
