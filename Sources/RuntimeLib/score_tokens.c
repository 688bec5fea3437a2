// `score-tokens`: teacher-forced scoring of a given token sequence — for every scored token, the model's argmax at that
// position and the log-probability it gives the actual token. The accuracy harness (`llmc accuracy`) compares these
// across precisions (top-1 agreement) and turns the log-probabilities into perplexity.
#include "runtime_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/// log_softmax(logits)[id], accumulated in double.
static double log_prob(const float *logits, int64_t vocab, int32_t id) {
    float best = -INFINITY;
    for (int64_t i = 0; i < vocab; i++) best = logits[i] > best ? logits[i] : best;
    double sum = 0;
    for (int64_t i = 0; i < vocab; i++) sum += exp((double)logits[i] - best);
    return (double)logits[id] - best - log(sum);
}

/// The tokens to score: --prompt-ids as given, or -p TEXT through the blob's tokenizer. Returns the count (ids in
/// *out, malloc'd) or -1 after reporting.
static int64_t score_tokens(const llmc_context *ctx, int32_t **out) {
    char err[512];
    llmc_text *text = NULL;
    if (ctx->opts->prompt && !(text = llmc_text_load(ctx->blob, err, sizeof err)))
        return llmc_report(ctx->prog, -1, "cannot load the tokenizer: %s", err);
    int64_t n = llmc_prompt_ids(ctx, text, out);
    llmc_text_free(text);
    return n;
}

int llmc_cmd_score_tokens(const llmc_context *ctx) {
    const llmc_cli_options *o = ctx->opts;
    const int64_t vocab = ctx->model->vocab_size, from = o->score_from;
    int32_t *ids = NULL;
    int64_t n = score_tokens(ctx, &ids);
    if (n < 0) return LLMC_EXIT_RUNTIME;
    if (n <= from) {
        free(ids);
        return llmc_report(ctx->prog, LLMC_EXIT_USAGE, "score-tokens needs more than --score-from %lld tokens, got %lld",
                           (long long)from, (long long)n);
    }
    // Every token but the last is fed: n - 1 cached positions.
    if (n - 1 > o->max_context) {
        free(ids);
        return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME,
                           "scoring %lld tokens needs %lld positions but the context holds %lld (--max-context; the "
                           "model allows up to %lld)",
                           (long long)n, (long long)(n - 1), (long long)o->max_context,
                           (long long)ctx->blob->header->max_position);
    }
    char err[512];
    llmc_threadpool_init(o->threads ? o->threads : llmc_default_threads());
    llmc_session s;
    if (llmc_session_init(&s, ctx->model, ctx->blob->weights, n - 1, err, sizeof err)) {
        free(ids);
        return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "%s", err);
    }
    const int64_t scored = n - from;
    int32_t *argmax = llmc_rt_xmalloc((size_t)scored * sizeof *argmax);
    double *logprobs = llmc_rt_xmalloc((size_t)scored * sizeof *logprobs);
    double nll = 0;
    const float *logits = llmc_session_feed(&s, ids, from);
    for (int64_t i = 0; i < scored; i++) {
        if (i > 0) logits = llmc_session_feed(&s, &ids[from + i - 1], 1);
        argmax[i] = llmc_rt_argmax(logits, vocab);
        logprobs[i] = log_prob(logits, vocab, ids[from + i]);
        nll -= logprobs[i];
    }
    nll /= (double)scored;

    llmc_strbuf sb = {0};
    if (o->json) {
        llmc_sb_puts(&sb, "{\"ids\":[");
        for (int64_t i = 0; i < n; i++) llmc_sb_printf(&sb, "%s%d", i ? "," : "", ids[i]);
        llmc_sb_printf(&sb, "],\"score_from\":%lld,\"argmax\":[", (long long)from);
        for (int64_t i = 0; i < scored; i++) llmc_sb_printf(&sb, "%s%d", i ? "," : "", argmax[i]);
        llmc_sb_puts(&sb, "],\"logprobs\":[");
        for (int64_t i = 0; i < scored; i++) {
            if (i) llmc_sb_puts(&sb, ",");
            llmc_json_append_float(&sb, (float)logprobs[i]);
        }
        llmc_sb_printf(&sb, "],\"nll\":%.9g,\"perplexity\":%.9g}\n", nll, exp(nll));
    } else {
        llmc_sb_puts(&sb, "position\ttoken\targmax\tlogprob\n");
        for (int64_t i = 0; i < scored; i++)
            llmc_sb_printf(&sb, "%lld\t%d\t%d\t%.6f\n", (long long)(from + i), ids[from + i], argmax[i], logprobs[i]);
        llmc_sb_printf(&sb, "scored %lld tokens: mean NLL %.6f, perplexity %.4f\n", (long long)scored, nll, exp(nll));
    }
    fwrite(sb.data, 1, sb.len, stdout);
    fflush(stdout);
    llmc_sb_free(&sb);
    free(argmax);
    free(logprobs);
    free(ids);
    llmc_session_free(&s);
    return 0;
}
