// BPE model: the merge table and the merge loop of one word, the same algorithm as Hugging Face tokenizers'
// BPE::merge_word (initial symbols: the word's bytes for byte-level BPE, its characters with byte fallback and unk
// otherwise) and Word::merge_all (lowest rank first, leftmost first among equal ranks, stale queue entries skipped).
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

/// A symbol of the word being merged (doubly linked; removed symbols have id -1).
typedef struct tkz_symbol { int32_t id, prev, next; } tkz_symbol;
/// A candidate merge of the symbol at pos with its right neighbour.
typedef struct tkz_heap_item { uint32_t rank, pos; int32_t merged; } tkz_heap_item;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t pair_key(int32_t left, int32_t right) { return (uint64_t)(uint32_t)left << 32 | (uint32_t)right; }

int tkz_build_merges(llmc_tokenizer *t, const uint32_t *triples, uint32_t n_merges, char *err, size_t err_size) {
    uint64_t cap = 16;
    while (cap < (uint64_t)n_merges * 2) cap *= 2;
    t->merges = malloc(cap * sizeof(tkz_merge_slot));
    if (!t->merges) {
        tkz_error(err, err_size, "out of memory");
        return -1;
    }
    for (uint64_t i = 0; i < cap; i++) t->merges[i].rank = UINT32_MAX;
    t->merge_mask = cap - 1;
    for (uint32_t rank = 0; rank < n_merges; rank++) {
        uint32_t left = triples[3 * rank], right = triples[3 * rank + 1], merged = triples[3 * rank + 2];
        if (left >= t->n_tokens || right >= t->n_tokens || merged >= t->n_tokens) {
            tkz_error(err, err_size, "tokenizer section: merge %u has an id out of range", rank);
            return -1;
        }
        uint64_t key = pair_key((int32_t)left, (int32_t)right);
        uint64_t i = mix64(key) & t->merge_mask;
        while (t->merges[i].rank != UINT32_MAX && t->merges[i].key != key) i = (i + 1) & t->merge_mask;
        t->merges[i] = (tkz_merge_slot){key, rank, (int32_t)merged};
    }
    return 0;
}

static const tkz_merge_slot *find_merge(const llmc_tokenizer *t, int32_t left, int32_t right) {
    uint64_t key = pair_key(left, right);
    for (uint64_t i = mix64(key) & t->merge_mask;; i = (i + 1) & t->merge_mask) {
        const tkz_merge_slot *slot = &t->merges[i];
        if (slot->rank == UINT32_MAX) return NULL;
        if (slot->key == key) return slot;
    }
}

static int heap_less(const tkz_heap_item *a, const tkz_heap_item *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(tkz_heap_item *heap, size_t *len, tkz_heap_item item) {
    size_t i = (*len)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(&item, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = item;
}

static tkz_heap_item heap_pop(tkz_heap_item *heap, size_t *len) {
    tkz_heap_item top = heap[0], last = heap[--*len];
    size_t i = 0, n = *len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && heap_less(&heap[child + 1], &heap[child])) child++;
        if (!heap_less(&heap[child], &last)) break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0) heap[i] = last;
    return top;
}

/// Queues the merge of the symbol at pos with its right neighbour, when the pair has a merge.
static void queue_pair(const llmc_tokenizer *t, const tkz_symbol *symbols, int32_t pos, tkz_heap_item *heap,
                       size_t *heap_len) {
    if (pos < 0 || symbols[pos].next < 0) return;
    int32_t next = symbols[pos].next;
    const tkz_merge_slot *m = find_merge(t, symbols[pos].id, symbols[next].id);
    if (m) heap_push(heap, heap_len, (tkz_heap_item){m->rank, (uint32_t)pos, m->merged});
}

static int reserve_scratch(tkz_bpe_scratch *s, size_t n) {
    if (s->symbols_cap < n) {
        tkz_symbol *symbols = realloc(s->symbols, n * sizeof(tkz_symbol));
        if (!symbols) return -1;
        s->symbols = symbols;
        s->symbols_cap = n;
    }
    size_t heap_n = 3 * n; // n - 1 initial pairs, at most two new pairs per merge
    if (s->heap_cap < heap_n) {
        tkz_heap_item *heap = realloc(s->heap, heap_n * sizeof(tkz_heap_item));
        if (!heap) return -1;
        s->heap = heap;
        s->heap_cap = heap_n;
    }
    return 0;
}

void tkz_bpe_scratch_free(tkz_bpe_scratch *scratch) {
    free(scratch->symbols);
    free(scratch->heap);
    memset(scratch, 0, sizeof(*scratch));
}

/// Appends an initial symbol to the word's list.
static void push_symbol(tkz_symbol *symbols, int32_t *count, int32_t id) {
    symbols[*count] = (tkz_symbol){id, *count - 1, *count + 1};
    ++*count;
}

/// The "<0xNN>" ids of bytes s[0, n) into ids, or 0 when one of them has no such token.
static int fallback_ids(const llmc_tokenizer *t, const uint8_t *s, size_t n, int32_t ids[4]) {
    for (size_t i = 0; i < n; i++)
        if ((ids[i] = t->fallback_id[s[i]]) < 0) return 0;
    return 1;
}

/// BPE of word[0, n) from its initial symbols to the merged ids.
static int merge_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bpe_scratch *scratch,
                      tkz_ids *out) {
    if (reserve_scratch(scratch, n)) return -1; // at most one symbol per byte
    tkz_symbol *symbols = scratch->symbols;
    int32_t count = 0;
    int unk_pending = 0; // an unknown symbol's unk, emitted before the next known symbol (or at the end)
    for (size_t i = 0; i < n;) {
        size_t len = 1;
        if (t->flags & TKZ_CHAR_SYMBOLS) {
            uint32_t cp;
            int k = unicode_utf8_next(word + i, n - i, &cp);
            len = k > 0 ? (size_t)k : 1; // words are valid UTF-8
        }
        int32_t id = len == 1 ? t->byte_to_id[word[i]] : tkz_vocab_lookup(t, word + i, len), bytes[4];
        if (id >= 0) {
            if (unk_pending) push_symbol(symbols, &count, t->unk_id);
            unk_pending = 0;
            push_symbol(symbols, &count, id);
        } else if ((t->flags & TKZ_BYTE_FALLBACK) && fallback_ids(t, word + i, len, bytes)) {
            // Like tokenizers: byte tokens do not end a pending unk, which comes after them.
            for (size_t k = 0; k < len; k++) push_symbol(symbols, &count, bytes[k]);
        } else if (t->unk_id >= 0) {
            // Like tokenizers' merge_word: unk (one for a run of unknown symbols with fuse_unk); dropped without unk.
            if (unk_pending && !(t->flags & TKZ_FUSE_UNK)) push_symbol(symbols, &count, t->unk_id);
            unk_pending = 1;
        }
        i += len;
    }
    if (unk_pending) push_symbol(symbols, &count, t->unk_id);
    if (count == 0) return 0;
    symbols[count - 1].next = -1;

    tkz_heap_item *heap = scratch->heap;
    size_t heap_len = 0;
    for (int32_t i = 0; i + 1 < count; i++) queue_pair(t, symbols, i, heap, &heap_len);
    while (heap_len > 0) {
        tkz_heap_item top = heap_pop(heap, &heap_len);
        tkz_symbol *left = &symbols[top.pos];
        if (left->id < 0 || left->next < 0) continue;
        const tkz_merge_slot *m = find_merge(t, left->id, symbols[left->next].id);
        if (!m || m->merged != top.merged) continue; // stale: the pair changed since it was queued
        int32_t right = left->next;
        left->id = top.merged;
        left->next = symbols[right].next;
        symbols[right].id = -1;
        if (left->next >= 0) symbols[left->next].prev = (int32_t)top.pos;
        queue_pair(t, symbols, left->prev, heap, &heap_len);
        queue_pair(t, symbols, (int32_t)top.pos, heap, &heap_len);
    }
    for (int32_t i = 0; i >= 0; i = symbols[i].next)
        if (tkz_ids_push(out, symbols[i].id)) return -1;
    return 0;
}

int tkz_bpe_word(const llmc_tokenizer *t, const uint8_t *word, size_t n, tkz_bpe_scratch *scratch, tkz_ids *out) {
    if (n == 0) return 0;
    if (t->flags & TKZ_IGNORE_MERGES) {
        int32_t id = tkz_vocab_lookup(t, word, n);
        if (id >= 0) return tkz_ids_push(out, id);
    }
    if (!t->split_at_metaspace) return merge_word(t, word, n, scratch, out);
    // Merge each "▁..." segment alone: the same result (no merge spans a segment start, see split_at_metaspace) in
    // O(segment) memory instead of one queue over a whole unsplit text.
    size_t start = 0;
    for (size_t i = 1; i + 3 <= n; i++) {
        if (memcmp(word + i, TKZ_METASPACE, 3) == 0 && (i < 3 || memcmp(word + i - 3, TKZ_METASPACE, 3) != 0)) {
            if (merge_word(t, word + start, i - start, scratch, out)) return -1;
            start = i;
        }
    }
    return merge_word(t, word + start, n - start, scratch, out);
}
