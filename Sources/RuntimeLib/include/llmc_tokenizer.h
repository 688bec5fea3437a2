// Runtime tokenizer: encodes and decodes text with the "tokenizer section" that `llmc compile` builds from a
// model's tokenizer.json (byte-level BPE as used by GPT-2, Llama-3, SmolLM2, Qwen2; SentencePiece-style BPE with "▁"
// and byte fallback as used by Llama-2, Mistral, Gemma) and stores in the blob.
// The section format is documented at the top of Sources/RuntimeLib/tokenizer_section.c.
// All functions are thread-safe on a loaded tokenizer (it is read-only after load).
#ifndef LLMC_TOKENIZER_H
#define LLMC_TOKENIZER_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmc_tokenizer llmc_tokenizer;

/* Loads a tokenizer section (bytes stay owned by the caller and must outlive the tokenizer). NULL on error, message in err. */
llmc_tokenizer *llmc_tokenizer_load(const uint8_t *data, uint64_t size, char *err, uint64_t err_size);
void llmc_tokenizer_free(llmc_tokenizer *t);

/* Encodes UTF-8 text like transformers' tokenizer(text).input_ids (add_special != 0 applies the post-processor template).
   Returns the number of ids written to *out (malloc'ed, caller frees), or -1 on error (message in err). */
int64_t llmc_tokenizer_encode(const llmc_tokenizer *t, const char *text, uint64_t len, int add_special, int32_t **out,
                              char *err, uint64_t err_size);

/* Decodes ids to UTF-8 like transformers' tokenizer.decode(ids, skip_special_tokens=skip_special): invalid UTF-8
   (e.g. ids that split a character) becomes U+FFFD, one per maximal invalid subsequence for byte-level BPE and one
   per byte of an invalid run of byte-fallback tokens ("<0xNN>") for SentencePiece-style BPE. Returns the byte length
   written to *out (malloc'ed, NUL-terminated, caller frees), or -1 on error (id out of range). */
int64_t llmc_tokenizer_decode(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special, char **out,
                              char *err, uint64_t err_size);

/* Same as llmc_tokenizer_decode but without U+FFFD replacement (byte-fallback runs that are not valid UTF-8 are kept as
   their bytes): the output may end in an incomplete UTF-8 sequence when the ids split a character, so a streaming
   printer can hold those bytes back. Decoding a longer list of ids extends the output of a shorter prefix (the
   decoders llmc supports only look at the first token and at runs of byte tokens), except that with a Strip decoder
   whose stop is not 0 trailing characters may reappear. */
int64_t llmc_tokenizer_decode_bytes(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special,
                                    char **out, char *err, uint64_t err_size);

/* Number of ids the tokenizer knows (highest id + 1), including added tokens. */
int64_t llmc_tokenizer_vocab_size(const llmc_tokenizer *t);

#ifdef __cplusplus
}
#endif
#endif
