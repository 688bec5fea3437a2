// Public runtime API besides the ABI (llmc_abi.h): the pieces of RuntimeLib that tests and tools call directly —
// thread pool control, weight-blob loading, sampling, command-line parsing and JSON string escaping.
#ifndef LLMC_RUNTIME_H
#define LLMC_RUNTIME_H
#include <stddef.h>
#include <stdint.h>
#include "llmc_blob.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------------------------
// Thread pool (threadpool.c). llmc_parallel_for (llmc_abi.h) starts the pool lazily with llmc_default_threads().

/// Number of CPUs this process may run on (affinity mask, else online CPUs); at least 1.
int64_t llmc_default_threads(void);
/// (Re)starts the pool with n_threads threads in total, the calling thread included (n_threads - 1 workers).
/// Returns 0, or -1 when n_threads < 1 or a thread cannot be created (the pool then runs everything inline).
int llmc_threadpool_init(int64_t n_threads);
/// Stops and joins the workers; later llmc_parallel_for calls restart the pool with the default size.
void llmc_threadpool_shutdown(void);
/// Threads the pool runs tasks on (caller included); 0 before the pool is started.
int64_t llmc_threadpool_threads(void);
/// llmc_parallel_for calls made so far outside of tasks (nested calls run inline and are not counted).
uint64_t llmc_threadpool_calls(void);

// ---------------------------------------------------------------------------------------------------------------
// CPU features (cpu_check.c), behind llmc_require_cpu (llmc_abi.h).

/// Writes the first name in the comma-separated `features` (LLVM names) that this CPU or OS lacks into `missing`
/// (`size` bytes, NUL-terminated) and returns 1; returns 0 when every name it can test is supported.
int llmc_cpu_missing_feature(const char *features, char *missing, size_t size);

// ---------------------------------------------------------------------------------------------------------------
// Weight blob (blob.c): the data llmc appends to every produced executable (layout in llmc_blob.h).

/// A blob mapped read-only from an executable.
typedef struct llmc_blob {
    const llmc_blob_header *header; ///< start of the mapping
    const uint8_t *weights;         ///< header->weights_offset bytes into the mapping (4096-aligned)
    const uint8_t *tokenizer;       ///< NULL when the model has no tokenizer
    const char *info_json;          ///< header->info_bytes bytes, not NUL-terminated
    uint64_t blob_bytes;            ///< mapped length (blob without the trailer)
} llmc_blob;

/// Maps the blob at the end of the file at `path`; `populate` pre-faults every page (MAP_POPULATE).
/// Returns 0, or -1 with a one-line reason in err (err_len bytes, always NUL-terminated).
int llmc_blob_open(const char *path, int populate, llmc_blob *out, char *err, uint64_t err_len);
/// Checks a blob header against the blob's length (magic, version, sizes, offsets, alignment, value ranges).
int llmc_blob_validate(const llmc_blob_header *h, uint64_t blob_bytes, char *err, uint64_t err_len);
/// Unmaps a blob opened by llmc_blob_open and clears *b.
void llmc_blob_close(llmc_blob *b);

// ---------------------------------------------------------------------------------------------------------------
// Sampling (sampling.c). Processing order as in Hugging Face generate():
// repetition penalty -> temperature -> top-k -> top-p -> min-p, then a draw from a seeded xoshiro256** generator.

/// Sampling settings; temperature 0 means greedy (argmax after the repetition penalty, ties to the lower id).
typedef struct llmc_sampling_params {
    float temperature;        ///< >= 0
    int64_t top_k;            ///< 0 = off; keeps every token tied with the k-th largest score
    float top_p;              ///< in [0, 1]; 1 = off
    float min_p;              ///< in [0, 1]; 0 = off
    float repetition_penalty; ///< > 0; 1 = off
    uint64_t seed;            ///< seeds the random generator
} llmc_sampling_params;

typedef struct llmc_sampler llmc_sampler;

/// Creates a sampler for vocab_size logits; NULL when out of memory or vocab_size < 1.
llmc_sampler *llmc_sampler_create(const llmc_sampling_params *params, int64_t vocab_size);
void llmc_sampler_free(llmc_sampler *s);
/// Picks the next token from raw logits[vocab_size]; `history` (prompt + generated ids) feeds the repetition penalty.
int32_t llmc_sampler_sample(llmc_sampler *s, const float *logits, const int32_t *history, int64_t n_history);
/// The tokens sample() would draw from with their renormalised probabilities, best first (ties: lower id first).
/// out_ids/out_probs need vocab_size entries; returns the count (1 for greedy).
int64_t llmc_sampler_candidates(llmc_sampler *s, const float *logits, const int32_t *history, int64_t n_history,
                                int32_t *out_ids, float *out_probs);
/// log_softmax(logits) at its k best entries, best first (ties: lower id first); returns min(k, vocab_size).
int64_t llmc_top_logprobs(const float *logits, int64_t vocab_size, int64_t k, int32_t *out_ids, float *out_logprobs);

// ---------------------------------------------------------------------------------------------------------------
// Command line of a produced executable (args.c).

typedef enum llmc_command {
    LLMC_CMD_RUN = 0,
    LLMC_CMD_INFO = 1,
    LLMC_CMD_BENCH = 2,
    LLMC_CMD_HELP = 3,
    LLMC_CMD_SCORE_TOKENS = 4, ///< teacher-forced argmax and log-probability of each given token
    LLMC_CMD_EMBED = 5,    ///< pooling models: one vector per input
    LLMC_CMD_CLASSIFY = 6, ///< labels with probabilities per input (or per token)
    LLMC_CMD_SCORE = 7,    ///< a (query, document) pair's relevance
    LLMC_CMD_REWARD = 8,   ///< a reward per input
} llmc_command;

/// What the parser needs to know about the model to check values and fill defaults.
typedef struct llmc_cli_limits {
    int64_t vocab_size;
    int64_t max_position;                 ///< largest accepted --max-context
    int64_t default_ctx;                  ///< --max-context default
    int has_tokenizer;                    ///< -p is only accepted with a tokenizer
    llmc_sampling_params sampling;        ///< defaults (seed is ignored: drawn from the clock unless --seed)
} llmc_cli_limits;

/// A parsed command line; free with llmc_cli_options_free.
typedef struct llmc_cli_options {
    llmc_command command;
    const char *prompt;           ///< -p text (points into argv), NULL when absent
    int32_t *prompt_ids;          ///< --prompt-ids (malloc'd), NULL when absent
    int64_t n_prompt_ids;
    int64_t n_predict;            ///< -n, default 128
    llmc_sampling_params sampling;
    int has_seed;                 ///< --seed was given
    int64_t threads;              ///< --threads, 0 = default
    int64_t max_context;          ///< --max-context (defaults to limits->default_ctx)
    int ignore_eos;
    int json;
    int64_t logprobs;             ///< --logprobs K, 0 = off
    int logits;                   ///< --logits
    int64_t bench_prompt_len;     ///< bench --prompt-len, default 512
    int64_t bench_gen;            ///< bench --gen, default 128
    int64_t bench_repeat;         ///< bench --repeat, default 3
    // Pooling commands (embed / classify / score / reward):
    int32_t **seq_ids;            ///< each --prompt-ids of a pooling command: one sequence (malloc'd)
    int64_t *seq_lens;
    int64_t n_seqs;
    int32_t **seq_types;          ///< each --token-types, matching seq_ids (malloc'd)
    int64_t *seq_type_lens;
    int64_t n_seq_types;
    const char *input_file;       ///< --input: one text per line
    const char *query;            ///< score --query
    const char *doc;              ///< score --doc
    const char *pairs_file;       ///< score --pairs: "query<TAB>document" per line
    int hidden;                   ///< --hidden: with --json, the last hidden state of every token
    int no_truncate;              ///< --no-truncate: over-long inputs are errors instead of being cut (with a warning)
    int64_t score_from;           ///< score-tokens --score-from: first scored position, default 1
} llmc_cli_options;

/// Parses argv[1..argc) (argv[0] is the program). Returns 0, or 2 (usage error) with a one-line message in err.
int llmc_cli_parse(int argc, char *const *argv, const llmc_cli_limits *limits, llmc_cli_options *out, char *err,
                   uint64_t err_len);
void llmc_cli_options_free(llmc_cli_options *o);
/// Whether argv asks for -h/--help anywhere an option may stand (`-p --help` is a prompt, not a request for help);
/// checked before the blob is opened so that help works even when the blob is broken.
int llmc_cli_wants_help(int argc, char *const *argv);
/// Writes the --help text for program `prog` to a malloc'd NUL-terminated string.
char *llmc_cli_help(const char *prog);

// ---------------------------------------------------------------------------------------------------------------
// JSON (json_write.c).

/// Length of the longest prefix of s[0..n) that does not end inside an unfinished UTF-8 sequence (one whose bytes
/// so far could still become a valid character): what a streaming printer may write now. utf8.c.
uint64_t llmc_utf8_complete_prefix(const char *s, uint64_t n);

/// s[0..n) as a quoted JSON string (malloc'd, NUL-terminated): quotes, backslashes and control characters escaped,
/// invalid UTF-8 replaced by U+FFFD (one per maximal ill-formed subsequence, as Python's errors="replace").
char *llmc_json_escape(const char *s, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
