// The default command: prefill a prompt, then sample and stream (or collect as JSON) the continuation.
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/// Streams the text of the generated ids: each step decodes all ids so far and prints the new complete UTF-8 bytes.
typedef struct stream {
    llmc_text *text;
    size_t printed;
} stream;

static int stream_update(stream *st, const int32_t *ids, int64_t n, int final, char *err, uint64_t err_len) {
    if (!st->text) { // no tokenizer: print the ids
        if (!final) printf("%s%d", n > 1 ? " " : "", ids[n - 1]);
        fflush(stdout);
        return 0;
    }
    char *bytes = NULL;
    int64_t len = llmc_text_decode(st->text, ids, n, 1, &bytes, err, err_len);
    if (len < 0) return -1;
    // Hold back a trailing sequence that later tokens may complete; anything ill-formed before it becomes U+FFFD
    // (one per maximal ill-formed subsequence, as transformers' decode), so stdout is always valid UTF-8.
    size_t end = final ? (size_t)len : llmc_utf8_complete_prefix(bytes, (size_t)len);
    if (end > st->printed) {
        llmc_strbuf sb = {0};
        llmc_rt_utf8_append_valid(&sb, bytes + st->printed, end - st->printed);
        fwrite(sb.data, 1, sb.len, stdout);
        llmc_sb_free(&sb);
        st->printed = end;
        fflush(stdout);
    }
    free(bytes);
    return 0;
}

static int is_eos(const llmc_blob_header *h, int32_t id) {
    for (int64_t i = 0; i < h->n_eos; i++)
        if (h->eos_ids[i] == id) return 1;
    return 0;
}

static void append_ids(llmc_strbuf *sb, const char *key, const int32_t *ids, int64_t n) {
    llmc_sb_printf(sb, "\"%s\":[", key);
    for (int64_t i = 0; i < n; i++) llmc_sb_printf(sb, "%s%d", i ? "," : "", ids[i]);
    llmc_sb_puts(sb, "]");
}

static void append_top_logprobs(llmc_strbuf *sb, const float *logits, int64_t vocab, int64_t k) {
    int32_t *ids = llmc_rt_xmalloc((size_t)k * sizeof *ids);
    float *lp = llmc_rt_xmalloc((size_t)k * sizeof *lp);
    int64_t got = llmc_top_logprobs(logits, vocab, k, ids, lp);
    llmc_sb_puts(sb, "[");
    for (int64_t i = 0; i < got; i++) {
        llmc_sb_printf(sb, "%s[%d,", i ? "," : "", ids[i]);
        llmc_json_append_float(sb, lp[i]);
        llmc_sb_puts(sb, "]");
    }
    llmc_sb_puts(sb, "]");
    free(ids);
    free(lp);
}

/// Everything one run owns, released in one place.
typedef struct run {
    llmc_text *text;
    int32_t *ids; ///< prompt followed by the generated ids
    llmc_session session;
    llmc_sampler *sampler;
    llmc_strbuf top_logprobs;
    llmc_strbuf last_logits;
} run;

static int finish(run *r, int code) {
    llmc_text_free(r->text);
    free(r->ids);
    if (r->session.model) llmc_session_free(&r->session);
    llmc_sampler_free(r->sampler);
    llmc_sb_free(&r->top_logprobs);
    llmc_sb_free(&r->last_logits);
    return code;
}

/// The prompt as ids in r->ids (room for n_out_max more); returns the prompt length or -1 after reporting.
static int64_t load_prompt(const llmc_context *ctx, run *r, int64_t *n_out_max) {
    const llmc_cli_options *o = ctx->opts;
    int32_t *prompt = NULL;
    int64_t n = llmc_prompt_ids(ctx, r->text, &prompt);
    if (n < 0) return -1;
    if (n == 0) {
        free(prompt);
        return llmc_report(ctx->prog, -1, "the prompt has no tokens");
    }
    if (n >= o->max_context) {
        free(prompt);
        return llmc_report(ctx->prog, -1,
                           "the prompt has %lld tokens but the context holds %lld positions (--max-context; the "
                           "model allows up to %lld)",
                           (long long)n, (long long)o->max_context, (long long)ctx->blob->header->max_position);
    }
    // The k-th generated token needs n + k - 1 cached positions, so at most max_context - n + 1 fit.
    *n_out_max = o->n_predict < o->max_context - n + 1 ? o->n_predict : o->max_context - n + 1;
    r->ids = llmc_rt_xmalloc((size_t)(n + *n_out_max) * sizeof *r->ids);
    memcpy(r->ids, prompt, (size_t)n * sizeof *prompt);
    free(prompt);
    return n;
}

/// Prints the one JSON object of --json: prompt and output ids, text, top log-probabilities, last logits.
static int print_json(const run *r, const llmc_cli_options *o, int64_t n_prompt, int64_t n_out, char *err,
                      uint64_t err_len) {
    const int32_t *out = r->ids + n_prompt;
    llmc_strbuf js = {0};
    llmc_sb_puts(&js, "{");
    append_ids(&js, "prompt_ids", r->ids, n_prompt);
    llmc_sb_puts(&js, ",");
    append_ids(&js, "output_ids", out, n_out);
    if (r->text) {
        char *text = NULL;
        int64_t len = llmc_text_decode(r->text, out, n_out, 0, &text, err, err_len);
        if (len < 0) {
            llmc_sb_free(&js);
            return -1;
        }
        llmc_sb_puts(&js, ",\"text\":");
        llmc_json_append_string(&js, text, (size_t)len);
        free(text);
    }
    if (o->logprobs) {
        llmc_sb_puts(&js, ",\"top_logprobs\":");
        llmc_sb_append(&js, r->top_logprobs.data, r->top_logprobs.len);
        llmc_sb_puts(&js, n_out ? "]" : "[]");
    }
    if (o->logits) {
        llmc_sb_puts(&js, ",\"last_logits\":");
        llmc_sb_append(&js, r->last_logits.data, r->last_logits.len);
    }
    llmc_sb_puts(&js, "}\n");
    fwrite(js.data, 1, js.len, stdout);
    llmc_sb_free(&js);
    return 0;
}

int llmc_cmd_generate(const llmc_context *ctx) {
    const llmc_cli_options *o = ctx->opts;
    const llmc_blob_header *h = ctx->blob->header;
    const int64_t vocab = ctx->model->vocab_size;
    run r = {0};
    char err[512];
    if (ctx->blob->tokenizer && !(r.text = llmc_text_load(ctx->blob, err, sizeof err)))
        return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "cannot load the tokenizer: %s", err));
    int64_t n_out_max = 0;
    int64_t n_prompt = load_prompt(ctx, &r, &n_out_max);
    if (n_prompt < 0) return finish(&r, LLMC_EXIT_RUNTIME);

    llmc_threadpool_init(o->threads ? o->threads : llmc_default_threads());
    if (llmc_session_init(&r.session, ctx->model, ctx->blob->weights, o->max_context, err, sizeof err))
        return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "%s", err));
    llmc_sampling_params sp = o->sampling;
    if (!o->has_seed) sp.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (!(r.sampler = llmc_sampler_create(&sp, vocab)))
        return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "out of memory for the sampler"));

    double t0 = llmc_now_seconds();
    const float *logits = llmc_session_feed(&r.session, r.ids, n_prompt);
    double t_prefill = llmc_now_seconds() - t0, t_first = 0;
    if (o->logits) {
        llmc_sb_puts(&r.last_logits, "[");
        for (int64_t i = 0; i < vocab; i++) {
            if (i) llmc_sb_puts(&r.last_logits, ",");
            llmc_json_append_float(&r.last_logits, logits[i]);
        }
        llmc_sb_puts(&r.last_logits, "]");
    }
    stream st = {r.text, 0};
    int64_t n_out = 0;
    while (n_out < n_out_max) {
        if (o->logprobs) {
            llmc_sb_puts(&r.top_logprobs, n_out ? "," : "[");
            append_top_logprobs(&r.top_logprobs, logits, vocab, o->logprobs);
        }
        int32_t tok = llmc_sampler_sample(r.sampler, logits, r.ids, n_prompt + n_out);
        r.ids[n_prompt + n_out++] = tok;
        if (n_out == 1) t_first = llmc_now_seconds();
        if (!o->json && stream_update(&st, r.ids + n_prompt, n_out, 0, err, sizeof err))
            return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "cannot decode the output: %s", err));
        if ((!o->ignore_eos && is_eos(h, tok)) || n_out == n_out_max) break;
        logits = llmc_session_feed(&r.session, &tok, 1);
    }
    double t_decode = n_out > 1 ? llmc_now_seconds() - t_first : 0;

    const int32_t *out = r.ids + n_prompt;
    if (o->json) {
        if (print_json(&r, o, n_prompt, n_out, err, sizeof err))
            return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "cannot decode the output: %s", err));
    } else {
        if (n_out > 0 && stream_update(&st, out, n_out, 1, err, sizeof err))
            return finish(&r, llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "cannot decode the output: %s", err));
        if (isatty(STDOUT_FILENO)) putchar('\n');
    }
    fflush(stdout);
    fprintf(stderr, "%s: prompt %lld tokens, prefill %.2f tok/s | generated %lld tokens, decode %.2f tok/s | "
                    "%lld threads, seed %llu\n",
            ctx->prog, (long long)n_prompt, t_prefill > 0 ? n_prompt / t_prefill : 0.0, (long long)n_out,
            t_decode > 0 ? (n_out - 1) / t_decode : 0.0, (long long)llmc_threadpool_threads(),
            (unsigned long long)sp.seed);
    return finish(&r, 0);
}
