// Pre-tokenizer: the steps of a tokenizer.json pre_tokenizer (Split on a known pattern or a string, Digits, ByteLevel,
// Metaspace, BertPreTokenizer, WhitespaceSplit), each splitting pieces of text into smaller pieces exactly like Hugging Face tokenizers does.
//
// No regex engine: the three supported split patterns are matched by hand-written functions that reproduce
// Oniguruma's leftmost-first backtracking result for these patterns (like llama.cpp's unicode.cpp):
//   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama-3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|
//            \s+(?!\S)|\s+
//   Qwen2:  the Llama-3 pattern with \p{N} instead of \p{N}{1,3}
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

/// Code points of the piece being split, with their classes and byte offsets (offset[n] = end of the piece).
typedef struct decoded_text {
    uint32_t *cp;
    uint8_t *cls;
    size_t *offset;
    size_t n, cap;
} decoded_text;

/// A split candidate: bytes [start, end) of the arena, a pattern match or the gap between matches.
typedef struct split_entry { size_t start, end; int is_match; } split_entry;

typedef struct pretok_scratch {
    decoded_text text;
    split_entry *entries;
    size_t n_entries, entries_cap;
} pretok_scratch;

static int decode_piece(decoded_text *d, const uint8_t *s, size_t len, size_t base) {
    if (d->cap < len + 1) {
        size_t cap = len + 1;
        uint32_t *cp = realloc(d->cp, cap * sizeof(uint32_t));
        if (cp) d->cp = cp;
        uint8_t *cls = realloc(d->cls, cap);
        if (cls) d->cls = cls;
        size_t *offset = realloc(d->offset, cap * sizeof(size_t));
        if (offset) d->offset = offset;
        if (!cp || !cls || !offset) return -1;
        d->cap = cap;
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = unicode_utf8_next(s + i, len - i, &cp);
        if (k <= 0) return -1; // pieces are valid UTF-8 (the input was validated)
        d->cp[n] = cp;
        d->cls[n] = unicode_class(cp);
        d->offset[n] = base + i;
        n++;
        i += (size_t)k;
    }
    d->offset[n] = base + len;
    d->n = n;
    return 0;
}

static int push_entry(pretok_scratch *s, size_t start, size_t end, int is_match) {
    if (s->n_entries == s->entries_cap) {
        size_t cap = s->entries_cap ? s->entries_cap * 2 : 64;
        split_entry *entries = realloc(s->entries, cap * sizeof(split_entry));
        if (!entries) return -1;
        s->entries = entries;
        s->entries_cap = cap;
    }
    s->entries[s->n_entries++] = (split_entry){start, end, is_match};
    return 0;
}

#define IS_L(i) (cls[i] & UNICODE_LETTER)
#define IS_N(i) (cls[i] & UNICODE_NUMBER)
#define IS_WS(i) (cls[i] & UNICODE_SPACE)
#define IS_OTHER(i) (!(cls[i] & (UNICODE_LETTER | UNICODE_NUMBER | UNICODE_SPACE)))
#define IS_NEWLINE(i) (cp[i] == '\r' || cp[i] == '\n')

/// Length of the contraction ('s 't 're 've 'm 'll 'd) at i, or 0. Case-insensitive as Oniguruma's (?i), where
/// U+017F LATIN SMALL LETTER LONG S folds to s.
static size_t match_contraction(const uint32_t *cp, size_t n, size_t i, int ignore_case) {
    if (cp[i] != '\'' || i + 1 >= n) return 0;
    uint32_t a = cp[i + 1], b = i + 2 < n ? cp[i + 2] : 0;
    if (ignore_case) {
        if (a >= 'A' && a <= 'Z') a += 32;
        if (a == 0x17F) a = 's';
        if (b >= 'A' && b <= 'Z') b += 32;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/// \s+(?!\S)|\s+ at i (cls[i] is whitespace): the run, minus its last character when a non-space follows a run of
/// two or more (that character then prefixes the next word).
static size_t match_space_run(const uint8_t *cls, size_t n, size_t i) {
    size_t j = i;
    while (j < n && IS_WS(j)) j++;
    return (j == n || j - i == 1) ? j - i : j - i - 1;
}

/// Character classes of the ` ?<class>+` alternatives of the GPT-2 pattern.
enum { RUN_LETTER, RUN_NUMBER, RUN_OTHER };
static int in_run(const uint8_t *cls, size_t i, int kind) {
    switch (kind) {
    case RUN_LETTER: return IS_L(i) != 0;
    case RUN_NUMBER: return IS_N(i) != 0;
    default: return IS_OTHER(i);
    }
}

/// ` ?<class>+` at i: an optional space, then one or more characters of the class; 0 when there is none.
static size_t match_space_prefixed_run(const uint32_t *cp, const uint8_t *cls, size_t n, size_t i, int kind) {
    size_t j = i;
    if (cp[j] == ' ' && j + 1 < n && in_run(cls, j + 1, kind)) j++;
    if (!in_run(cls, j, kind)) return 0;
    while (j < n && in_run(cls, j, kind)) j++;
    return j - i;
}

static size_t match_gpt2(const uint32_t *cp, const uint8_t *cls, size_t n, size_t i) {
    size_t len = match_contraction(cp, n, i, 0);
    if (!len) len = match_space_prefixed_run(cp, cls, n, i, RUN_LETTER);
    if (!len) len = match_space_prefixed_run(cp, cls, n, i, RUN_NUMBER);
    if (!len) len = match_space_prefixed_run(cp, cls, n, i, RUN_OTHER);
    if (!len && IS_WS(i)) len = match_space_run(cls, n, i);
    return len;
}

/// The Llama-3 pattern; max_digits is 3 for Llama-3 and 1 for Qwen2.
static size_t match_llama3(const uint32_t *cp, const uint8_t *cls, size_t n, size_t i, size_t max_digits) {
    size_t len = match_contraction(cp, n, i, 1);
    if (len) return len;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    size_t j = i;
    if (!IS_NEWLINE(i) && !IS_L(i) && !IS_N(i) && i + 1 < n && IS_L(i + 1)) j++;
    if (IS_L(j)) {
        while (j < n && IS_L(j)) j++;
        return j - i;
    }
    // \p{N}{1,max}
    if (IS_N(i)) {
        j = i;
        while (j < n && j - i < max_digits && IS_N(j)) j++;
        return j - i;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    len = match_space_prefixed_run(cp, cls, n, i, RUN_OTHER);
    if (len) {
        j = i + len;
        while (j < n && IS_NEWLINE(j)) j++;
        return j - i;
    }
    if (!IS_WS(i)) return 0;
    // \s*[\r\n]+ : up to and including the last newline of the whitespace run
    size_t end = i, last_newline = SIZE_MAX;
    while (end < n && IS_WS(end)) {
        if (IS_NEWLINE(end)) last_newline = end;
        end++;
    }
    if (last_newline != SIZE_MAX) return last_newline + 1 - i;
    return match_space_run(cls, n, i);
}

/// Records the matches of pattern (or, for pattern 0, of Rust's char::is_numeric) in the decoded piece as split entries
/// covering the whole piece.
static int find_matches(pretok_scratch *s, uint32_t pattern) {
    const decoded_text *d = &s->text;
    size_t gap_start = 0;
    s->n_entries = 0;
    for (size_t i = 0; i < d->n;) {
        size_t len;
        switch (pattern) {
        case TKZ_PATTERN_GPT2: len = match_gpt2(d->cp, d->cls, d->n, i); break;
        case TKZ_PATTERN_LLAMA3: len = match_llama3(d->cp, d->cls, d->n, i, 3); break;
        case TKZ_PATTERN_QWEN2: len = match_llama3(d->cp, d->cls, d->n, i, 1); break;
        default: len = (d->cls[i] & UNICODE_NUMERIC) ? 1 : 0; break;
        }
        if (len == 0) {
            i++;
            continue;
        }
        if (gap_start < i && push_entry(s, d->offset[gap_start], d->offset[i], 0)) return -1;
        if (push_entry(s, d->offset[i], d->offset[i + len], 1)) return -1;
        i += len;
        gap_start = i;
    }
    if (gap_start < d->n && push_entry(s, d->offset[gap_start], d->offset[d->n], 0)) return -1;
    return 0;
}

/// Turns the split entries into pieces according to the behavior (tokenizers' SplitDelimiterBehavior), dropping
/// empty pieces.
static int emit_split(pretok_scratch *s, uint32_t behavior, int invert, tkz_spans *out) {
    split_entry *e = s->entries;
    size_t n = s->n_entries, kept = 0;
    if (invert)
        for (size_t i = 0; i < n; i++) e[i].is_match = !e[i].is_match;
    int previous_match = 0;
    switch (behavior) {
    case TKZ_SPLIT_REMOVED:
        for (size_t i = 0; i < n; i++)
            if (!e[i].is_match) e[kept++] = e[i];
        break;
    case TKZ_SPLIT_ISOLATED:
        kept = n;
        break;
    case TKZ_SPLIT_MERGED_WITH_PREVIOUS:
        for (size_t i = 0; i < n; i++) {
            int is_match = e[i].is_match;
            if (is_match && !previous_match && kept > 0) e[kept - 1].end = e[i].end;
            else e[kept++] = e[i];
            previous_match = is_match;
        }
        break;
    case TKZ_SPLIT_MERGED_WITH_NEXT: // the same from the right, kept entries are packed at the end
        kept = n;
        for (size_t i = n; i-- > 0;) {
            int is_match = e[i].is_match;
            if (is_match && !previous_match && kept < n) e[kept].start = e[i].start;
            else e[--kept] = e[i];
            previous_match = is_match;
        }
        e += kept;
        kept = n - kept;
        break;
    default: // TKZ_SPLIT_CONTIGUOUS
        for (size_t i = 0; i < n; i++) {
            int is_match = e[i].is_match;
            if (is_match == previous_match && kept > 0) e[kept - 1].end = e[i].end;
            else e[kept++] = e[i];
            previous_match = is_match;
        }
        break;
    }
    for (size_t i = 0; i < kept; i++)
        if (e[i].end > e[i].start && tkz_spans_push(out, e[i].start, e[i].end - e[i].start)) return -1;
    return 0;
}

/// Splits arena[piece] with a pattern (0 = the digit predicate) and behavior, appending the pieces to out.
static int split_piece(pretok_scratch *s, const tkz_bytes *arena, tkz_span piece, uint32_t pattern,
                       uint32_t behavior, int invert, tkz_spans *out) {
    if (decode_piece(&s->text, arena->data + piece.start, piece.len, piece.start) || find_matches(s, pattern))
        return -1;
    return emit_split(s, behavior, invert, out);
}

/// Splits arena[piece] on each occurrence of a string (valid UTF-8 matches only at character boundaries, so bytes are
/// compared directly).
static int split_on_string(pretok_scratch *s, const tkz_bytes *arena, tkz_span piece, tkz_str needle,
                           uint32_t behavior, int invert, tkz_spans *out) {
    const uint8_t *text = arena->data + piece.start;
    size_t gap_start = 0;
    s->n_entries = 0;
    for (size_t at = needle.len ? tkz_find(text, piece.len, 0, needle) : SIZE_MAX; at != SIZE_MAX;
         at = tkz_find(text, piece.len, at + needle.len, needle)) {
        if ((gap_start < at && push_entry(s, piece.start + gap_start, piece.start + at, 0)) ||
            push_entry(s, piece.start + at, piece.start + at + needle.len, 1))
            return -1;
        gap_start = at + needle.len;
    }
    if (gap_start < piece.len && push_entry(s, piece.start + gap_start, piece.start + piece.len, 0)) return -1;
    return emit_split(s, behavior, invert, out);
}

/// Metaspace: spaces become the replacement, which is prepended (unless the piece starts with it) with the always
/// scheme, or with first when the piece begins the text; then, with split, a cut before every replacement.
static int metaspace(const tkz_step *step, pretok_scratch *s, tkz_bytes *arena, tkz_span piece, int is_first,
                     size_t *first_start, tkz_spans *out) {
    tkz_str replacement = step->str[0];
    if (tkz_replace(arena, &piece, (tkz_str){(const uint8_t *)" ", 1}, replacement)) return -1;
    int starts_with = piece.len >= replacement.len &&
                      memcmp(arena->data + piece.start, replacement.data, replacement.len) == 0;
    uint32_t scheme = step->arg[2];
    if (!starts_with && (scheme == TKZ_PREPEND_ALWAYS || (scheme == TKZ_PREPEND_FIRST && is_first))) {
        size_t start = arena->len;
        if (tkz_bytes_append(arena, replacement.data, replacement.len) ||
            tkz_bytes_append(arena, arena->data + piece.start, piece.len))
            return -1;
        piece = (tkz_span){start, arena->len - start};
    }
    if (is_first) *first_start = piece.start;
    if (step->arg[3]) return split_on_string(s, arena, piece, replacement, TKZ_SPLIT_MERGED_WITH_NEXT, 0, out);
    return tkz_spans_push(out, piece.start, piece.len);
}

/// BertPreTokenizer (bert != 0: whitespace dropped, each punctuation character isolated) or WhitespaceSplit (bert ==
/// 0: whitespace dropped), on the characters' BERT flags.
static int split_whitespace(const tkz_bytes *arena, tkz_span piece, int bert, tkz_spans *out) {
    const uint8_t *s = arena->data + piece.start;
    size_t word = 0;
    for (size_t i = 0; i < piece.len;) {
        uint32_t cp;
        int k = unicode_utf8_next(s + i, piece.len - i, &cp);
        if (k <= 0) return -1; // pieces are valid UTF-8
        uint8_t flags = unicode_bert_class(cp);
        int space = (flags & UNICODE_BERT_WHITESPACE) != 0, punct = bert && (flags & UNICODE_BERT_PUNCTUATION);
        if (space || punct) {
            if (i > word && tkz_spans_push(out, piece.start + word, i - word)) return -1;
            if (punct && tkz_spans_push(out, piece.start + i, (size_t)k)) return -1;
            word = i + (size_t)k;
        }
        i += (size_t)k;
    }
    if (piece.len > word && tkz_spans_push(out, piece.start + word, piece.len - word)) return -1;
    return 0;
}

/// Applies one step to a piece; *first_start is the arena offset of the piece that begins the text (SIZE_MAX when
/// none does), moved along when a step rewrites that piece.
static int apply_step(const tkz_step *step, pretok_scratch *s, tkz_bytes *arena, tkz_span piece,
                      size_t *first_start, tkz_spans *out) {
    int is_first = piece.start == *first_start;
    switch (step->kind) {
    case TKZ_STEP_SPLIT:
        return split_piece(s, arena, piece, step->arg[0], step->arg[1], (int)step->arg[2], out);
    case TKZ_STEP_SPLIT_STRING:
        return split_on_string(s, arena, piece, step->str[0], step->arg[2], (int)step->arg[3], out);
    case TKZ_STEP_DIGITS:
        return split_piece(s, arena, piece, 0, step->arg[0] ? TKZ_SPLIT_ISOLATED : TKZ_SPLIT_CONTIGUOUS, 0, out);
    case TKZ_STEP_METASPACE:
        return metaspace(step, s, arena, piece, is_first, first_start, out);
    case TKZ_STEP_BERT: case TKZ_STEP_WHITESPACE_SPLIT:
        return split_whitespace(arena, piece, step->kind == TKZ_STEP_BERT, out);
    default: // TKZ_STEP_BYTE_LEVEL
        if (step->arg[0] && arena->data[piece.start] != ' ') {
            size_t start = arena->len;
            const uint8_t space = ' ';
            if (tkz_bytes_append(arena, &space, 1) || tkz_bytes_append(arena, arena->data + piece.start, piece.len))
                return -1;
            piece = (tkz_span){start, piece.len + 1};
            if (is_first) *first_start = start;
        }
        if (step->arg[1]) return split_piece(s, arena, piece, TKZ_PATTERN_GPT2, TKZ_SPLIT_ISOLATED, 0, out);
        return tkz_spans_push(out, piece.start, piece.len);
    }
}

int tkz_pretokenize(const llmc_tokenizer *t, tkz_bytes *arena, tkz_span piece, int at_start, tkz_spans *words) {
    if (piece.len == 0) return 0;
    pretok_scratch s = {0};
    tkz_spans a = {0}, b = {0};
    size_t first_start = at_start ? piece.start : SIZE_MAX;
    int rc = tkz_spans_push(&a, piece.start, piece.len);
    for (uint32_t k = 0; k < t->pretokenizers.count && rc == 0; k++) {
        b.len = 0;
        for (size_t i = 0; i < a.len && rc == 0; i++)
            rc = apply_step(&t->pretokenizers.steps[k], &s, arena, a.data[i], &first_start, &b);
        tkz_spans swap = a;
        a = b;
        b = swap;
    }
    for (size_t i = 0; i < a.len && rc == 0; i++) rc = tkz_spans_push(words, a.data[i].start, a.data[i].len);
    free(a.data);
    free(b.data);
    free(s.text.cp);
    free(s.text.cls);
    free(s.text.offset);
    free(s.entries);
    return rc;
}
