// The C ABI between the code llmc generates for one model and RuntimeLib.
// Generated code defines `main`, which calls llmc_run_main with a table describing the model;
// RuntimeLib never references a generated symbol, so it also links into tests on its own.
#ifndef LLMC_ABI_H
#define LLMC_ABI_H
#include <stdint.h>

#define LLMC_ABI_VERSION 1

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
} llmc_model_state;

/// What the generated code exports about one compiled model.
typedef struct llmc_model {
    uint32_t abi_version;    ///< LLMC_ABI_VERSION
    uint32_t reserved;
    int64_t vocab_size;
    int64_t max_batch;       ///< most tokens one forward call accepts (longer prompts are chunked)
    int64_t arena_bytes;     ///< activation scratch needed for max_batch tokens
    int64_t kv_bytes_per_position; ///< KV cache bytes per cached position (all layers, K and V)
    /// Runs tokens[0..n) at positions pos..pos+n-1 (n <= max_batch, pos+n <= max_ctx), appends their K/V to the
    /// cache, and writes the logits of the last token to logits[vocab_size].
    void (*forward)(const llmc_model_state *st, const int32_t *tokens, int64_t n, int64_t pos, float *logits);
} llmc_model;

/// The produced executable's entry point (CLI, bench, info); returns the process exit code.
int llmc_run_main(int argc, char **argv, const llmc_model *model);

#ifdef __cplusplus
}
#endif
#endif
