// Writing JSON: strings (escaped, valid UTF-8) and floats that round-trip.
#include "runtime_internal.h"
#include <math.h>

void llmc_json_append_string(llmc_strbuf *sb, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    llmc_sb_append(sb, "\"", 1);
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t sub;
            size_t len = llmc_rt_utf8_sequence(u + i, n - i, &sub);
            if (len) {
                llmc_sb_append(sb, s + i, len);
                i += len;
            } else {
                llmc_sb_append(sb, "\xEF\xBF\xBD", 3);
                i += sub;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"': llmc_sb_append(sb, "\\\"", 2); break;
        case '\\': llmc_sb_append(sb, "\\\\", 2); break;
        case '\n': llmc_sb_append(sb, "\\n", 2); break;
        case '\r': llmc_sb_append(sb, "\\r", 2); break;
        case '\t': llmc_sb_append(sb, "\\t", 2); break;
        case '\b': llmc_sb_append(sb, "\\b", 2); break;
        case '\f': llmc_sb_append(sb, "\\f", 2); break;
        default:
            if (c < 0x20 || c == 0x7F) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                llmc_sb_append(sb, esc, 6);
            } else {
                llmc_sb_append(sb, (const char *)&c, 1);
            }
        }
    }
    llmc_sb_append(sb, "\"", 1);
}

void llmc_json_append_float(llmc_strbuf *sb, float v) {
    if (isfinite(v))
        llmc_sb_printf(sb, "%.9g", (double)v);
    else
        llmc_sb_puts(sb, "null");
}

char *llmc_json_escape(const char *s, uint64_t n) {
    llmc_strbuf sb = {0};
    llmc_json_append_string(&sb, s, (size_t)n);
    return sb.data;
}
