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
