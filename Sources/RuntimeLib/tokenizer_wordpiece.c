// WordPiece model (BERT), the same result as Hugging Face tokenizers' WordPiece::tokenize: a word of more than
// max_input_chars_per_word characters is the unk token; otherwise, from the start of the word, the longest piece in the
// vocabulary (written with continuing_subword_prefix after the first piece) is taken, repeatedly; when no piece fits
// at some position the whole word is the unk token.
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

static size_t utf8_length(uint8_t lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

int tkz_wordpiece_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bytes *scratch, tkz_ids *out) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += (word[i] & 0xC0) != 0x80;
    if (chars > t->max_input_chars) return tkz_ids_push(out, t->unk_id);
    size_t first = out->len;
    for (size_t start = 0; start < n;) {
        // candidate = prefix (after the first piece) + word[start, end), grown a character at a time while some
        // token starts with it; the longest one in the vocabulary wins (what trying every end from the longest
        // down finds).
        scratch->len = 0;
        if (start > 0 && tkz_bytes_append(scratch, t->subword_prefix.data, t->subword_prefix.len)) return -1;
        size_t prefix = scratch->len;
        if (tkz_bytes_append(scratch, word + start, n - start)) return -1;
        uint64_t h = TKZ_FNV_INIT;
        for (size_t i = 0; i < prefix; i++) h = tkz_fnv_step(h, scratch->data[i]);
        int32_t id = -1;
        size_t id_end = start;
        for (size_t end = start; end < n;) {
            size_t next = end + utf8_length(word[end]);
            for (size_t i = end; i < next; i++) h = tkz_fnv_step(h, word[i]);
            uint64_t hash = tkz_hash_finish(h);
            int32_t found = tkz_vocab_lookup_hashed(t, scratch->data, prefix + (next - start), hash);
            if (found >= 0) {
                id = found;
                id_end = next;
            }
            end = next;
            if (!tkz_may_extend(t, hash)) break;
        }
        if (id < 0) {
            out->len = first; // the pieces found so far are dropped: the word is unk
            return tkz_ids_push(out, t->unk_id);
        }
        if (tkz_ids_push(out, id)) return -1;
        start = id_end;
    }
    return 0;
}
