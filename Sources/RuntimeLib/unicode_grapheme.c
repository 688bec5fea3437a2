// Extended grapheme cluster boundaries (UAX #29 rules GB3-GB13, including GB9c for Indic conjuncts), as the Rust crate
// unicode-segmentation finds them for Hugging Face tokenizers' Precompiled normalizer. Properties in
// unicode_grapheme_tables.c.
#include "unicode.h"
#include "unicode_tables.h"

/// Grapheme_Cluster_Break values (the table's low four bits; see scripts/gen_unicode_grapheme_tables.py).
enum { GCB_OTHER, GCB_CR, GCB_LF, GCB_CONTROL, GCB_EXTEND, GCB_ZWJ, GCB_RI, GCB_PREPEND, GCB_SPACING_MARK, GCB_L, GCB_V,
       GCB_T, GCB_LV, GCB_LVT };
enum { EXT_PICT = 16 };
/// Indic_Conjunct_Break values (bits 5-6).
enum { INCB_NONE, INCB_LINKER, INCB_CONSONANT, INCB_EXTEND };

static uint8_t grapheme_value(uint32_t cp) {
    uint32_t lo = 0, hi = unicode_grapheme_run_count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (unicode_grapheme_run_start[mid] <= cp) lo = mid; else hi = mid;
    }
    return unicode_grapheme_run_value[lo];
}

static int is_control(int gcb) { return gcb == GCB_CR || gcb == GCB_LF || gcb == GCB_CONTROL; }

size_t unicode_grapheme_end(const uint8_t *s, size_t len, size_t start) {
    uint32_t cp;
    int k = unicode_utf8_next(s + start, len - start, &cp);
    size_t i = start + (size_t)(k > 0 ? k : 1);
    uint8_t value = grapheme_value(cp);
    int prev = value & 15;
    // State of the text so far: regional indicators in a row, ExtPict Extend* (1) then ZWJ (2), InCB consonant
    // followed by Extend/Linker (1) with at least one Linker (2).
    int ri = prev == GCB_RI, emoji = (value & EXT_PICT) ? 1 : 0, conjunct = (value >> 5) == INCB_CONSONANT;
    while (i < len) {
        k = unicode_utf8_next(s + i, len - i, &cp);
        if (k <= 0) break; // valid UTF-8 expected
        value = grapheme_value(cp);
        int cur = value & 15, incb = value >> 5, pict = (value & EXT_PICT) != 0;
        int join;
        if (prev == GCB_CR && cur == GCB_LF) join = 1;                                  // GB3
        else if (is_control(prev) || is_control(cur)) join = 0;                         // GB4, GB5
        else if (prev == GCB_L && (cur == GCB_L || cur == GCB_V || cur == GCB_LV || cur == GCB_LVT)) join = 1; // GB6
        else if ((prev == GCB_LV || prev == GCB_V) && (cur == GCB_V || cur == GCB_T)) join = 1;              // GB7
        else if ((prev == GCB_LVT || prev == GCB_T) && cur == GCB_T) join = 1;                                // GB8
        else if (cur == GCB_EXTEND || cur == GCB_ZWJ || cur == GCB_SPACING_MARK) join = 1; // GB9, GB9a
        else if (prev == GCB_PREPEND) join = 1;                                          // GB9b
        else if (incb == INCB_CONSONANT && conjunct == 2) join = 1;                      // GB9c
        else if (pict && emoji == 2) join = 1;                                           // GB11
        else if (prev == GCB_RI && cur == GCB_RI && ri % 2 == 1) join = 1;               // GB12, GB13
        else join = 0;
        if (!join) break;
        emoji = pict ? 1 : (emoji == 1 && cur == GCB_EXTEND) ? 1 : (emoji == 1 && cur == GCB_ZWJ) ? 2 : 0;
        conjunct = incb == INCB_CONSONANT ? 1
                   : (conjunct && incb == INCB_LINKER) ? 2
                   : (conjunct && incb == INCB_EXTEND) ? conjunct : 0;
        ri = cur == GCB_RI ? ri + 1 : 0;
        prev = cur;
        i += (size_t)k;
    }
    return i;
}
