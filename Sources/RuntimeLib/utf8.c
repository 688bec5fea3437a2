// UTF-8 well-formedness (Unicode table 3-7) for JSON output and streaming.
#include "runtime_internal.h"

/// Expected length of a sequence starting with lead byte b, and the allowed range of its second byte.
static size_t lead_info(unsigned char b, unsigned char *lo, unsigned char *hi) {
    *lo = 0x80;
    *hi = 0xBF;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) *lo = 0xA0;
        if (b == 0xED) *hi = 0x9F;
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) *lo = 0x90;
        if (b == 0xF4) *hi = 0x8F;
        return 4;
    }
    return 0;
}

size_t llmc_rt_utf8_sequence(const unsigned char *s, size_t n, size_t *maximal_subpart) {
    unsigned char lo, hi;
    size_t want = lead_info(s[0], &lo, &hi);
    *maximal_subpart = 1;
    if (want == 0) return 0;
    for (size_t i = 1; i < want; i++) {
        if (i >= n) return 0;
        unsigned char c = s[i];
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xBF)) return 0;
        *maximal_subpart = i + 1;
    }
    *maximal_subpart = want;
    return want;
}

uint64_t llmc_utf8_complete_prefix(const char *s, uint64_t n) {
    const unsigned char *u = (const unsigned char *)s;
    // A valid but unfinished sequence is at most 3 bytes long and starts within the last 3 bytes.
    for (uint64_t back = 1; back <= 3 && back <= n; back++) {
        uint64_t start = n - back;
        unsigned char lo, hi;
        size_t want = lead_info(u[start], &lo, &hi);
        if (want == 0) continue; // continuation byte or invalid lead: keep looking back
        if (want <= back) return n; // the last sequence is finished (or ill-formed)
        size_t sub;
        llmc_rt_utf8_sequence(u + start, (size_t)back, &sub);
        return sub == back ? start : n; // unfinished only when every byte so far fits
    }
    return n;
}

void llmc_rt_utf8_append_valid(llmc_strbuf *sb, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        size_t sub;
        size_t len = llmc_rt_utf8_sequence(u + i, n - i, &sub);
        if (len) {
            i += len;
            continue;
        }
        llmc_sb_append(sb, s + run, i - run);
        llmc_sb_append(sb, "\xEF\xBF\xBD", 3);
        i += sub;
        run = i;
    }
    llmc_sb_append(sb, s + run, n - run);
}
