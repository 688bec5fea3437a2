// Reading the top level of a JSON object (the blob's info JSON) without building a tree.
#include "runtime_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct scanner {
    const char *s;
    size_t n, i;
    int depth;
} scanner;

static void skip_ws(scanner *sc) {
    while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i]) sc->i++;
}

/// Skips a string starting at the opening quote; 0 on success.
static int skip_string(scanner *sc) {
    sc->i++;
    while (sc->i < sc->n) {
        char c = sc->s[sc->i++];
        if (c == '"') return 0;
        if (c == '\\') {
            if (sc->i >= sc->n) return -1;
            sc->i++;
        } else if ((unsigned char)c < 0x20) {
            return -1;
        }
    }
    return -1;
}

static int skip_value(scanner *sc);

/// Skips the elements of an array or object whose opening bracket is at sc->i.
static int skip_container(scanner *sc, char close) {
    if (++sc->depth > 256) return -1;
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == close) {
        sc->i++;
        sc->depth--;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != '"' || skip_string(sc)) return -1;
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != ':') return -1;
            sc->i++;
        }
        if (skip_value(sc)) return -1;
        skip_ws(sc);
        if (sc->i >= sc->n) return -1;
        char c = sc->s[sc->i++];
        if (c == close) break;
        if (c != ',') return -1;
    }
    sc->depth--;
    return 0;
}

static int skip_value(scanner *sc) {
    skip_ws(sc);
    if (sc->i >= sc->n) return -1;
    char c = sc->s[sc->i];
    if (c == '"') return skip_string(sc);
    if (c == '{') return skip_container(sc, '}');
    if (c == '[') return skip_container(sc, ']');
    size_t start = sc->i;
    while (sc->i < sc->n && strchr("+-.0123456789eEtruefalsn", sc->s[sc->i]) && sc->s[sc->i]) sc->i++;
    return sc->i > start ? 0 : -1;
}

int llmc_json_object_members(const char *text, size_t n, llmc_json_member **out, size_t *n_out, char *err,
                             uint64_t err_len) {
    scanner sc = {text, n, 0, 0};
    size_t count = 0, cap = 16;
    llmc_json_member *m = llmc_rt_xmalloc(cap * sizeof *m);
    *out = NULL;
    *n_out = 0;
    skip_ws(&sc);
    if (sc.i >= n || text[sc.i] != '{') goto bad;
    sc.i++;
    skip_ws(&sc);
    if (sc.i < n && text[sc.i] == '}') {
        sc.i++;
    } else {
        for (;;) {
            skip_ws(&sc);
            if (sc.i >= n || text[sc.i] != '"') goto bad;
            size_t key = sc.i + 1;
            if (skip_string(&sc)) goto bad;
            size_t key_end = sc.i - 1;
            skip_ws(&sc);
            if (sc.i >= n || text[sc.i] != ':') goto bad;
            sc.i++;
            skip_ws(&sc);
            size_t value = sc.i;
            if (skip_value(&sc)) goto bad;
            if (count == cap) {
                cap *= 2;
                llmc_json_member *grown = realloc(m, cap * sizeof *m);
                if (!grown) goto bad;
                m = grown;
            }
            m[count++] = (llmc_json_member){text + key, key_end - key, text + value, sc.i - value};
            skip_ws(&sc);
            if (sc.i >= n) goto bad;
            char c = text[sc.i++];
            if (c == '}') break;
            if (c != ',') goto bad;
        }
    }
    skip_ws(&sc);
    if (sc.i != n) goto bad;
    *out = m;
    *n_out = count;
    return 0;
bad:
    free(m);
    return llmc_rt_fail(err, err_len, "info JSON is not a well-formed object (near byte %zu)", sc.i);
}

int64_t llmc_json_array_length(const char *text, size_t n) {
    scanner sc = {text, n, 0, 0};
    skip_ws(&sc);
    if (sc.i >= n || text[sc.i] != '[') return -1;
    sc.i++;
    skip_ws(&sc);
    if (sc.i < n && text[sc.i] == ']') return 0;
    for (int64_t count = 1;; count++) {
        if (skip_value(&sc)) return -1;
        skip_ws(&sc);
        if (sc.i >= n) return -1;
        char c = text[sc.i++];
        if (c == ']') return count;
        if (c != ',') return -1;
    }
}

const llmc_json_member *llmc_json_find(const llmc_json_member *ms, size_t n, const char *key, size_t key_len) {
    for (size_t i = 0; i < n; i++)
        if (ms[i].key_len == key_len && memcmp(ms[i].key, key, key_len) == 0) return &ms[i];
    return NULL;
}
