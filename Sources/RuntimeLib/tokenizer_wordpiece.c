// WordPiece model (BERT), the same algorithm as Hugging Face tokenizers' WordPiece::tokenize: a word of more than
// max_input_chars_per_word characters is the unk token; otherwise, from the start of the word, the longest piece in the
// vocabulary (written with continuing_subword_prefix after the first piece) is taken, repeatedly; when no piece fits
// at some position the whole word is the unk token.
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

/// Start of the character that ends at s[end] (end > 0).
static size_t previous_char(const uint8_t *s, size_t end) {
    size_t i = end - 1;
    while (i > 0 && (s[i] & 0xC0) == 0x80) i--;
    return i;
}

int tkz_wordpiece_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bytes *scratch, tkz_ids *out) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += (word[i] & 0xC0) != 0x80;
    if (chars > t->max_input_chars) return tkz_ids_push(out, t->unk_id);
    size_t first = out->len;
    for (size_t start = 0; start < n;) {
        // candidate = prefix (after the first piece) + word[start, end)
        scratch->len = 0;
        if (start > 0 && tkz_bytes_append(scratch, t->subword_prefix.data, t->subword_prefix.len)) return -1;
        size_t prefix = scratch->len;
        if (tkz_bytes_append(scratch, word + start, n - start)) return -1;
        int32_t id = -1;
        size_t end = n;
        while (end > start) {
            id = tkz_vocab_lookup(t, scratch->data, prefix + (end - start));
            if (id >= 0) break;
            end = previous_char(word, end);
        }
        if (id < 0) {
            out->len = first; // the pieces found so far are dropped: the word is unk
            return tkz_ids_push(out, t->unk_id);
        }
        if (tkz_ids_push(out, id)) return -1;
        start = end;
    }
    return 0;
}
