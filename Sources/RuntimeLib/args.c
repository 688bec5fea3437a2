// Command-line parsing and --help of a produced executable, both driven by one option table.
#include "runtime_internal.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    RUN = 1 << LLMC_CMD_RUN,
    INFO = 1 << LLMC_CMD_INFO,
    BENCH = 1 << LLMC_CMD_BENCH,
    SCORE = 1 << LLMC_CMD_SCORE,
    SCORE_TOKENS = 1 << LLMC_CMD_SCORE_TOKENS,
    POOL = 1 << LLMC_CMD_EMBED | 1 << LLMC_CMD_CLASSIFY | SCORE | 1 << LLMC_CMD_REWARD,
};

typedef enum opt_id {
    OPT_PROMPT, OPT_PROMPT_IDS, OPT_N, OPT_TEMPERATURE, OPT_TOP_K, OPT_TOP_P, OPT_MIN_P, OPT_REPETITION_PENALTY,
    OPT_SEED, OPT_THREADS, OPT_MAX_CONTEXT, OPT_IGNORE_EOS, OPT_JSON, OPT_LOGPROBS, OPT_LOGITS, OPT_PROMPT_LEN,
    OPT_GEN, OPT_REPEAT, OPT_INPUT, OPT_TOKEN_TYPES, OPT_QUERY, OPT_DOC, OPT_PAIRS, OPT_HIDDEN, OPT_NO_TRUNCATE, OPT_SCORE_FROM,
    OPT_HELP
} opt_id;

/// One option: its names, the commands that accept it, its value placeholder (NULL for flags) and its help line.
typedef struct opt_spec {
    opt_id id;
    const char *name;
    const char *alias;
    unsigned commands;
    const char *value;
    const char *help;
} opt_spec;

static const opt_spec OPTS[] = {
    {OPT_PROMPT, "--prompt", "-p", RUN | SCORE_TOKENS | POOL, "TEXT", "prompt text, tokenized like transformers' tokenizer(TEXT)"},
    {OPT_PROMPT_IDS, "--prompt-ids", NULL, RUN | SCORE_TOKENS | POOL, "IDS",
     "comma-separated token ids, used exactly as given (pooling commands: repeat it, one sequence each)"},
    {OPT_N, "--n-predict", "-n", RUN, "N", "tokens to generate (default 128; stops early at EOS or a full context)"},
    {OPT_TEMPERATURE, "--temperature", NULL, RUN, "T", "sampling temperature, 0 = greedy (default: the model's)"},
    {OPT_TOP_K, "--top-k", NULL, RUN, "K", "keep the K most likely tokens, 0 = off (default: the model's)"},
    {OPT_TOP_P, "--top-p", NULL, RUN, "P", "nucleus sampling mass in [0, 1], 1 = off (default: the model's)"},
    {OPT_MIN_P, "--min-p", NULL, RUN, "M", "drop tokens below M x the best probability, 0 = off (default: the model's)"},
    {OPT_REPETITION_PENALTY, "--repetition-penalty", NULL, RUN, "R",
     "penalty > 0 for tokens already seen, 1 = off (default: the model's)"},
    {OPT_SEED, "--seed", NULL, RUN, "S", "random seed, an unsigned integer (default: from the clock)"},
    {OPT_THREADS, "--threads", NULL, RUN | INFO | BENCH | SCORE_TOKENS | POOL, "N", "threads to run on (default: the CPUs available)"},
    {OPT_MAX_CONTEXT, "--max-context", NULL, RUN | SCORE_TOKENS, "C",
     "positions in the KV cache (default: the model's, at most its max_position)"},
    {OPT_IGNORE_EOS, "--ignore-eos", NULL, RUN, NULL, "keep generating after an end-of-sequence token"},
    {OPT_JSON, "--json", NULL, RUN | INFO | BENCH | SCORE_TOKENS | POOL, NULL,
     "print JSON to stdout instead of text (pooling commands: one object per input and line)"},
    {OPT_LOGPROBS, "--logprobs", NULL, RUN, "K", "with --json: the K best log-probabilities of every generated step"},
    {OPT_LOGITS, "--logits", NULL, RUN | POOL, NULL,
     "with --json: the logits at the last prompt position (pooling: the head's raw logits)"},
    {OPT_PROMPT_LEN, "--prompt-len", NULL, BENCH, "N", "bench: prompt tokens to prefill (default 512)"},
    {OPT_GEN, "--gen", NULL, BENCH, "N", "bench: tokens to decode (default 128)"},
    {OPT_REPEAT, "--repeat", NULL, BENCH, "N", "bench: runs to take the best of (default 3)"},
    {OPT_INPUT, "--input", NULL, POOL, "FILE", "pooling: one text per line, run in batches"},
    {OPT_TOKEN_TYPES, "--token-types", NULL, POOL, "IDS", "pooling: token type ids of the matching --prompt-ids"},
    {OPT_QUERY, "--query", NULL, SCORE, "TEXT", "score: the query"},
    {OPT_DOC, "--doc", NULL, SCORE, "TEXT", "score: the document"},
    {OPT_PAIRS, "--pairs", NULL, SCORE, "FILE", "score: one QUERY<TAB>DOCUMENT pair per line"},
    {OPT_HIDDEN, "--hidden", NULL, POOL, NULL, "pooling, with --json: the last hidden state of every token"},
    {OPT_NO_TRUNCATE, "--no-truncate", NULL, POOL, NULL,
     "pooling: reject inputs longer than the model takes (default: cut them, with a warning)"},
    {OPT_SCORE_FROM, "--score-from", NULL, SCORE_TOKENS, "N",
     "score-tokens: prefill tokens [0, N) as one prompt, then score each later token as one decode step (default 1)"},
    {OPT_HELP, "--help", "-h", RUN | INFO | BENCH | SCORE_TOKENS | POOL, NULL, "show this help"},
};
#define N_OPTS (sizeof OPTS / sizeof OPTS[0])

static int parse_ids(const char *text, int64_t vocab, llmc_cli_options *o, char *err, uint64_t err_len);

static const char *const COMMAND_NAMES[] = {"generation", "info",     "bench", "help",  "score-tokens",
                                            "embed",      "classify", "score", "reward"};

/// Appends one comma-separated id list (a pooling sequence or its token types) to a growing list.
static int append_id_list(const char *text, int64_t limit, int32_t ***lists, int64_t **lens, int64_t *n,
                          char *err, uint64_t err_len) {
    llmc_cli_options one = {0};
    int rc = parse_ids(text, limit, &one, err, err_len);
    if (rc) {
        free(one.prompt_ids);
        return rc;
    }
    *lists = realloc(*lists, (size_t)(*n + 1) * sizeof **lists);
    *lens = realloc(*lens, (size_t)(*n + 1) * sizeof **lens);
    if (!*lists || !*lens) return llmc_rt_fail(err, err_len, "out of memory");
    (*lists)[*n] = one.prompt_ids;
    (*lens)[*n] = one.n_prompt_ids;
    (*n)++;
    return 0;
}

static const opt_spec *find_opt(const char *name, size_t len) {
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_spec *o = &OPTS[i];
        if ((strlen(o->name) == len && strncmp(o->name, name, len) == 0) ||
            (o->alias && strlen(o->alias) == len && strncmp(o->alias, name, len) == 0))
            return o;
    }
    return NULL;
}

static int parse_int(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out, char *err,
                     uint64_t err_len) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != 0 || errno == ERANGE)
        return llmc_rt_fail(err, err_len, "%s expects an integer, got '%s'", opt, text);
    if (v < lo || v > hi)
        return llmc_rt_fail(err, err_len, "%s must be in [%lld, %lld], got %lld", opt, (long long)lo, (long long)hi, v);
    *out = v;
    return 0;
}

/// Parses a finite float in [lo, hi] (lo excluded when lo_open).
static int parse_float(const char *opt, const char *text, double lo, int lo_open, double hi, float *out, char *err,
                       uint64_t err_len) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != 0 || !isfinite(v) || errno == ERANGE)
        return llmc_rt_fail(err, err_len, "%s expects a finite number, got '%s'", opt, text);
    if (v < lo || (lo_open && v == lo) || v > hi) {
        if (isinf(hi)) return llmc_rt_fail(err, err_len, "%s must be %s %g, got %s", opt, lo_open ? ">" : ">=", lo, text);
        return llmc_rt_fail(err, err_len, "%s must be in %c%g, %g], got %s", opt, lo_open ? '(' : '[', lo, hi, text);
    }
    *out = (float)v;
    return 0;
}

static int parse_ids(const char *text, int64_t vocab, llmc_cli_options *o, char *err, uint64_t err_len) {
    size_t cap = 1;
    for (const char *c = text; *c; c++) cap += *c == ',';
    free(o->prompt_ids);
    o->prompt_ids = llmc_rt_xmalloc(cap * sizeof *o->prompt_ids);
    o->n_prompt_ids = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ') p++;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno == ERANGE)
            return llmc_rt_fail(err, err_len, "--prompt-ids: token %lld is not an integer in '%s'",
                                (long long)o->n_prompt_ids + 1, text);
        if (v < 0 || v >= vocab)
            return llmc_rt_fail(err, err_len, "--prompt-ids: id %lld outside the vocabulary [0, %lld)", v,
                                (long long)vocab);
        o->prompt_ids[o->n_prompt_ids++] = (int32_t)v;
        p = end;
        while (*p == ' ') p++;
        if (*p == 0) return 0;
        if (*p != ',')
            return llmc_rt_fail(err, err_len, "--prompt-ids: unexpected '%c' in '%s' (expected ids like 1,2,3)", *p,
                                text);
        p++;
    }
}

/// Stores the value v of option o, typed on the command line as `n`.
static int apply(const opt_spec *o, const char *n, const char *v, const llmc_cli_limits *lim, llmc_cli_options *out,
                 char *err, uint64_t err_len) {
    llmc_sampling_params *sp = &out->sampling;
    switch (o->id) {
    case OPT_PROMPT:
        out->prompt = v;
        return 0;
    case OPT_PROMPT_IDS:
        if (out->command >= LLMC_CMD_EMBED)
            return append_id_list(v, lim->vocab_size, &out->seq_ids, &out->seq_lens, &out->n_seqs, err, err_len);
        return parse_ids(v, lim->vocab_size, out, err, err_len);
    case OPT_TOKEN_TYPES:
        return append_id_list(v, INT32_MAX, &out->seq_types, &out->seq_type_lens, &out->n_seq_types, err, err_len);
    case OPT_INPUT: out->input_file = v; return 0;
    case OPT_QUERY: out->query = v; return 0;
    case OPT_DOC: out->doc = v; return 0;
    case OPT_PAIRS: out->pairs_file = v; return 0;
    case OPT_HIDDEN: out->hidden = 1; return 0;
    case OPT_NO_TRUNCATE: out->no_truncate = 1; return 0;
    case OPT_N: return parse_int(n, v, 0, INT32_MAX, &out->n_predict, err, err_len);
    case OPT_TEMPERATURE: return parse_float(n, v, 0, 0, INFINITY, &sp->temperature, err, err_len);
    case OPT_TOP_K: return parse_int(n, v, 0, INT64_MAX, &sp->top_k, err, err_len);
    case OPT_TOP_P: return parse_float(n, v, 0, 0, 1, &sp->top_p, err, err_len);
    case OPT_MIN_P: return parse_float(n, v, 0, 0, 1, &sp->min_p, err, err_len);
    case OPT_REPETITION_PENALTY: return parse_float(n, v, 0, 1, INFINITY, &sp->repetition_penalty, err, err_len);
    case OPT_SEED: {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (end == v || *end != 0 || errno == ERANGE || strchr(v, '-'))
            return llmc_rt_fail(err, err_len, "--seed expects an unsigned integer, got '%s'", v);
        sp->seed = s;
        out->has_seed = 1;
        return 0;
    }
    case OPT_THREADS: return parse_int(n, v, 1, 1024, &out->threads, err, err_len);
    case OPT_MAX_CONTEXT: return parse_int(n, v, 1, lim->max_position, &out->max_context, err, err_len);
    case OPT_IGNORE_EOS: out->ignore_eos = 1; return 0;
    case OPT_JSON: out->json = 1; return 0;
    case OPT_LOGPROBS: return parse_int(n, v, 1, lim->vocab_size, &out->logprobs, err, err_len);
    case OPT_LOGITS: out->logits = 1; return 0;
    case OPT_PROMPT_LEN: return parse_int(n, v, 1, lim->max_position, &out->bench_prompt_len, err, err_len);
    case OPT_GEN: return parse_int(n, v, 1, lim->max_position, &out->bench_gen, err, err_len);
    case OPT_REPEAT: return parse_int(n, v, 1, 1000, &out->bench_repeat, err, err_len);
    case OPT_SCORE_FROM: return parse_int(n, v, 1, lim->max_position, &out->score_from, err, err_len);
    case OPT_HELP: out->command = LLMC_CMD_HELP; return 0;
    }
    return 0;
}

/// Checks that need every option: prompt presence, combinations, context sizes.
static int check(const llmc_cli_limits *lim, const llmc_cli_options *o, char *err, uint64_t err_len) {
    if (o->command == LLMC_CMD_BENCH && o->bench_prompt_len + o->bench_gen > lim->max_position)
        return llmc_rt_fail(err, err_len, "bench needs --prompt-len %lld + --gen %lld positions, the model has %lld",
                            (long long)o->bench_prompt_len, (long long)o->bench_gen, (long long)lim->max_position);
    if (o->command >= LLMC_CMD_EMBED) {
        int sources = !!o->prompt + !!o->n_seqs + !!o->input_file + !!(o->query || o->doc) + !!o->pairs_file;
        if (sources == 0)
            return llmc_rt_fail(err, err_len, "no input: give -p TEXT, --input FILE or --prompt-ids IDS%s (see --help)",
                                o->command == LLMC_CMD_SCORE ? ", or --query Q --doc D or --pairs FILE" : "");
        if (sources > 1) return llmc_rt_fail(err, err_len, "give only one kind of input");
        if ((o->query != NULL) != (o->doc != NULL)) return llmc_rt_fail(err, err_len, "--query and --doc go together");
        if (o->n_seq_types && o->n_seq_types != o->n_seqs)
            return llmc_rt_fail(err, err_len, "give one --token-types per --prompt-ids (%lld vs %lld)",
                                (long long)o->n_seq_types, (long long)o->n_seqs);
        if ((o->prompt || o->input_file || o->query || o->pairs_file) && !lim->has_tokenizer)
            return llmc_rt_fail(err, err_len, "this model has no tokenizer: give the input with --prompt-ids");
        if ((o->logits || o->hidden) && !o->json)
            return llmc_rt_fail(err, err_len, "%s only applies to --json output", o->logits ? "--logits" : "--hidden");
        return 0;
    }
    if (o->command != LLMC_CMD_RUN && o->command != LLMC_CMD_SCORE_TOKENS) return 0;
    if (o->prompt && o->prompt_ids) return llmc_rt_fail(err, err_len, "give either -p or --prompt-ids, not both");
    if (!o->prompt && !o->prompt_ids)
        return llmc_rt_fail(err, err_len, "no prompt: give -p TEXT or --prompt-ids IDS (see --help)");
    if (o->prompt && !o->prompt[0]) return llmc_rt_fail(err, err_len, "the prompt is empty");
    if (o->command == LLMC_CMD_SCORE_TOKENS && o->prompt_ids && o->n_prompt_ids <= o->score_from)
        return llmc_rt_fail(err, err_len, "score-tokens needs more than --score-from %lld tokens, got %lld",
                            (long long)o->score_from, (long long)o->n_prompt_ids);
    if (o->prompt && !lim->has_tokenizer)
        return llmc_rt_fail(err, err_len, "this model has no tokenizer: give the prompt with --prompt-ids");
    if ((o->logprobs || o->logits) && !o->json)
        return llmc_rt_fail(err, err_len, "%s only applies to --json output", o->logits ? "--logits" : "--logprobs");
    return 0;
}

int llmc_cli_wants_help(int argc, char *const *argv) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        const opt_spec *o = arg[0] == '-' ? find_opt(arg, eq ? (size_t)(eq - arg) : strlen(arg)) : NULL;
        if (!o) continue;
        if (o->id == OPT_HELP) return 1;
        if (o->value && !eq) i++; // skip the value: `-p --help` is a prompt
    }
    return 0;
}

int llmc_cli_parse(int argc, char *const *argv, const llmc_cli_limits *limits, llmc_cli_options *out, char *err,
                   uint64_t err_len) {
    memset(out, 0, sizeof *out);
    out->command = LLMC_CMD_RUN;
    out->n_predict = 128;
    out->sampling = limits->sampling;
    out->max_context = limits->default_ctx;
    out->bench_prompt_len = 512;
    out->bench_gen = 128;
    out->bench_repeat = 3;
    out->score_from = 1;
    if (err && err_len) err[0] = 0;
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "info") == 0) {
        out->command = LLMC_CMD_INFO;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        out->command = LLMC_CMD_BENCH;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "score-tokens") == 0) {
        out->command = LLMC_CMD_SCORE_TOKENS;
        i = 2;
    } else if (argc > 1) {
        for (int c = LLMC_CMD_EMBED; c <= LLMC_CMD_REWARD; c++)
            if (strcmp(argv[1], COMMAND_NAMES[c]) == 0) {
                out->command = (llmc_command)c;
                i = 2;
            }
    }
    llmc_command cmd = out->command;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const opt_spec *o = arg[0] == '-' ? find_opt(arg, name_len) : NULL;
        if (!o) {
            if (arg[0] == '-' && arg[1] != 0)
                return llmc_rt_fail(err, err_len, "unknown option '%.*s' (see --help)", (int)name_len, arg), 2;
            return llmc_rt_fail(err, err_len, "unexpected argument '%s' (see --help)", arg), 2;
        }
        if (!(o->commands & (1u << cmd)))
            return llmc_rt_fail(err, err_len, "%.*s does not apply to %s (see --help)", (int)name_len, arg,
                                COMMAND_NAMES[cmd]), 2;
        const char *value = NULL;
        if (o->value) {
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                return llmc_rt_fail(err, err_len, "%.*s needs a value %s", (int)name_len, arg, o->value), 2;
            }
        } else if (eq) {
            return llmc_rt_fail(err, err_len, "%s takes no value", o->name), 2;
        }
        char typed[32];
        snprintf(typed, sizeof typed, "%.*s", (int)name_len, arg);
        if (apply(o, typed, value, limits, out, err, err_len)) return 2;
        if (out->command == LLMC_CMD_HELP) return 0;
    }
    return check(limits, out, err, err_len) ? 2 : 0;
}

void llmc_cli_options_free(llmc_cli_options *o) {
    for (int64_t k = 0; k < o->n_seqs; k++) free(o->seq_ids[k]);
    for (int64_t k = 0; k < o->n_seq_types; k++) free(o->seq_types[k]);
    free(o->seq_ids);
    free(o->seq_lens);
    free(o->seq_types);
    free(o->seq_type_lens);
    o->seq_ids = o->seq_types = NULL;
    o->n_seqs = o->n_seq_types = 0;
    free(o->prompt_ids);
    o->prompt_ids = NULL;
    o->n_prompt_ids = 0;
}

char *llmc_cli_help(const char *prog) {
    llmc_strbuf sb = {0};
    llmc_sb_printf(&sb,
                   "usage: %s -p TEXT [options]          generate a continuation of TEXT\n"
                   "       %s --prompt-ids IDS [options] generate from token ids\n"
                   "       %s info [--json]              describe the compiled model\n"
                   "       %s bench [options]            measure prefill and decode speed (greedy, EOS ignored)\n"
                   "       %s embed|classify|reward -p TEXT | --input FILE | --prompt-ids IDS...   pooling models\n"
                   "       %s score --query Q --doc D | --pairs FILE   cross-encoders (embedders: cosine)\n"
                   "       %s score-tokens -p TEXT | --prompt-ids IDS [--score-from N]   teacher-forced log-probabilities\n"
                   "\noptions:\n",
                   prog, prog, prog, prog, prog, prog, prog);
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_spec *o = &OPTS[i];
        char names[64];
        snprintf(names, sizeof names, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
                 o->value ? " " : "", o->value ? o->value : "");
        llmc_sb_printf(&sb, "  %-26s %s%s\n", names, o->help,
                       (o->commands & (INFO | BENCH)) && o->commands != BENCH ? " [also info/bench]" : "");
    }
    llmc_sb_puts(&sb, "\nThe continuation is streamed to stdout as text (as token ids when the model has no tokenizer) and a\n"
                      "timing line goes to stderr. Generation stops at an end-of-sequence token, after -n tokens, or when\n"
                      "the context is full.\n");
    llmc_sb_puts(&sb, "\nWith --json, generation prints {\"prompt_ids\", \"output_ids\", \"text\" (when the model has a "
                      "tokenizer),\n\"top_logprobs\" (with --logprobs), \"last_logits\" (with --logits)}. Exit codes: "
                      "0 ok, 1 runtime error, 2 usage error.\n");
    llmc_sb_puts(&sb, "\nPooling commands with --json print one object per input and line: embed {\"embedding\": [...]}, "
                      "classify\n{\"labels\": [{\"label\", \"probability\"}...]} (token classifiers: {\"tokens\": [...]}), "
                      "score {\"score\": x},\nreward {\"reward\": x} (process rewards: {\"reward\": [[p...] per step]}).\n");
    llmc_sb_puts(&sb, "\nscore-tokens feeds the given tokens without sampling: the tokens before --score-from are "
                      "prefilled as one\nprompt, each later token is fed as one decode step, and for every scored "
                      "token i it reports the\nmodel's argmax at position i (what greedy decoding would pick) and "
                      "log p(token i | tokens before i).\nWith --json it prints {\"ids\", \"score_from\", "
                      "\"argmax\", \"logprobs\", \"nll\" (mean negative log-likelihood),\n\"perplexity\"}; "
                      "otherwise a line per token and a summary.\n");
    return sb.data;
}
