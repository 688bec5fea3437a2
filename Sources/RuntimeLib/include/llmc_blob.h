// Layout of the weight blob that llmc appends to every produced executable.
// File:  [ELF executable][padding to 4096][blob][trailer]
// Blob:  [llmc_blob_header][info JSON][tokenizer section][padding][weights, 4096-aligned]
// Trailer (the file's last 16 bytes): uint64 blob_offset (from file start, 4096-aligned), then "LLMCTRL1".
#ifndef LLMC_BLOB_H
#define LLMC_BLOB_H
#include <stdint.h>

#define LLMC_BLOB_MAGIC "LLMCBLB1"
#define LLMC_TRAILER_MAGIC "LLMCTRL1"
#define LLMC_BLOB_VERSION 1
#define LLMC_MAX_EOS 8

/// Fixed-size header at the start of the blob; all offsets are relative to the blob's start. Little-endian.
typedef struct llmc_blob_header {
    char magic[8];              ///< LLMC_BLOB_MAGIC
    uint32_t version;           ///< LLMC_BLOB_VERSION
    uint32_t header_bytes;      ///< sizeof(llmc_blob_header)
    uint64_t weights_offset;    ///< 4096-aligned
    uint64_t weights_bytes;
    uint64_t tokenizer_offset;  ///< 0 when the model has no tokenizer
    uint64_t tokenizer_bytes;
    uint64_t info_offset;       ///< UTF-8 JSON object: architecture, dtype, target, parameters, ... (for `info --json`)
    uint64_t info_bytes;
    int64_t vocab_size;
    int64_t max_position;       ///< max_position_embeddings of the config
    int64_t default_ctx;        ///< default --max-context: min(max_position, 4096)
    int64_t bos_id;             ///< -1 when none
    int64_t pad_id;             ///< -1 when none
    int64_t n_eos;              ///< number of valid entries in eos_ids
    int64_t eos_ids[LLMC_MAX_EOS];
    /// Sampling defaults from generation_config.json (do_sample=false -> temperature 0).
    float temperature;
    float top_p;
    int64_t top_k;              ///< 0 = off
    float min_p;                ///< 0 = off
    float repetition_penalty;   ///< 1 = off
} llmc_blob_header;

#endif
