// Unicode support for the runtime tokenizer: UTF-8 decoding with the standard error recovery, character classes
// used by the pre-tokenizer patterns, and NFC normalization. Tables: unicode_tables.c (generated).
#ifndef LLMC_UNICODE_H
#define LLMC_UNICODE_H
#include <stddef.h>
#include <stdint.h>

/// Character class flags of a code point (see unicode_class).
enum {
    UNICODE_LETTER = 1,    ///< \p{L}
    UNICODE_NUMBER = 2,    ///< \p{N} of Oniguruma (Unicode 16)
    UNICODE_SPACE = 4,     ///< White_Space: \s of Oniguruma and of Rust regex, Rust's char::is_whitespace
    UNICODE_WORD = 8,      ///< \w of Rust regex (Alphabetic, Mark, Nd, Pc, Join_Control)
    UNICODE_NFC_CHECK = 16, ///< NFC_Quick_Check != Yes or non-zero combining class: text with it may change under NFC
    UNICODE_NUMERIC = 32   ///< Rust's char::is_numeric (Unicode 17): the Digits pre-tokenizer
};

/// Flags of a code point for BERT's normalizer and pre-tokenizer (see unicode_bert_class), read off Hugging Face
/// tokenizers by scripts/gen_unicode_bert_tables.py.
enum {
    UNICODE_BERT_REMOVED = 1,         ///< dropped by BertNormalizer's clean_text (control, format, unassigned, ...)
    UNICODE_BERT_SPACE = 2,           ///< turned into " " by clean_text
    UNICODE_BERT_CHINESE = 4,         ///< surrounded by spaces by handle_chinese_chars
    UNICODE_BERT_NONSPACING_MARK = 8, ///< dropped by strip_accents (after NFD)
    UNICODE_BERT_PUNCTUATION = 16,    ///< isolated by BertPreTokenizer
    UNICODE_BERT_WHITESPACE = 32      ///< split on and dropped by BertPreTokenizer and WhitespaceSplit
};

/// Growable array of code points.
typedef struct unicode_cps { uint32_t *data; size_t len, cap; } unicode_cps;

/// Appends cp. Returns 0, or -1 when out of memory.
int unicode_cps_push(unicode_cps *a, uint32_t cp);

/// BERT flags of code point cp.
uint8_t unicode_bert_class(uint32_t cp);

/// Lowercase of cp like Rust's char::to_lowercase: writes one to three code points to out and returns their count.
int unicode_lowercase(uint32_t cp, uint32_t out[3]);

/// Canonical decomposition (NFD, Unicode 9.0 like tokenizers) of the code points in a: decomposed and reordered in
/// place. Returns 0, or -1 when out of memory.
int unicode_nfd_cps(unicode_cps *a);

/// End (byte offset) of the extended grapheme cluster (UAX #29, with the Indic conjunct and emoji ZWJ rules) that
/// starts at s[start] in the valid UTF-8 string s[0, len).
size_t unicode_grapheme_end(const uint8_t *s, size_t len, size_t start);

/// Class flags of code point cp (0 for unassigned code points and cp > 0x10FFFF).
uint8_t unicode_class(uint32_t cp);

/// Decodes one UTF-8 sequence at s[0..len) (len > 0). Returns its length (1-4) and sets *cp, or returns
/// -k when the first k bytes (k >= 1) form a maximal invalid subsequence (the unit replaced by one U+FFFD).
int unicode_utf8_next(const uint8_t *s, size_t len, uint32_t *cp);

/// Encodes cp (a Unicode scalar value) as UTF-8 into out; returns the byte count (1-4).
int unicode_utf8_encode(uint32_t cp, uint8_t out[4]);

/// NFC of the valid UTF-8 string s[0..len). Returns a malloc'ed buffer with the result in *out and its length in
/// *out_len, or *out = NULL when s is already in NFC (the common case, detected without allocating).
/// Returns 0, or -1 when out of memory.
int unicode_nfc(const uint8_t *s, size_t len, uint8_t **out, size_t *out_len);

#endif
