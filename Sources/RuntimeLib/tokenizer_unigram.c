// Unigram model (SentencePiece Unigram, XLM-RoBERTa), the same algorithm as Hugging Face tokenizers'
// Unigram::encode_optimized + tokenize: Viterbi over the word's characters, where an edge is a vocabulary piece
// starting at a character (score: its log probability) and a character that starts no one-character piece gets an
// unk edge (score: the lowest piece score - 10); ties keep the first edge found (pieces in order of length). Walking
// back from the end, adjacent unk edges fuse into one string; every string is then looked up (a fused run that is not
// a piece becomes its "<0xNN>" byte tokens with byte fallback, else the unk token).
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

/// tokenizers' K_UNK_PENALTY.
#define UNK_PENALTY 10.0

/// The best path ending at a byte position.
typedef struct tkz_lattice_node {
    double score;
    int64_t start; ///< start of the last edge, -1: not reached
    int32_t id;
} tkz_lattice_node;

static int reserve(tkz_unigram_scratch *s, size_t n) {
    if (s->cap >= n) return 0;
    tkz_lattice_node *nodes = realloc(s->nodes, n * sizeof(tkz_lattice_node));
    size_t *ends = realloc(s->ends, n * sizeof(size_t));
    if (nodes) s->nodes = nodes;
    if (ends) s->ends = ends;
    if (!nodes || !ends) return -1;
    s->cap = n;
    return 0;
}

void tkz_unigram_scratch_free(tkz_unigram_scratch *scratch) {
    free(scratch->nodes);
    free(scratch->ends);
    memset(scratch, 0, sizeof(*scratch));
}

static int utf8_length(uint8_t lead) {
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/// Appends the ids of one string of the best path: its piece, else its byte tokens, else unk.
static int emit(const llmc_tokenizer *t, const uint8_t *s, size_t n, tkz_ids *out) {
    int32_t id = tkz_vocab_lookup(t, s, n);
    if (id >= 0) return tkz_ids_push(out, id);
    if (t->flags & TKZ_BYTE_FALLBACK) {
        size_t k = 0;
        while (k < n && t->fallback_id[s[k]] >= 0) k++;
        if (k == n) {
            for (k = 0; k < n; k++)
                if (tkz_ids_push(out, t->fallback_id[s[k]])) return -1;
            return 0;
        }
    }
    return t->unk_id < 0 ? TKZ_ERR_NO_UNK : tkz_ids_push(out, t->unk_id);
}

int tkz_unigram_word(const llmc_tokenizer *t, const uint8_t *s, size_t n, tkz_unigram_scratch *scratch,
                     tkz_ids *out) {
    if (n == 0) return 0;
    if (reserve(scratch, n + 1)) return -1;
    tkz_lattice_node *node = scratch->nodes;
    for (size_t i = 0; i <= n; i++) node[i] = (tkz_lattice_node){0.0, -1, 0};
    double unk_score = t->min_score - UNK_PENALTY;
    for (size_t pos = 0; pos < n;) {
        size_t mblen = (size_t)utf8_length(s[pos]);
        double base = node[pos].score;
        int has_single = 0;
        // Pieces end at character boundaries; the hash grows with the candidate, which stops growing when no piece
        // starts with it.
        uint64_t h = TKZ_FNV_INIT;
        for (size_t i = pos; i < pos + mblen; i++) h = tkz_fnv_step(h, s[i]);
        for (size_t end = pos + mblen; end - pos <= t->max_piece_bytes;) {
            uint64_t hash = tkz_hash_finish(h);
            int32_t id = tkz_vocab_lookup_hashed(t, s + pos, end - pos, hash);
            if (id >= 0) {
                double candidate = t->scores[id] + base;
                if (node[end].start < 0 || candidate > node[end].score)
                    node[end] = (tkz_lattice_node){candidate, (int64_t)pos, id};
                has_single |= end - pos == mblen;
            }
            if (end >= n || !tkz_may_extend(t, hash)) break;
            size_t next = end + (size_t)utf8_length(s[end]);
            for (size_t i = end; i < next; i++) h = tkz_fnv_step(h, s[i]);
            end = next;
        }
        if (!has_single) {
            double candidate = unk_score + base;
            if (node[pos + mblen].start < 0 || candidate > node[pos + mblen].score) {
                if (t->unk_id < 0) return TKZ_ERR_NO_UNK;
                node[pos + mblen] = (tkz_lattice_node){candidate, (int64_t)pos, t->unk_id};
            }
        }
        pos += mblen;
    }
    // Walk back to collect the edges' ends, then emit forward, fusing adjacent unk edges.
    size_t *ends = scratch->ends, count = 0;
    for (size_t end = n; end > 0; end = (size_t)node[end].start) ends[count++] = end;
    size_t start = 0;
    for (size_t k = count; k-- > 0;) {
        size_t end = ends[k];
        int is_unk = node[end].id == t->unk_id;
        int next_is_unk = k > 0 && node[ends[k - 1]].id == t->unk_id;
        if (is_unk && next_is_unk) continue; // the run goes on: emitted at its last edge
        int rc = emit(t, s + start, end - start, out);
        if (rc) return rc;
        start = end;
    }
    return 0;
}
