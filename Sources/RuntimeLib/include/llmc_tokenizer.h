// Runtime tokenizer: encodes and decodes text with the "tokenizer section" that `llmc compile` builds from a
// model's tokenizer.json (byte-level BPE as used by GPT-2, Llama-3, SmolLM2, Qwen2; SentencePiece-style BPE with "▁"
// and byte fallback as used by Llama-2, Mistral, Gemma; WordPiece as used by BERT; Unigram as used by XLM-RoBERTa)
// and stores in the blob. Every result matches transformers' AutoTokenizer for the same model directory.
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

/* Encodes UTF-8 text like transformers' tokenizer(text).input_ids (add_special != 0 applies the post-processor
   template; the same as llmc_tokenizer_encode_pair with b = NULL, max_len = 0). Returns the number of ids written to
   *out (malloc'ed, caller frees), or -1 on error (message in err). */
int64_t llmc_tokenizer_encode(const llmc_tokenizer *t, const char *text, uint64_t len, int add_special, int32_t **out,
                              char *err, uint64_t err_size);

/* Encodes one text, or a pair of texts, like transformers' tokenizer(a, b, add_special_tokens=add_special != 0,
   truncation=True, max_length=max_len) with the default longest_first strategy (tokens dropped from the right end of
   the longer sequence, one at a time): the input_ids into *ids and the token_type_ids into *type_ids, both malloc'ed
   arrays of the returned length that the caller frees (pass type_ids = NULL when they are not wanted).
   - b == NULL or blen == 0 encodes the single text a (transformers ignores an empty text_pair too); otherwise b is
     the second text of the pair (query a, document b for a cross-encoder), laid out by the post-processor's pair
     template (e.g. BERT: [CLS] a [SEP] b [SEP] with type ids 0 for the first part and 1 for the second; XLM-R:
     <s> a </s></s> b </s>, all 0). A tokenizer whose post-processor has no pair template fails for pairs (see
     llmc_tokenizer_num_special).
   - max_len <= 0: no truncation. max_len > 0: the result, special tokens included, has at most max_len ids; when
     that is fewer than the special tokens alone the call fails.
   - *truncated (may be NULL) is set to 1 when tokens were dropped to fit max_len, else 0, so the caller can warn.
   Returns the number of ids (>= 0), or -1 on error (message in err: invalid UTF-8, no pair template, max_len too
   small, a character a Unigram model without unk token cannot encode, out of memory). */
int64_t llmc_tokenizer_encode_pair(const llmc_tokenizer *t, const char *a, uint64_t alen, const char *b, uint64_t blen,
                                   int add_special, int64_t max_len, int32_t **ids, int32_t **type_ids,
                                   int *truncated, char *err, uint64_t err_size);

/* Number of special tokens the post-processor adds to a single text (pair == 0) or to a pair (pair != 0), like
   transformers' num_special_tokens_to_add(pair); -1 for pair != 0 when the tokenizer has no pair template. */
int64_t llmc_tokenizer_num_special(const llmc_tokenizer *t, int pair);

/* Id of the token whose text is exactly token[0, len): an added token by its content first (e.g. "[PAD]", "<pad>"),
   else a vocabulary token by its text ("##ing", "▁the"; for byte-level BPE the bytes it stands for: " the", not
   "Ġthe"). -1 when there is none. */
int32_t llmc_tokenizer_token_id(const llmc_tokenizer *t, const char *token, uint64_t len);

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
   whose stop is not 0 trailing characters may reappear, and that transformers' clean_up_tokenization_spaces
   (WordPiece, Unigram) may join a later token to the text before it (" ." becomes "."). */
int64_t llmc_tokenizer_decode_bytes(const llmc_tokenizer *t, const int32_t *ids, uint64_t n, int skip_special,
                                    char **out, char *err, uint64_t err_size);

/* Number of ids the tokenizer knows (highest id + 1), including added tokens. */
int64_t llmc_tokenizer_vocab_size(const llmc_tokenizer *t);

#ifdef __cplusplus
}
#endif
#endif
