// Declarations shared between RuntimeLib's C files (not part of the public API).
#ifndef LLMC_RUNTIME_INTERNAL_H
#define LLMC_RUNTIME_INTERNAL_H
#include "llmc_abi.h"
#include "llmc_runtime.h"
#include <stddef.h>
#include <stdint.h>

#define LLMC_EXIT_RUNTIME 1
#define LLMC_EXIT_USAGE 2

/// printf-style message into err[err_len] (when err is not NULL); returns -1.
int llmc_rt_fail(char *err, uint64_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// ---- growable byte string (strbuf.c); functions abort with a message when memory runs out ----
typedef struct llmc_strbuf {
    char *data; ///< NUL-terminated
    size_t len;
    size_t cap;
} llmc_strbuf;

void llmc_sb_append(llmc_strbuf *sb, const char *s, size_t n);
void llmc_sb_puts(llmc_strbuf *sb, const char *s);
void llmc_sb_printf(llmc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void llmc_sb_free(llmc_strbuf *sb);
/// malloc that never returns NULL (exits with a one-line message instead).
void *llmc_rt_xmalloc(size_t n);

// ---- UTF-8 (utf8.c) ----
/// Length of the well-formed UTF-8 sequence starting at s[0..n), or 0 when ill-formed; *maximal_subpart gets the
/// number of bytes one U+FFFD replaces (the maximal ill-formed subsequence, at least 1).
size_t llmc_rt_utf8_sequence(const unsigned char *s, size_t n, size_t *maximal_subpart);
/// Appends s[0..n) with ill-formed sequences replaced by U+FFFD.
void llmc_rt_utf8_append_valid(llmc_strbuf *sb, const char *s, size_t n);

/// Index of the largest value (the lowest index among ties); sampling.c.
int32_t llmc_rt_argmax(const float *v, int64_t n);

// ---- JSON (json_write.c, json_scan.c) ----
void llmc_json_append_string(llmc_strbuf *sb, const char *s, size_t n);
/// %.9g, or null for NaN/inf (not representable in JSON).
void llmc_json_append_float(llmc_strbuf *sb, float v);

/// One top-level member of a JSON object: raw key (without quotes, still escaped) and raw value text.
typedef struct llmc_json_member {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} llmc_json_member;

/// Splits the JSON object text[0..n) into its top-level members (malloc'd array in *out, count in *n_out).
/// Returns 0, or -1 with a reason when the text is not one well-formed JSON object.
int llmc_json_object_members(const char *text, size_t n, llmc_json_member **out, size_t *n_out, char *err,
                             uint64_t err_len);

/// The member of ms[0..n) whose raw key is key[0..key_len), or NULL.
const llmc_json_member *llmc_json_find(const llmc_json_member *ms, size_t n, const char *key, size_t key_len);

/// Number of elements of the JSON array text[0..n), or -1 when it is not one.
int64_t llmc_json_array_length(const char *text, size_t n);

// ---- session: KV cache, arena and the forward calls (session.c) ----
typedef struct llmc_session {
    const llmc_model *model;
    llmc_model_state state;
    float *logits; ///< vocab_size floats: the logits of the last token fed
    int64_t pos;   ///< positions filled in the KV cache (and consumed by the recurrent state); only ever advanced
                   ///< by llmc_session_feed or reset to 0
    size_t kv_map_bytes;
    size_t state_map_bytes;
    size_t arena_map_bytes;
} llmc_session;

/// Allocates the KV cache for max_ctx positions, the recurrent state and the arena. Returns 0, or -1 with a reason.
int llmc_session_init(llmc_session *s, const llmc_model *model, const uint8_t *weights, int64_t max_ctx, char *err,
                      uint64_t err_len);
/// Runs tokens[0..n) at the next positions (in chunks of model->max_batch); returns the logits of the last one.
/// The caller guarantees n >= 1 and pos + n <= max_ctx.
const float *llmc_session_feed(llmc_session *s, const int32_t *tokens, int64_t n);
void llmc_session_free(llmc_session *s);

// ---- pooling models: packed encode calls (encode.c) ----
/// Sequences to encode: ids[k][0..lens[k]) with optional token types (types or types[k] NULL: all 0).
typedef struct llmc_sequences {
    int32_t *const *ids;
    int32_t *const *types;
    const int64_t *lens;
    int64_t n;
} llmc_sequences;

/// Runs every sequence through model->encode in packed calls of at most max_batch tokens (session max_ctx must be
/// >= max_batch). Per-token outputs are written for all sequences' tokens in order, per-sequence outputs one row per
/// sequence; NULL outputs are skipped. Returns 0, or -1 with a reason (empty or too long a sequence).
int llmc_encode_all(llmc_session *s, const llmc_sequences *in, const llmc_encode_outputs *out, char *err,
                    uint64_t err_len);

// ---- text <-> ids through the blob's tokenizer (text.c) ----
typedef struct llmc_text llmc_text;
/// Loads the tokenizer section of the blob; NULL with a reason in err.
llmc_text *llmc_text_load(const llmc_blob *blob, char *err, uint64_t err_len);
void llmc_text_free(llmc_text *t);
/// Tokenizes like transformers' tokenizer(text) (special tokens added); returns the count or -1 with a reason.
int64_t llmc_text_encode(llmc_text *t, const char *text, int32_t **ids, char *err, uint64_t err_len);
/// Tokenizes a text (b NULL) or a sentence pair with special tokens, token type ids and truncation to max_len ids
/// (<= 0: none; *truncated says whether ids were dropped); returns the count or -1 with a reason.
int64_t llmc_text_encode_pair(llmc_text *t, const char *a, const char *b, int64_t max_len, int32_t **ids, int32_t **types,
                              int *truncated, char *err, uint64_t err_len);
/// Decodes ids (special tokens skipped). `raw` gives the raw bytes (for streaming); otherwise invalid UTF-8 is
/// replaced by U+FFFD as transformers does. Returns the byte count (into a malloc'd *out) or -1 with a reason.
int64_t llmc_text_decode(llmc_text *t, const int32_t *ids, int64_t n, int raw, char **out, char *err,
                         uint64_t err_len);

// ---- commands (generate.c, bench.c, info.c); each returns the process exit code ----
/// What every command gets: the program name for messages, the model table, the mapped blob, the options.
typedef struct llmc_context {
    const char *prog;
    const llmc_model *model;
    const llmc_blob *blob;
    const llmc_cli_options *opts;
} llmc_context;

int llmc_cmd_generate(const llmc_context *ctx);
/// The name of an llmc_task ("embed", "classify", ...).
const char *llmc_task_name(uint32_t task);
int llmc_cmd_bench(const llmc_context *ctx);
int llmc_cmd_info(const llmc_context *ctx);
/// embed / classify / score / reward of a pooling model (pooling.c).
int llmc_cmd_pooling(const llmc_context *ctx);
/// score-tokens: teacher-forced scoring of a token sequence (score_tokens.c).
int llmc_cmd_score_tokens(const llmc_context *ctx);
/// The command's prompt as token ids: --prompt-ids as given, or -p TEXT through `text` (loaded by the caller when
/// -p is set), every id checked against the model's vocabulary. Returns the count (malloc'd copy in *out) or -1
/// after reporting.
int64_t llmc_prompt_ids(const llmc_context *ctx, llmc_text *text, int32_t **out);
/// Prints "prog: message" (one line) to stderr and returns `code`.
int llmc_report(const char *prog, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
double llmc_now_seconds(void);

#endif
