// llmc_run_main: the entry point of every produced executable — finds the blob, parses the command line, dispatches.
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int llmc_report(const char *prog, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

const char *llmc_task_name(uint32_t task) {
    static const char *const names[] = {"generate", "embed", "classify", "score", "reward", "token_classify"};
    return task < sizeof names / sizeof names[0] ? names[task] : "unknown task";
}

double llmc_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/// Maps the blob from /proc/self/exe, falling back to argv[0]; `populate` maps every page up front.
static int open_blob(const char *argv0, int populate, llmc_blob *blob, char *err, uint64_t err_len) {
    if (llmc_blob_open("/proc/self/exe", populate, blob, err, err_len) == 0) return 0;
    return argv0 && strchr(argv0, '/') ? llmc_blob_open(argv0, populate, blob, err, err_len) : -1;
}

/// Checks the generated model table against the blob it was linked with.
static int check_model(const llmc_model *m, const llmc_blob_header *h, char *err, uint64_t err_len) {
    if (m->abi_version != LLMC_ABI_VERSION)
        return llmc_rt_fail(err, err_len, "model code has ABI version %u, runtime has %d", m->abi_version,
                            LLMC_ABI_VERSION);
    if (m->vocab_size != h->vocab_size)
        return llmc_rt_fail(err, err_len, "model code vocab_size %lld differs from the blob's %lld",
                            (long long)m->vocab_size, (long long)h->vocab_size);
    if (m->max_batch < 1 || m->arena_bytes < 0 || m->kv_bytes_per_position < 0 || (!m->forward && !m->encode) ||
        (m->encode && m->task == LLMC_TASK_GENERATE))
        return llmc_rt_fail(err, err_len, "model table is inconsistent (max_batch %lld)", (long long)m->max_batch);
    return 0;
}

int llmc_run_main(int argc, char **argv, const llmc_model *model) {
    const char *prog = argc > 0 && argv[0] ? argv[0] : "model";
    const char *slash = strrchr(prog, '/');
    if (slash) prog = slash + 1;
    if (llmc_cli_wants_help(argc, argv)) {
        char *help = llmc_cli_help(prog);
        fputs(help, stdout);
        free(help);
        return 0;
    }
    // Commands that run the model map every weight page up front (MAP_POPULATE): in one batched call that costs
    // about half the CPU time of the ~16-page faults the first forward call would take instead (measured for
    // SmolLM2 f32: 45 vs 82 ms of task clock to the first token), which dominates the first-token latency.
    int populate = argc < 2 || strcmp(argv[1], "info") != 0;
    char err[512];
    llmc_blob blob;
    if (open_blob(argc > 0 ? argv[0] : NULL, populate, &blob, err, sizeof err))
        return llmc_report(prog, LLMC_EXIT_RUNTIME, "weight blob missing or corrupt: %s", err);
    if (check_model(model, blob.header, err, sizeof err)) {
        llmc_blob_close(&blob);
        return llmc_report(prog, LLMC_EXIT_RUNTIME, "weight blob does not match the model code: %s", err);
    }
    const llmc_blob_header *h = blob.header;
    llmc_cli_limits limits = {
        .vocab_size = h->vocab_size,
        .max_position = h->max_position,
        .default_ctx = h->default_ctx,
        .has_tokenizer = h->tokenizer_offset != 0,
        .sampling = {h->temperature, h->top_k, h->top_p, h->min_p, h->repetition_penalty, 0},
    };
    llmc_cli_options opts;
    int code = llmc_cli_parse(argc, argv, &limits, &opts, err, sizeof err);
    if (code != 0) {
        code = llmc_report(prog, code, "%s", err);
    } else if (opts.command >= LLMC_CMD_EMBED) {
        llmc_context ctx = {prog, model, &blob, &opts};
        code = llmc_cmd_pooling(&ctx);
    } else if (!model->forward && opts.command != LLMC_CMD_INFO) {
        code = llmc_report(prog, LLMC_EXIT_USAGE, "this is a pooling model (%s), it cannot generate text; use %s",
                           llmc_task_name(model->task),
                           model->task == LLMC_TASK_TOKEN_CLASSIFY ? "classify" : llmc_task_name(model->task));
    } else {
        llmc_context ctx = {prog, model, &blob, &opts};
        code = opts.command == LLMC_CMD_INFO    ? llmc_cmd_info(&ctx)
               : opts.command == LLMC_CMD_BENCH ? llmc_cmd_bench(&ctx)
               : opts.command == LLMC_CMD_SCORE_TOKENS ? llmc_cmd_score_tokens(&ctx)
                                                : llmc_cmd_generate(&ctx);
    }
    llmc_cli_options_free(&opts);
    llmc_threadpool_shutdown();
    llmc_blob_close(&blob);
    return code;
}
