// `info`: the blob's info JSON merged with what the runtime knows (sizes, limits, defaults, threads).
#include "runtime_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Runtime facts as a JSON object text.
static void runtime_facts(const llmc_context *ctx, llmc_strbuf *sb) {
    const llmc_blob_header *h = ctx->blob->header;
    const llmc_model *m = ctx->model;
    llmc_sb_printf(sb,
                   "{\"vocab_size\":%lld,\"max_position\":%lld,\"default_context\":%lld,\"max_batch\":%lld,"
                   "\"threads\":%lld,\"kv_bytes_per_position\":%lld,\"state_bytes\":%lld,\"arena_bytes\":%lld,\"weights_bytes\":%llu,"
                   "\"has_tokenizer\":%s,\"bos_id\":%lld,\"pad_id\":%lld,\"eos_ids\":[",
                   (long long)m->vocab_size, (long long)h->max_position, (long long)h->default_ctx,
                   (long long)m->max_batch, (long long)(ctx->opts->threads ? ctx->opts->threads : llmc_default_threads()),
                   (long long)m->kv_bytes_per_position, (long long)m->state_bytes, (long long)m->arena_bytes,
                   (unsigned long long)h->weights_bytes, h->tokenizer_offset ? "true" : "false", (long long)h->bos_id,
                   (long long)h->pad_id);
    for (int64_t i = 0; i < h->n_eos; i++) llmc_sb_printf(sb, "%s%lld", i ? "," : "", (long long)h->eos_ids[i]);
    llmc_sb_puts(sb, "],\"sampling_defaults\":{\"temperature\":");
    llmc_json_append_float(sb, h->temperature);
    llmc_sb_printf(sb, ",\"top_k\":%lld,\"top_p\":", (long long)h->top_k);
    llmc_json_append_float(sb, h->top_p);
    llmc_sb_puts(sb, ",\"min_p\":");
    llmc_json_append_float(sb, h->min_p);
    llmc_sb_puts(sb, ",\"repetition_penalty\":");
    llmc_json_append_float(sb, h->repetition_penalty);
    llmc_sb_printf(sb, "},\"abi_version\":%u,\"blob_version\":%u}", m->abi_version, h->version);
}

/// One "key: value" line; plain JSON strings lose their quotes, long arrays are summarised by their length.
static void print_member(const llmc_json_member *m) {
    const char *v = m->value;
    size_t n = m->value_len;
    int64_t count = n > 100 ? llmc_json_array_length(v, n) : -1;
    if (count >= 0) {
        printf("  %-22.*s [%lld entries; see info --json]\n", (int)m->key_len, m->key, (long long)count);
        return;
    }
    if (n >= 2 && v[0] == '"' && !memchr(v, '\\', n)) {
        v++;
        n -= 2;
    }
    printf("  %-22.*s %.*s\n", (int)m->key_len, m->key, (int)n, v);
}

int llmc_cmd_info(const llmc_context *ctx) {
    char err[256];
    llmc_json_member *info = NULL, *facts = NULL;
    size_t n_info = 0, n_facts = 0;
    if (llmc_json_object_members(ctx->blob->info_json, ctx->blob->header->info_bytes, &info, &n_info, err,
                                 sizeof err))
        return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "weight blob missing or corrupt: %s", err);
    llmc_strbuf rt = {0};
    runtime_facts(ctx, &rt);
    if (llmc_json_object_members(rt.data, rt.len, &facts, &n_facts, err, sizeof err)) { // a bug in runtime_facts
        free(info);
        llmc_sb_free(&rt);
        return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "internal error: %s", err);
    }
    if (ctx->opts->json) {
        llmc_strbuf out = {0};
        llmc_sb_puts(&out, "{");
        size_t written = 0;
        for (size_t i = 0; i < n_info + n_facts; i++) {
            const llmc_json_member *m = i < n_info ? &info[i] : &facts[i - n_info];
            if (i >= n_info && llmc_json_find(info, n_info, m->key, m->key_len)) continue; // the compiler's value wins
            llmc_sb_printf(&out, "%s\"%.*s\":%.*s", written++ ? "," : "", (int)m->key_len, m->key,
                           (int)m->value_len, m->value);
        }
        llmc_sb_puts(&out, "}\n");
        fwrite(out.data, 1, out.len, stdout);
        llmc_sb_free(&out);
    } else {
        printf("%s: model compiled by llmc\n", ctx->prog);
        for (size_t i = 0; i < n_info; i++) print_member(&info[i]);
        printf("runtime:\n");
        for (size_t i = 0; i < n_facts; i++) print_member(&facts[i]);
    }
    free(info);
    free(facts);
    llmc_sb_free(&rt);
    return 0;
}
