// The C ABI between the code llmc generates for one model and RuntimeLib.
// Generated code defines `main`, which calls llmc_run_main with a table describing the model;
// RuntimeLib never references a generated symbol, so it also links into tests on its own.
#ifndef LLMC_ABI_H
#define LLMC_ABI_H
#include <stdint.h>

#define LLMC_ABI_VERSION 3

#ifdef __cplusplus
extern "C" {
#endif

/// One task of a parallel kernel: `args` is an array of 8-byte slots (pointers or int64).
typedef void (*llmc_task_fn)(const int64_t *args, int64_t task);

/// Runs fn(args, t) for t in [0, n_tasks) on the persistent thread pool and returns when all are done.
/// Called by generated code for every kernel; safe to call with n_tasks == 1 (runs inline).
void llmc_parallel_for(llmc_task_fn fn, const int64_t *args, int64_t n_tasks);

/// Buffers owned by the runtime and handed to the generated forward pass.
typedef struct llmc_model_state {
    const uint8_t *weights;  ///< packed weights (blob weights area, 64-byte aligned, mmapped)
    void *kv;                ///< KV cache of kv_bytes_per_position * max_ctx bytes, 64-byte aligned, zeroed at start;
                             ///< its layout and element format (f32, bf16, int8 + scales: `llmc compile --kv-dtype`)
                             ///< belong to the generated code, the runtime only allocates it
    float *arena;            ///< activation scratch of arena_bytes bytes, 64-byte aligned
    int64_t max_ctx;         ///< positions the KV cache holds
    void *state;             ///< recurrent state of one sequence (state-space layers: conv windows, SSM states) of
                             ///< llmc_model.state_bytes bytes, 64-byte aligned, zeroed at start; its layout belongs to
                             ///< the generated code. A call whose first position is 0 ignores it (a new sequence);
                             ///< a call at pos > 0 continues it, so for a model with state_bytes > 0 the caller may
                             ///< only continue at the next position or restart at 0, never move back to another pos
} llmc_model_state;

/// Pooling models (embedders, classifiers, cross-encoders, reward models; docs/POOLING.md): one `encode` call runs
/// several whole sequences PACKED — their tokens concatenated without padding, positions restarting at 0 in each
/// sequence, and attention restricted to the sequence's own tokens (block-diagonal; bidirectional for encoders,
/// causal for decoder embedders). Every matmul then sees all tokens of the batch at once and no work is spent on
/// padding. The KV buffer is scratch for the call's keys and values (it must hold max_batch positions).
typedef struct llmc_encode_batch {
    const int32_t *tokens;      ///< [n_tokens] ids of every sequence, concatenated
    const int32_t *token_types; ///< [n_tokens] segment ids (BERT token_type_ids); NULL = all 0
    const int32_t *positions;   ///< [n_tokens] each token's position in its sequence (0, 1, ... per sequence)
    const int64_t *seq_start;   ///< [n_seqs + 1] sequence s is tokens[seq_start[s] .. seq_start[s+1]), non-empty
    int64_t n_tokens;           ///< 1 ..= max_batch
    int64_t n_seqs;             ///< 1 ..= n_tokens
} llmc_encode_batch;

/// Where `encode` writes; a NULL pointer skips that output. Sizes come from the model table.
typedef struct llmc_encode_outputs {
    float *hidden;       ///< [n_tokens][hidden_size]: last hidden state of every token
    float *pooled;       ///< [n_seqs][pooled_size]: pooled (and L2-normalised when configured) vector per sequence
    float *seq_logits;   ///< [n_seqs][seq_labels]: head output per sequence (classifier, score, reward)
    float *token_logits; ///< [n_tokens][token_labels]: head output per token (token classes, MLM, process reward)
} llmc_encode_outputs;

/// What a pooling model is for (llmc_model.task).
typedef enum llmc_task {
    LLMC_TASK_GENERATE = 0,
    LLMC_TASK_EMBED = 1,
    LLMC_TASK_CLASSIFY = 2,
    LLMC_TASK_SCORE = 3,
    LLMC_TASK_REWARD = 4,
    LLMC_TASK_TOKEN_CLASSIFY = 5,
} llmc_task;

/// What the generated code exports about one compiled model.
typedef struct llmc_model {
    uint32_t abi_version;    ///< LLMC_ABI_VERSION
    uint32_t task;           ///< llmc_task; LLMC_TASK_GENERATE when `encode` is NULL
    int64_t vocab_size;
    int64_t max_batch;       ///< most tokens one forward / encode call accepts (longer prompts are chunked)
    int64_t arena_bytes;     ///< activation scratch needed for max_batch tokens
    int64_t kv_bytes_per_position; ///< KV cache bytes per cached position (all layers, K and V)
    /// Runs tokens[0..n) at positions pos..pos+n-1 (n <= max_batch, pos+n <= max_ctx), appends their K/V to the
    /// cache, and writes the logits of the last token to logits[vocab_size]. NULL for pooling-only models.
    void (*forward)(const llmc_model_state *st, const int32_t *tokens, int64_t n, int64_t pos, float *logits);
    /// Runs a packed batch of sequences (see llmc_encode_batch) and writes the requested outputs. NULL for
    /// generative-only models. Uses the KV buffer as scratch (its contents are lost).
    void (*encode)(const llmc_model_state *st, const llmc_encode_batch *batch, const llmc_encode_outputs *out);
    int64_t hidden_size;     ///< columns of llmc_encode_outputs.hidden (0: not produced)
    int64_t pooled_size;     ///< columns of .pooled (0: not produced)
    int64_t seq_labels;      ///< columns of .seq_logits (0: not produced)
    int64_t token_labels;    ///< columns of .token_logits (0: not produced)
    int64_t state_bytes;     ///< recurrent state of one sequence (0 for attention-only models)
} llmc_model;

/// The produced executable's entry point (CLI, bench, info); returns the process exit code.
int llmc_run_main(int argc, char **argv, const llmc_model *model);

/// Called first by the generated `main` (prog = argv[0], may be NULL): returns when the CPU (and the OS, for vector
/// registers) supports every instruction-set extension in `features`, the comma-separated LLVM names
/// ("avx2,avx512f,avx512bf16") the code was compiled for; otherwise prints one line naming the first missing one and
/// `target` and exits with status 1. Names it cannot test are skipped.
void llmc_require_cpu(const char *prog, const char *target, const char *features);

#ifdef __cplusplus
}
#endif
#endif
