// Growable byte strings and small helpers for messages and allocation.
#include "runtime_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int llmc_rt_fail(char *err, uint64_t err_len, const char *fmt, ...) {
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void *llmc_rt_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "llmc runtime: out of memory (%zu bytes)\n", n);
        exit(LLMC_EXIT_RUNTIME);
    }
    return p;
}

static void reserve(llmc_strbuf *sb, size_t extra) {
    if (sb->len + extra + 1 <= sb->cap) return;
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + extra + 1) cap *= 2;
    char *d = realloc(sb->data, cap);
    if (!d) {
        fprintf(stderr, "llmc runtime: out of memory (%zu bytes)\n", cap);
        exit(LLMC_EXIT_RUNTIME);
    }
    sb->data = d;
    sb->cap = cap;
}

void llmc_sb_append(llmc_strbuf *sb, const char *s, size_t n) {
    reserve(sb, n);
    if (n) memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
}

void llmc_sb_puts(llmc_strbuf *sb, const char *s) {
    llmc_sb_append(sb, s, strlen(s));
}

void llmc_sb_printf(llmc_strbuf *sb, const char *fmt, ...) {
    // Formats straight into the spare capacity (at least 64 bytes); only a longer result is formatted again after
    // growing the buffer (formatting twice per call was a measurable share of printing embeddings).
    reserve(sb, 64);
    size_t room = sb->cap - sb->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sb->data + sb->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->data[sb->len] = 0;
        return;
    }
    if ((size_t)n >= room) {
        reserve(sb, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    sb->len += (size_t)n;
}

void llmc_sb_free(llmc_strbuf *sb) {
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}
