// UTF-8 decoding, character classes and NFC normalization (UAX #15; data in unicode_tables.c).
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

#include "unicode_tables.h"

enum {
    HANGUL_S_BASE = 0xAC00, HANGUL_L_BASE = 0x1100, HANGUL_V_BASE = 0x1161, HANGUL_T_BASE = 0x11A7,
    HANGUL_L_COUNT = 19, HANGUL_V_COUNT = 21, HANGUL_T_COUNT = 28,
    HANGUL_N_COUNT = HANGUL_V_COUNT * HANGUL_T_COUNT, HANGUL_S_COUNT = HANGUL_L_COUNT * HANGUL_N_COUNT,
};

/// Index of the last run whose start is <= cp (runs start at code point 0).
static uint32_t run_index(const uint32_t *starts, uint32_t count, uint32_t cp) {
    uint32_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (starts[mid] <= cp) lo = mid; else hi = mid;
    }
    return lo;
}

uint8_t unicode_class(uint32_t cp) {
    if (cp < 128) return unicode_ascii_flags[cp];
    if (cp > 0x10FFFF) return 0;
    return unicode_class_run_flags[run_index(unicode_class_run_start, unicode_class_run_count, cp)];
}

static uint8_t combining_class(uint32_t cp) {
    if (cp < 0x300) return 0;
    return unicode_ccc_run_value[run_index(unicode_ccc_run_start, unicode_ccc_run_count, cp)];
}

int unicode_utf8_next(const uint8_t *s, size_t len, uint32_t *cp) {
    uint8_t b = s[0];
    if (b < 0x80) { *cp = b; return 1; }
    int need;
    uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
    uint32_t value;
    if (b >= 0xC2 && b <= 0xDF) { need = 1; value = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) {
        need = 2; value = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3; value = b & 0x07;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else return -1;
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= len) return -i;
        uint8_t c = s[i];
        if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return -i;
        value = (value << 6) | (c & 0x3F);
    }
    *cp = value;
    return need + 1;
}

int unicode_utf8_encode(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6)); out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12)); out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18)); out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/// Full canonical decomposition of cp from the table: sets *seq and returns its length, or 0 when cp has none.
static uint32_t table_decomposition(uint32_t cp, const uint32_t **seq) {
    uint32_t lo = 0, hi = unicode_decomp_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (unicode_decomp_cp[mid] < cp) lo = mid + 1; else hi = mid;
    }
    if (lo == unicode_decomp_count || unicode_decomp_cp[lo] != cp) return 0;
    *seq = unicode_decomp_pool + unicode_decomp_offset[lo];
    return unicode_decomp_length[lo];
}

/// Primary composite of (a, b), or 0 when they do not compose.
static uint32_t compose_pair(uint32_t a, uint32_t b) {
    if (a >= HANGUL_L_BASE && a < HANGUL_L_BASE + HANGUL_L_COUNT && b >= HANGUL_V_BASE &&
        b < HANGUL_V_BASE + HANGUL_V_COUNT)
        return HANGUL_S_BASE + ((a - HANGUL_L_BASE) * HANGUL_V_COUNT + (b - HANGUL_V_BASE)) * HANGUL_T_COUNT;
    if (a >= HANGUL_S_BASE && a < HANGUL_S_BASE + HANGUL_S_COUNT && (a - HANGUL_S_BASE) % HANGUL_T_COUNT == 0 &&
        b > HANGUL_T_BASE && b < HANGUL_T_BASE + HANGUL_T_COUNT)
        return a + (b - HANGUL_T_BASE);
    uint64_t key = ((uint64_t)a << 21) | b;
    uint32_t lo = 0, hi = unicode_comp_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (unicode_comp_key[mid] < key) lo = mid + 1; else hi = mid;
    }
    return (lo < unicode_comp_count && unicode_comp_key[lo] == key) ? unicode_comp_value[lo] : 0;
}

typedef unicode_cps cp_array;

int unicode_cps_push(cp_array *a, uint32_t cp) {
    if (a->len == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        uint32_t *data = realloc(a->data, cap * sizeof(uint32_t));
        if (!data) return -1;
        a->data = data;
        a->cap = cap;
    }
    a->data[a->len++] = cp;
    return 0;
}

/// Appends the full canonical decomposition of cp.
static int decompose(cp_array *a, uint32_t cp) {
    if (cp >= HANGUL_S_BASE && cp < HANGUL_S_BASE + HANGUL_S_COUNT) {
        uint32_t s = cp - HANGUL_S_BASE, t = s % HANGUL_T_COUNT;
        if (unicode_cps_push(a, HANGUL_L_BASE + s / HANGUL_N_COUNT) ||
            unicode_cps_push(a, HANGUL_V_BASE + (s % HANGUL_N_COUNT) / HANGUL_T_COUNT))
            return -1;
        return t ? unicode_cps_push(a, HANGUL_T_BASE + t) : 0;
    }
    const uint32_t *seq;
    uint32_t n = table_decomposition(cp, &seq);
    if (n == 0) return unicode_cps_push(a, cp);
    for (uint32_t i = 0; i < n; i++)
        if (unicode_cps_push(a, seq[i])) return -1;
    return 0;
}

/// Canonical ordering: stable sort of each run of non-starters by combining class.
static void reorder(cp_array *a) {
    for (size_t i = 1; i < a->len; i++) {
        uint32_t cp = a->data[i];
        uint8_t cc = combining_class(cp);
        if (cc == 0) continue;
        size_t j = i;
        while (j > 0) {
            uint8_t prev = combining_class(a->data[j - 1]);
            if (prev <= cc) break; // stops at starters (class 0) too
            a->data[j] = a->data[j - 1];
            j--;
        }
        a->data[j] = cp;
    }
}

/// Canonical composition in place (UAX #15): a character composes with the last starter unless blocked.
static void compose(cp_array *a) {
    if (a->len == 0) return;
    size_t starter = 0, out = 1;
    int last_class = combining_class(a->data[0]) ? 256 : 0; // a leading non-starter blocks composition
    for (size_t i = 1; i < a->len; i++) {
        uint32_t cp = a->data[i];
        int cc = combining_class(cp);
        if (last_class < cc || last_class == 0) {
            uint32_t composite = compose_pair(a->data[starter], cp);
            if (composite) {
                a->data[starter] = composite;
                continue;
            }
        }
        if (cc == 0) starter = out;
        last_class = cc;
        a->data[out++] = cp;
    }
    a->len = out;
}

int unicode_nfc(const uint8_t *s, size_t len, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    size_t i = 0;
    while (i < len && s[i] < 0x80) i++;
    int any = 0;
    for (size_t k = i; k < len && !any;) {
        uint32_t cp;
        int n = unicode_utf8_next(s + k, len - k, &cp);
        if (n <= 0) return -1; // callers pass valid UTF-8
        any = (unicode_class(cp) & UNICODE_NFC_CHECK) != 0;
        k += (size_t)n;
    }
    if (!any) return 0;

    cp_array a = {0};
    for (size_t k = 0; k < len;) {
        uint32_t cp;
        int n = unicode_utf8_next(s + k, len - k, &cp);
        if (n <= 0 || decompose(&a, cp)) { free(a.data); return -1; }
        k += (size_t)n;
    }
    reorder(&a);
    compose(&a);
    uint8_t *buf = malloc(a.len * 4 + 1);
    if (!buf) { free(a.data); return -1; }
    size_t n = 0;
    for (size_t k = 0; k < a.len; k++) n += (size_t)unicode_utf8_encode(a.data[k], buf + n);
    free(a.data);
    *out = buf;
    *out_len = n;
    return 0;
}

uint8_t unicode_bert_class(uint32_t cp) {
    if (cp < 128) return unicode_bert_ascii_flags[cp];
    if (cp > 0x10FFFF) return 0;
    return unicode_bert_run_flags[run_index(unicode_bert_run_start, unicode_bert_run_count, cp)];
}

int unicode_lowercase(uint32_t cp, uint32_t out[3]) {
    if (cp < 0x80) { // ASCII: only A-Z change
        out[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return 1;
    }
    uint32_t lo = 0, hi = unicode_lower_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (unicode_lower_cp[mid] < cp) lo = mid + 1; else hi = mid;
    }
    if (lo == unicode_lower_count || unicode_lower_cp[lo] != cp) {
        out[0] = cp;
        return 1;
    }
    const uint32_t *seq = unicode_lower_pool + unicode_lower_offset[lo];
    for (uint32_t i = 0; i < unicode_lower_length[lo]; i++) out[i] = seq[i];
    return unicode_lower_length[lo];
}

int unicode_nfd_cps(unicode_cps *a) {
    unicode_cps out = {0};
    for (size_t i = 0; i < a->len; i++)
        if (decompose(&out, a->data[i])) {
            free(out.data);
            return -1;
        }
    reorder(&out);
    free(a->data);
    *a = out;
    return 0;
}
