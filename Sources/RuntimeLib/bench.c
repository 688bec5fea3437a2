// `bench`: prefill of a synthetic prompt and greedy decode, best of --repeat runs.
#include "runtime_internal.h"
#include <stdio.h>
#include <stdlib.h>

/// Synthetic prompt id i: cycles over a fixed pattern of 997 ids below the vocabulary size.
static int32_t synthetic_id(int64_t i, int64_t vocab) {
    int64_t span = vocab < 997 ? vocab : 997;
    return (int32_t)((i * 13 + 7) % span);
}

int llmc_cmd_bench(const llmc_context *ctx) {
    const llmc_cli_options *o = ctx->opts;
    const int64_t vocab = ctx->model->vocab_size, plen = o->bench_prompt_len, gen = o->bench_gen;
    char err[512];
    llmc_threadpool_init(o->threads ? o->threads : llmc_default_threads());
    llmc_session s;
    if (llmc_session_init(&s, ctx->model, ctx->blob->weights, plen + gen, err, sizeof err))
        return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "%s", err);
    int32_t *prompt = llmc_rt_xmalloc((size_t)plen * sizeof *prompt);
    for (int64_t i = 0; i < plen; i++) prompt[i] = synthetic_id(i, vocab);

    double best_prefill = 0, best_decode = 0;
    uint64_t decode_calls = 0; // parallel_for calls of one decode run
    for (int64_t rep = 0; rep < o->bench_repeat; rep++) {
        s.pos = 0;
        double t0 = llmc_now_seconds();
        const float *logits = llmc_session_feed(&s, prompt, plen);
        double t1 = llmc_now_seconds();
        uint64_t calls0 = llmc_threadpool_calls();
        int32_t tok = llmc_rt_argmax(logits, vocab);
        for (int64_t i = 0; i < gen; i++) {
            logits = llmc_session_feed(&s, &tok, 1);
            tok = llmc_rt_argmax(logits, vocab);
        }
        double t2 = llmc_now_seconds();
        decode_calls = llmc_threadpool_calls() - calls0;
        if (t1 > t0 && plen / (t1 - t0) > best_prefill) best_prefill = plen / (t1 - t0);
        if (t2 > t1 && gen / (t2 - t1) > best_decode) best_decode = gen / (t2 - t1);
    }
    int64_t threads = llmc_threadpool_threads();
    double launches = (double)decode_calls / (double)gen;
    if (o->json)
        printf("{\"prompt_len\":%lld,\"gen\":%lld,\"repeat\":%lld,\"threads\":%lld,\"prefill_tok_s\":%.3f,"
               "\"decode_tok_s\":%.3f,\"parallel_calls_per_token\":%.1f}\n",
               (long long)plen, (long long)gen, (long long)o->bench_repeat, (long long)threads, best_prefill,
               best_decode, launches);
    else
        printf("prefill: %lld tokens, %.2f tok/s\ndecode:  %lld tokens, %.2f tok/s\n(best of %lld, %lld threads, "
               "%.0f parallel_for calls per decoded token)\n",
               (long long)plen, best_prefill, (long long)gen, best_decode, (long long)o->bench_repeat,
               (long long)threads, launches);
    free(prompt);
    llmc_session_free(&s);
    return 0;
}
