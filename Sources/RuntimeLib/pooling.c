// embed / classify / score / reward: the commands of pooling models (embedders, classifiers, cross-encoders, reward
// models). Inputs are tokenized (pairs with token type ids), cut to the model's length with a warning (or refused
// with --no-truncate), run in packed batches through the model's `encode` entry point, and printed as text or JSON.
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// What the runtime reads from the blob's info JSON "pooling" object.
typedef struct pooling_facts {
    int64_t max_tokens;
    char **labels; ///< still JSON-escaped, as stored
    int64_t n_labels;
    int step;            ///< STEP pooling: rewards are read from the token outputs at step tags
    int64_t step_tag;    ///< the step tag id, -1: every token is a step
    int64_t *returned;   ///< the token-output columns whose softmax is a step's reward (NULL: all of them)
    int64_t n_returned;
} pooling_facts;

static const llmc_json_member *member(const llmc_json_member *ms, size_t n, const char *key) {
    return llmc_json_find(ms, n, key, strlen(key));
}

/// Splits a JSON array of strings into malloc'd copies of their (escaped) contents.
static int parse_labels(const char *v, size_t n, pooling_facts *f) {
    size_t i = 0;
    while (i < n && v[i] != '[') i++;
    for (i++; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == ',' || v[i] == '\n')) i++;
        if (i >= n || v[i] == ']') return 0;
        if (v[i] != '"') return -1;
        size_t start = ++i;
        while (i < n && v[i] != '"') i += v[i] == '\\' ? 2 : 1;
        if (i >= n) return -1;
        f->labels = realloc(f->labels, (size_t)(f->n_labels + 1) * sizeof *f->labels);
        if (!f->labels) return -1;
        f->labels[f->n_labels++] = strndup(v + start, i - start);
        i++;
    }
    return -1;
}

/// Parses a JSON array of non-negative integers into f->returned.
static int parse_ids(const char *v, size_t n, pooling_facts *f) {
    size_t i = 0;
    while (i < n && v[i] != '[') i++;
    for (i++; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == ',' || v[i] == '\n')) i++;
        if (i >= n || v[i] == ']') return 0;
        char *end;
        long long id = strtoll(v + i, &end, 10);
        if (end == v + i || id < 0) return -1;
        f->returned = realloc(f->returned, (size_t)(f->n_returned + 1) * sizeof *f->returned);
        if (!f->returned) return -1;
        f->returned[f->n_returned++] = id;
        i = (size_t)(end - v);
    }
    return -1;
}

static int read_facts(const llmc_blob *blob, pooling_facts *f, char *err, uint64_t err_len) {
    memset(f, 0, sizeof *f);
    f->step_tag = -1;
    llmc_json_member *info = NULL, *pooling = NULL;
    size_t n_info = 0, n_pooling = 0;
    int rc = -1;
    if (llmc_json_object_members(blob->info_json, blob->header->info_bytes, &info, &n_info, err, err_len)) goto done;
    const llmc_json_member *p = member(info, n_info, "pooling");
    if (!p || llmc_json_object_members(p->value, p->value_len, &pooling, &n_pooling, err, err_len)) {
        if (!p) llmc_rt_fail(err, err_len, "the model's info has no pooling section");
        goto done;
    }
    const llmc_json_member *max = member(pooling, n_pooling, "max_tokens");
    const llmc_json_member *labels = member(pooling, n_pooling, "labels");
    const llmc_json_member *kind = member(pooling, n_pooling, "pooling");
    const llmc_json_member *tag = member(pooling, n_pooling, "step_tag_id");
    const llmc_json_member *returned = member(pooling, n_pooling, "step_returned_ids");
    f->max_tokens = max ? strtoll(max->value, NULL, 10) : 0;
    f->step = kind && kind->value_len == 6 && memcmp(kind->value, "\"step\"", 6) == 0;
    if (tag && tag->value[0] != 'n') f->step_tag = strtoll(tag->value, NULL, 10);
    if (f->max_tokens < 1 || (labels && parse_labels(labels->value, labels->value_len, f)) ||
        (returned && returned->value[0] == '[' && parse_ids(returned->value, returned->value_len, f))) {
        llmc_rt_fail(err, err_len, "the model's pooling section is malformed");
        goto done;
    }
    rc = 0;
done:
    free(info);
    free(pooling);
    return rc;
}

static void free_facts(pooling_facts *f) {
    for (int64_t i = 0; i < f->n_labels; i++) free(f->labels[i]);
    free(f->labels);
    free(f->returned);
}

/// The inputs of one run, tokenized.
typedef struct inputs {
    int32_t **ids;
    int32_t **types;
    int64_t *lens;
    int64_t n;
} inputs;

static void push(inputs *in, int32_t *ids, int32_t *types, int64_t len) {
    in->ids = realloc(in->ids, (size_t)(in->n + 1) * sizeof *in->ids);
    in->types = realloc(in->types, (size_t)(in->n + 1) * sizeof *in->types);
    in->lens = realloc(in->lens, (size_t)(in->n + 1) * sizeof *in->lens);
    if (!in->ids || !in->types || !in->lens) {
        fputs("out of memory\n", stderr);
        exit(LLMC_EXIT_RUNTIME);
    }
    in->ids[in->n] = ids;
    in->types[in->n] = types;
    in->lens[in->n++] = len;
}

static void free_inputs(inputs *in) {
    for (int64_t k = 0; k < in->n; k++) {
        free(in->ids[k]);
        free(in->types[k]);
    }
    free(in->ids);
    free(in->types);
    free(in->lens);
}

/// Cut to the model's length (with a warning), or refused with --no-truncate.
static int fit(const llmc_context *ctx, const pooling_facts *f, int64_t index, int64_t *len, int truncated, char *err,
               uint64_t err_len) {
    if (*len == 0) return llmc_rt_fail(err, err_len, "input %lld is empty", (long long)index);
    if (*len > f->max_tokens || truncated) {
        if (ctx->opts->no_truncate)
            return llmc_rt_fail(err, err_len, "input %lld has %lld tokens, the model takes at most %lld",
                                (long long)index, (long long)*len, (long long)f->max_tokens);
        fprintf(stderr, "%s: warning: input %lld cut to the model's %lld tokens\n", ctx->prog, (long long)index,
                (long long)f->max_tokens);
        if (*len > f->max_tokens) *len = f->max_tokens;
    }
    return 0;
}

/// Tokenizes text a (or the pair a, b) into the next input.
static int add_text(const llmc_context *ctx, llmc_text *text, const pooling_facts *f, inputs *in, const char *a,
                    const char *b, char *err, uint64_t err_len) {
    int64_t index = in->n + 1;
    if (!a[0] || (b && !b[0])) return llmc_rt_fail(err, err_len, "input %lld is empty", (long long)index);
    int32_t *ids = NULL, *types = NULL;
    int truncated = 0;
    int64_t len = llmc_text_encode_pair(text, a, b, ctx->opts->no_truncate ? 0 : f->max_tokens, &ids, &types, &truncated,
                                        err, err_len);
    if (len < 0 || fit(ctx, f, index, &len, truncated, err, err_len)) {
        free(ids);
        free(types);
        return -1;
    }
    push(in, ids, types, len);
    return 0;
}

/// How a line of an input file becomes inputs.
typedef enum line_kind { SINGLE, PAIR, PAIR_AS_TWO } line_kind;

/// Every line of `path`: one text (SINGLE), or QUERY<TAB>DOCUMENT as one pair input (PAIR, cross-encoders) or as two
/// inputs (PAIR_AS_TWO, bi-encoders: query and document embedded separately).
static int add_lines(const llmc_context *ctx, llmc_text *text, const pooling_facts *f, inputs *in, const char *path,
                     line_kind kind, char *err, uint64_t err_len) {
    FILE *file = fopen(path, "r");
    if (!file) return llmc_rt_fail(err, err_len, "cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, file)) >= 0) {
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
        char *doc = NULL;
        if (kind != SINGLE) {
            doc = strchr(line, '\t');
            if (!doc) {
                rc = llmc_rt_fail(err, err_len, "%s: line %lld is not QUERY<TAB>DOCUMENT", path, (long long)in->n + 1);
                break;
            }
            *doc++ = 0;
        }
        rc = add_text(ctx, text, f, in, line, kind == PAIR ? doc : NULL, err, err_len);
        if (rc == 0 && kind == PAIR_AS_TWO) rc = add_text(ctx, text, f, in, doc, NULL, err, err_len);
    }
    free(line);
    fclose(file);
    if (rc == 0 && in->n == 0) rc = llmc_rt_fail(err, err_len, "%s has no lines", path);
    return rc;
}

static int gather(const llmc_context *ctx, const pooling_facts *f, int pair_model, inputs *in, char *err, uint64_t err_len) {
    const llmc_cli_options *o = ctx->opts;
    for (int64_t k = 0; k < o->n_seqs; k++) {
        int64_t len = o->seq_lens[k];
        if (o->n_seq_types && o->seq_type_lens[k] != len)
            return llmc_rt_fail(err, err_len, "--token-types %lld has %lld ids but its --prompt-ids has %lld",
                                (long long)k + 1, (long long)o->seq_type_lens[k], (long long)len);
        if (fit(ctx, f, k + 1, &len, 0, err, err_len)) return -1;
        int32_t *ids = llmc_rt_xmalloc((size_t)len * sizeof *ids);
        memcpy(ids, o->seq_ids[k], (size_t)len * sizeof *ids);
        int32_t *types = NULL;
        if (o->n_seq_types) {
            types = llmc_rt_xmalloc((size_t)len * sizeof *types);
            memcpy(types, o->seq_types[k], (size_t)len * sizeof *types);
        }
        push(in, ids, types, len);
    }
    if (o->n_seqs) return 0;
    llmc_text *text = llmc_text_load(ctx->blob, err, err_len);
    if (!text) return -1;
    int rc = 0;
    if (o->prompt) {
        rc = add_text(ctx, text, f, in, o->prompt, NULL, err, err_len);
    } else if (o->input_file) {
        rc = add_lines(ctx, text, f, in, o->input_file, SINGLE, err, err_len);
    } else if (o->pairs_file) {
        rc = add_lines(ctx, text, f, in, o->pairs_file, pair_model ? PAIR : PAIR_AS_TWO, err, err_len);
    } else if (pair_model) {
        rc = add_text(ctx, text, f, in, o->query, o->doc, err, err_len);
    } else { // bi-encoder score: query and document embedded separately
        rc = add_text(ctx, text, f, in, o->query, NULL, err, err_len);
        if (rc == 0) rc = add_text(ctx, text, f, in, o->doc, NULL, err, err_len);
    }
    llmc_text_free(text);
    return rc;
}

static void print_floats(llmc_strbuf *sb, const float *v, int64_t n) {
    llmc_sb_puts(sb, "[");
    for (int64_t i = 0; i < n; i++) {
        if (i) llmc_sb_puts(sb, ",");
        llmc_json_append_float(sb, v[i]);
    }
    llmc_sb_puts(sb, "]");
}

static void print_rows(llmc_strbuf *sb, const char *key, const float *v, int64_t rows, int64_t cols) {
    llmc_sb_printf(sb, ",\"%s\":[", key);
    for (int64_t r = 0; r < rows; r++) {
        if (r) llmc_sb_puts(sb, ",");
        print_floats(sb, v + r * cols, cols);
    }
    llmc_sb_puts(sb, "]");
}

/// Softmax of logits[0..n) into p (one logit: its sigmoid, as cross-encoders and binary heads are read).
static void probabilities(const float *logits, int64_t n, double *p) {
    if (n == 1) {
        p[0] = 1 / (1 + exp(-(double)logits[0]));
        return;
    }
    double top = logits[0], sum = 0;
    for (int64_t i = 1; i < n; i++) top = logits[i] > top ? logits[i] : top;
    for (int64_t i = 0; i < n; i++) sum += p[i] = exp((double)logits[i] - top);
    for (int64_t i = 0; i < n; i++) p[i] /= sum;
}

/// `{"label":…,"probability":…}` entries, most probable first.
static void print_labels(llmc_strbuf *sb, const pooling_facts *f, const float *logits, int64_t n) {
    double *p = llmc_rt_xmalloc((size_t)n * sizeof *p);
    int64_t *order = llmc_rt_xmalloc((size_t)n * sizeof *order);
    probabilities(logits, n, p);
    for (int64_t i = 0; i < n; i++) order[i] = i;
    for (int64_t i = 1; i < n; i++) // insertion sort: label counts are small
        for (int64_t j = i; j > 0 && p[order[j]] > p[order[j - 1]]; j--) {
            int64_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    llmc_sb_puts(sb, "[");
    for (int64_t i = 0; i < n; i++) {
        int64_t c = order[i];
        if (c < f->n_labels) llmc_sb_printf(sb, "%s{\"label\":\"%s\",\"probability\":", i ? "," : "", f->labels[c]);
        else llmc_sb_printf(sb, "%s{\"label\":\"LABEL_%lld\",\"probability\":", i ? "," : "", (long long)c);
        llmc_json_append_float(sb, (float)p[c]);
        llmc_sb_puts(sb, "}");
    }
    llmc_sb_puts(sb, "]");
    free(p);
    free(order);
}

static double cosine(const float *a, const float *b, int64_t n) {
    double dot = 0, na = 0, nb = 0;
    for (int64_t i = 0; i < n; i++) {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    return dot / (sqrt(na) * sqrt(nb) + 1e-30);
}

/// STEP pooling of one sequence (vLLM's): at every step tag (every token without one), the softmax over the returned
/// columns of its token outputs (all columns without them), as `[[p, ...], ...]`.
static void print_steps(llmc_strbuf *sb, const pooling_facts *f, const int32_t *ids, int64_t len, const float *rows,
                        int64_t cols) {
    int64_t n = f->returned ? f->n_returned : cols;
    float *picked = llmc_rt_xmalloc((size_t)n * sizeof *picked);
    double *p = llmc_rt_xmalloc((size_t)n * sizeof *p);
    int first = 1;
    llmc_sb_puts(sb, "[");
    for (int64_t t = 0; t < len; t++) {
        if (f->step_tag >= 0 && ids[t] != f->step_tag) continue;
        for (int64_t i = 0; i < n; i++) picked[i] = rows[t * cols + (f->returned ? f->returned[i] : i)];
        if (n == 1) p[0] = 1; // a single column: softmax over itself
        else probabilities(picked, n, p);
        llmc_sb_puts(sb, first ? "[" : ",[");
        for (int64_t i = 0; i < n; i++) {
            if (i) llmc_sb_puts(sb, ",");
            llmc_json_append_float(sb, (float)p[i]);
        }
        llmc_sb_puts(sb, "]");
        first = 0;
    }
    llmc_sb_puts(sb, "]");
    free(picked);
    free(p);
}

/// Whether the command fits the model's task; a one-line reason otherwise.
static int check_task(const llmc_context *ctx, const pooling_facts *f, char *err, uint64_t err_len) {
    const llmc_model *m = ctx->model;
    llmc_command c = ctx->opts->command;
    const char *name = c == LLMC_CMD_EMBED ? "embed" : c == LLMC_CMD_CLASSIFY ? "classify" : c == LLMC_CMD_SCORE ? "score" : "reward";
    if (!m->encode) return llmc_rt_fail(err, err_len, "this model generates text; it has no %s (compile a pooling model)", name);
    uint32_t t = m->task;
    int ok = c == LLMC_CMD_EMBED      ? m->pooled_size > 0
             : c == LLMC_CMD_CLASSIFY ? t == LLMC_TASK_CLASSIFY || t == LLMC_TASK_TOKEN_CLASSIFY
             : c == LLMC_CMD_SCORE    ? t == LLMC_TASK_SCORE || t == LLMC_TASK_EMBED
                                      : t == LLMC_TASK_REWARD && (m->seq_labels > 0 || (f->step && m->token_labels > 0));
    if (ok) return 0;
    if (c == LLMC_CMD_SCORE) return llmc_rt_fail(err, err_len, "this model (%s) does not score sentence pairs", llmc_task_name(t));
    return llmc_rt_fail(err, err_len, "this model is for %s, not %s", llmc_task_name(t), name);
}

int llmc_cmd_pooling(const llmc_context *ctx) {
    const llmc_model *m = ctx->model;
    const llmc_cli_options *o = ctx->opts;
    char err[512];
    int pair_model = m->task == LLMC_TASK_SCORE;
    if (!pair_model && o->command != LLMC_CMD_SCORE && (o->query || o->pairs_file))
        return llmc_report(ctx->prog, LLMC_EXIT_USAGE, "this model (%s) does not take sentence pairs", llmc_task_name(m->task));
    pooling_facts f;
    if (m->encode && read_facts(ctx->blob, &f, err, sizeof err)) return llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "%s", err);
    // One sequence must fit one encode call: a model compiled with --max-batch below its positions takes no more.
    if (m->encode && f.max_tokens > m->max_batch) f.max_tokens = m->max_batch;
    if (check_task(ctx, &f, err, sizeof err)) {
        if (m->encode) free_facts(&f);
        return llmc_report(ctx->prog, LLMC_EXIT_USAGE, "%s", err);
    }
    int steps = o->command == LLMC_CMD_REWARD && f.step;
    inputs in = {0};
    llmc_session s;
    int code = 0, session = 0;
    float *pooled = NULL, *seq = NULL, *hidden = NULL, *tokens = NULL;
    if (gather(ctx, &f, pair_model, &in, err, sizeof err)) {
        code = llmc_report(ctx->prog, LLMC_EXIT_USAGE, "%s", err);
        goto done;
    }
    if (o->threads) llmc_threadpool_init(o->threads);
    if (llmc_session_init(&s, m, ctx->blob->weights, m->max_batch, err, sizeof err)) {
        code = llmc_report(ctx->prog, LLMC_EXIT_RUNTIME, "%s", err);
        goto done;
    }
    session = 1;
    int64_t total = 0;
    for (int64_t k = 0; k < in.n; k++) total += in.lens[k];
    int token_classes = m->task == LLMC_TASK_TOKEN_CLASSIFY;
    if (m->pooled_size) pooled = llmc_rt_xmalloc((size_t)(in.n * m->pooled_size) * sizeof *pooled);
    if (m->seq_labels) seq = llmc_rt_xmalloc((size_t)(in.n * m->seq_labels) * sizeof *seq);
    if (o->hidden) hidden = llmc_rt_xmalloc((size_t)(total * m->hidden_size) * sizeof *hidden);
    if (m->token_labels && (token_classes || steps || o->logits))
        tokens = llmc_rt_xmalloc((size_t)(total * m->token_labels) * sizeof *tokens);
    llmc_sequences seqs = {in.ids, in.types, in.lens, in.n};
    llmc_encode_outputs out = {hidden, pooled, seq, tokens};
    if (llmc_encode_all(&s, &seqs, &out, err, sizeof err)) {
        code = llmc_report(ctx->prog, LLMC_EXIT_USAGE, "%s", err);
        goto done;
    }
    if (o->command == LLMC_CMD_SCORE && !pair_model) { // bi-encoder: cosine of each (query, document) embedding pair
        if (in.n % 2) {
            code = llmc_report(ctx->prog, LLMC_EXIT_USAGE, "an embedding model scores pairs of inputs, got %lld inputs",
                               (long long)in.n);
            goto done;
        }
        for (int64_t k = 0; k + 1 < in.n; k += 2) {
            llmc_strbuf sb = {0};
            double score = cosine(pooled + k * m->pooled_size, pooled + (k + 1) * m->pooled_size, m->pooled_size);
            if (o->json) {
                llmc_sb_puts(&sb, "{\"score\":");
                llmc_json_append_float(&sb, (float)score);
                llmc_sb_puts(&sb, "}\n");
            } else {
                llmc_sb_printf(&sb, "%.6f\n", score);
            }
            fputs(sb.data, stdout);
            llmc_sb_free(&sb);
        }
        goto done;
    }
    int64_t row = 0;
    for (int64_t k = 0; k < in.n; k++) {
        llmc_strbuf sb = {0};
        const float *logits = seq ? seq + k * m->seq_labels : NULL;
        const float *token_rows = tokens ? tokens + row * m->token_labels : NULL;
        if (o->command == LLMC_CMD_EMBED) {
            const float *v = pooled + k * m->pooled_size;
            if (o->json) {
                llmc_sb_puts(&sb, "{\"embedding\":");
                print_floats(&sb, v, m->pooled_size);
            } else {
                for (int64_t i = 0; i < m->pooled_size; i++) llmc_sb_printf(&sb, "%s%.7g", i ? " " : "", v[i]);
            }
        } else if (o->command == LLMC_CMD_CLASSIFY && token_classes) {
            if (o->json) llmc_sb_puts(&sb, "{\"tokens\":[");
            for (int64_t t = 0; t < in.lens[k]; t++) {
                const float *l = token_rows + t * m->token_labels;
                int32_t best = llmc_rt_argmax(l, m->token_labels);
                if (o->json) {
                    llmc_sb_printf(&sb, "%s{\"id\":%d,\"labels\":", t ? "," : "", in.ids[k][t]);
                    print_labels(&sb, &f, l, m->token_labels);
                    llmc_sb_puts(&sb, "}");
                } else {
                    llmc_sb_printf(&sb, "%s%d:%s", t ? " " : "", in.ids[k][t], best < f.n_labels ? f.labels[best] : "?");
                }
            }
            if (o->json) llmc_sb_puts(&sb, "]");
        } else if (o->command == LLMC_CMD_CLASSIFY) {
            if (o->json) {
                llmc_sb_puts(&sb, "{\"labels\":");
                print_labels(&sb, &f, logits, m->seq_labels);
            } else {
                double *p = llmc_rt_xmalloc((size_t)m->seq_labels * sizeof *p);
                probabilities(logits, m->seq_labels, p);
                int32_t best = llmc_rt_argmax(logits, m->seq_labels);
                llmc_sb_printf(&sb, "%s\t%.6f", best < f.n_labels ? f.labels[best] : "?", p[best]);
                free(p);
            }
        } else if (steps) {
            if (o->json) llmc_sb_puts(&sb, "{\"reward\":");
            print_steps(&sb, &f, in.ids[k], in.lens[k], token_rows, m->token_labels);
        } else {
            // score: the cross-encoder's relevance sigmoid(logit); reward: the value head's output as is.
            double value = o->command == LLMC_CMD_SCORE ? 1 / (1 + exp(-(double)logits[0])) : logits[0];
            if (o->json) {
                llmc_sb_printf(&sb, "{\"%s\":", o->command == LLMC_CMD_SCORE ? "score" : "reward");
                llmc_json_append_float(&sb, (float)value);
            } else {
                llmc_sb_printf(&sb, "%.6f", value);
            }
        }
        if (o->json) {
            if (o->logits && logits) {
                llmc_sb_puts(&sb, ",\"logits\":");
                print_floats(&sb, logits, m->seq_labels);
            }
            if (o->logits && token_rows) print_rows(&sb, "token_logits", token_rows, in.lens[k], m->token_labels);
            if (hidden) print_rows(&sb, "hidden", hidden + row * m->hidden_size, in.lens[k], m->hidden_size);
            llmc_sb_puts(&sb, "}");
        }
        llmc_sb_puts(&sb, "\n");
        fputs(sb.data, stdout);
        llmc_sb_free(&sb);
        row += in.lens[k];
    }
done:
    free(pooled);
    free(seq);
    free(hidden);
    free(tokens);
    if (session) llmc_session_free(&s);
    free_inputs(&in);
    free_facts(&f);
    return code;
}
