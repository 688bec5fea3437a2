// Persistent thread pool behind llmc_parallel_for.
//
// One job at a time, published by the calling thread. `state` packs the job generation (high 32 bits), a CLOSED
// flag and the number of workers that joined the job. A worker joins with a CAS that only succeeds while its
// generation is current and open; it then claims task indices from `next` and bumps `left` when done. The caller
// works on the tasks too, closes the job once every index is claimed, and waits until every joined worker has
// left — so a late worker can never run a task of a later job with stale arguments, and workers that did not make
// it in time are never waited for. Idle workers spin (with pause) for a short while, then sleep on a futex.
#define _GNU_SOURCE
#include "llmc_abi.h"
#include "llmc_runtime.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CLOSED_BIT (UINT64_C(1) << 31)
#define JOINED_MASK (CLOSED_BIT - 1)
/// How long an idle worker spins before sleeping; decode issues kernels back to back, so workers stay hot.
#define SPIN_NS 1000000
/// Pause iterations before a waiting thread starts yielding its CPU on every round: with more runnable threads
/// than CPUs, the thread being waited for may need this CPU to finish.
#define SPINS_BEFORE_YIELD 4096

typedef struct pool {
    _Alignas(64) _Atomic uint64_t state;
    _Alignas(64) _Atomic int64_t next;
    _Alignas(64) _Atomic uint32_t left;
    _Alignas(64) _Atomic uint32_t wake_gen; ///< futex word: the generation of the newest job (or shutdown)
    _Atomic uint32_t sleepers;
    _Atomic int stop;
    llmc_task_fn fn;
    const int64_t *args;
    int64_t n_tasks;
    uint32_t gen;
    pthread_t *workers;
    int64_t n_workers;
    int started;
} pool;

static pool g_pool;
/// Top-level llmc_parallel_for calls so far (made by the one thread that drives the model).
static uint64_t g_calls;
static _Thread_local int tl_inside_job;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/// Claims and runs task indices until none are left.
static void run_tasks(pool *p, llmc_task_fn fn, const int64_t *args, int64_t n) {
    tl_inside_job = 1;
    for (;;) {
        int64_t t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= n) break;
        fn(args, t);
    }
    tl_inside_job = 0;
}

/// Returns the first state whose generation differs from `seen` (or any state once the pool stops).
static uint64_t wait_for_job(pool *p, uint32_t seen) {
    int64_t deadline = 0;
    for (uint32_t spins = 0;; spins++) {
        uint64_t st = atomic_load_explicit(&p->state, memory_order_acquire);
        if ((uint32_t)(st >> 32) != seen || atomic_load_explicit(&p->stop, memory_order_relaxed)) return st;
        cpu_relax();
        if (spins >= SPINS_BEFORE_YIELD) sched_yield();
        if ((spins & 255) != 255) continue;
        int64_t t = now_ns();
        if (deadline == 0) {
            deadline = t + SPIN_NS;
        } else if (t > deadline) {
            atomic_fetch_add(&p->sleepers, 1);
            while (atomic_load(&p->wake_gen) == seen && !atomic_load(&p->stop)) futex_wait(&p->wake_gen, seen);
            atomic_fetch_sub(&p->sleepers, 1);
            deadline = 0;
            spins = 0;
        }
    }
}

static void *worker_main(void *arg) {
    pool *p = arg;
    uint32_t seen = (uint32_t)(atomic_load(&p->state) >> 32);
    for (;;) {
        uint64_t st = wait_for_job(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
        seen = (uint32_t)(st >> 32);
        int joined = 0;
        while ((uint32_t)(st >> 32) == seen && !(st & CLOSED_BIT)) {
            if (atomic_compare_exchange_weak_explicit(&p->state, &st, st + 1, memory_order_acq_rel,
                                                      memory_order_acquire)) {
                joined = 1;
                break;
            }
        }
        if (!joined) continue;
        run_tasks(p, p->fn, p->args, p->n_tasks);
        atomic_fetch_add_explicit(&p->left, 1, memory_order_release);
    }
    return NULL;
}

int64_t llmc_default_threads(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

void llmc_threadpool_shutdown(void) {
    pool *p = &g_pool;
    if (!p->started) return;
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->wake_gen, 1);
    futex_wake_all(&p->wake_gen);
    for (int64_t i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    free(p->workers);
    p->workers = NULL;
    p->n_workers = 0;
    p->started = 0;
    atomic_store(&p->stop, 0);
}

int llmc_threadpool_init(int64_t n_threads) {
    pool *p = &g_pool;
    llmc_threadpool_shutdown();
    p->started = 1;
    if (n_threads < 1) return -1;
    p->workers = calloc((size_t)n_threads, sizeof(pthread_t));
    if (!p->workers) return -1;
    for (int64_t i = 0; i + 1 < n_threads; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) return -1;
        p->n_workers++;
    }
    return 0;
}

uint64_t llmc_threadpool_calls(void) {
    return g_calls;
}

int64_t llmc_threadpool_threads(void) {
    return g_pool.started ? g_pool.n_workers + 1 : 0;
}

void llmc_parallel_for(llmc_task_fn fn, const int64_t *args, int64_t n_tasks) {
    pool *p = &g_pool;
    if (n_tasks <= 0) return;
    if (!tl_inside_job) g_calls++;
    if (!p->started) llmc_threadpool_init(llmc_default_threads());
    if (n_tasks == 1 || p->n_workers == 0 || tl_inside_job) {
        for (int64_t t = 0; t < n_tasks; t++) fn(args, t);
        return;
    }
    // No worker is inside a job here (the previous call waited for all joined ones), so the slots are ours.
    p->fn = fn;
    p->args = args;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->left, 0, memory_order_relaxed);
    p->gen++;
    atomic_store_explicit(&p->state, (uint64_t)p->gen << 32, memory_order_release);
    atomic_store(&p->wake_gen, p->gen);
    if (atomic_load(&p->sleepers) > 0) futex_wake_all(&p->wake_gen);

    run_tasks(p, fn, args, n_tasks);
    uint64_t st = atomic_fetch_or_explicit(&p->state, CLOSED_BIT, memory_order_acq_rel);
    uint32_t joined = (uint32_t)(st & JOINED_MASK);
    for (uint32_t spins = 0; atomic_load_explicit(&p->left, memory_order_acquire) < joined; spins++) {
        cpu_relax();
        if (spins >= SPINS_BEFORE_YIELD) sched_yield();
    }
}
