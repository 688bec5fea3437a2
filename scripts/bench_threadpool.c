// Per-call overhead of llmc_parallel_for (RuntimeLib's thread pool). Not a test: prints figures.
// Build and run from the repository root:
//   clang -O2 -march=x86-64-v3 -ISources/RuntimeLib/include scripts/bench_threadpool.c \
//     Sources/RuntimeLib/threadpool.c -o /tmp/bench_threadpool -lpthread && /tmp/bench_threadpool [threads]
#define _GNU_SOURCE
#include "llmc_abi.h"
#include "llmc_runtime.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void empty_task(const int64_t *args, int64_t t) {
    (void)args;
    (void)t;
}

/// About 2 microseconds of arithmetic per task, so workers really share the work.
static void busy_task(const int64_t *args, int64_t t) {
    volatile double *sink = (volatile double *)(intptr_t)args[0];
    double x = (double)t;
    for (int i = 0; i < 2000; i++) x = x * 0.999999 + 1e-3;
    sink[t & 63] = x;
}

static void report(const char *what, int64_t n_tasks, int64_t calls, llmc_task_fn fn, const int64_t *args) {
    for (int64_t i = 0; i < 1000; i++) llmc_parallel_for(fn, args, n_tasks); // warm up
    double t0 = now();
    for (int64_t i = 0; i < calls; i++) llmc_parallel_for(fn, args, n_tasks);
    double dt = now() - t0;
    printf("%-40s n_tasks=%-5lld %8.3f us/call\n", what, (long long)n_tasks, dt / calls * 1e6);
}

int main(int argc, char **argv) {
    int64_t threads = argc > 1 ? atoll(argv[1]) : llmc_default_threads();
    llmc_threadpool_init(threads);
    printf("threads: %lld\n", (long long)llmc_threadpool_threads());
    static double sink[64];
    int64_t args[1] = {(int64_t)(intptr_t)sink};
    report("empty tasks, inline path", 1, 1000000, empty_task, args);
    report("empty tasks, one per thread", threads, 300000, empty_task, args);
    report("empty tasks", 64, 300000, empty_task, args);
    report("2us tasks (serial cost 2us x n)", 1, 20000, busy_task, args);
    report("2us tasks (serial cost 2us x n)", 2, 20000, busy_task, args);
    report("2us tasks (serial cost 2us x n)", 64, 5000, busy_task, args);
    // Wake-up from sleep: workers go to the futex after ~1 ms idle.
    double worst = 0, total = 0;
    for (int i = 0; i < 50; i++) {
        usleep(5000);
        double t0 = now();
        llmc_parallel_for(empty_task, args, threads);
        double dt = now() - t0;
        total += dt;
        if (dt > worst) worst = dt;
    }
    printf("%-40s n_tasks=%-5lld %8.3f us/call (worst %.3f us)\n", "empty tasks after 5 ms idle", (long long)threads,
           total / 50 * 1e6, worst * 1e6);
    llmc_threadpool_shutdown();
    return 0;
}
