// The start-up check that the CPU has every instruction-set extension the executable was compiled for, so a binary
// built for a newer CPU stops with a one-line error instead of dying of SIGILL halfway through a forward pass.
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmc_abi.h"
#include "llmc_runtime.h"

// This file must not itself use the extensions it checks for: its functions are compiled for baseline x86-64.
#define BASELINE __attribute__((target("arch=x86-64")))

/// Where CPUID reports a feature: leaf, subleaf, register (0 eax, 1 ebx, 2 ecx, 3 edx), bit; and the XCR0 bits the
/// OS must enable for its registers (AVX: 0x6, AVX-512: 0xe6).
typedef struct cpu_feature {
    const char *name; // LLVM's name, without "+"
    uint32_t leaf, subleaf, reg, bit, xcr0;
} cpu_feature;

static const cpu_feature features[] = {
    {"sse3", 1, 0, 2, 0, 0},           {"ssse3", 1, 0, 2, 9, 0},        {"fma", 1, 0, 2, 12, 0x6},
    {"cx16", 1, 0, 2, 13, 0},          {"sse4.1", 1, 0, 2, 19, 0},      {"sse4.2", 1, 0, 2, 20, 0},
    {"movbe", 1, 0, 2, 22, 0},         {"popcnt", 1, 0, 2, 23, 0},      {"aes", 1, 0, 2, 25, 0},
    {"xsave", 1, 0, 2, 26, 0},         {"avx", 1, 0, 2, 28, 0x6},       {"f16c", 1, 0, 2, 29, 0x6},
    {"bmi", 7, 0, 1, 3, 0},            {"avx2", 7, 0, 1, 5, 0x6},       {"bmi2", 7, 0, 1, 8, 0},
    {"avx512f", 7, 0, 1, 16, 0xe6},    {"avx512dq", 7, 0, 1, 17, 0xe6}, {"adx", 7, 0, 1, 19, 0},
    {"avx512ifma", 7, 0, 1, 21, 0xe6}, {"avx512cd", 7, 0, 1, 28, 0xe6}, {"sha", 7, 0, 1, 29, 0},
    {"avx512bw", 7, 0, 1, 30, 0xe6},   {"avx512vl", 7, 0, 1, 31, 0xe6}, {"avx512vbmi", 7, 0, 2, 1, 0xe6},
    {"avx512vbmi2", 7, 0, 2, 6, 0xe6}, {"gfni", 7, 0, 2, 8, 0},         {"vaes", 7, 0, 2, 9, 0x6},
    {"vpclmulqdq", 7, 0, 2, 10, 0x6},  {"avx512vnni", 7, 0, 2, 11, 0xe6}, {"avx512bitalg", 7, 0, 2, 12, 0xe6},
    {"avx512vpopcntdq", 7, 0, 2, 14, 0xe6}, {"avxvnni", 7, 1, 0, 4, 0x6}, {"avx512bf16", 7, 1, 0, 5, 0xe6},
    {"lzcnt", 0x80000001, 0, 2, 5, 0},
};

/// Whether the CPU (and the OS, for vector state) supports `f`.
BASELINE static int has_feature(const cpu_feature *f) {
    unsigned regs[4] = {0, 0, 0, 0};
    if (!__get_cpuid_count(f->leaf, f->subleaf, &regs[0], &regs[1], &regs[2], &regs[3])) return 0;
    if (!((regs[f->reg] >> f->bit) & 1)) return 0;
    if (f->xcr0 == 0) return 1;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1)) return 0; // OSXSAVE: XGETBV usable
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & f->xcr0) == f->xcr0;
}

/// The first feature of the comma-separated `list` this CPU lacks, copied into `missing`; 0 when it has them all.
/// Names the table does not know are skipped.
BASELINE int llmc_cpu_missing_feature(const char *list, char *missing, size_t size) {
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
            const cpu_feature *f = &features[i];
            if (strlen(f->name) != len || memcmp(f->name, p, len) != 0 || has_feature(f)) continue;
            snprintf(missing, size, "%s", f->name);
            return 1;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

BASELINE void llmc_require_cpu(const char *prog, const char *target, const char *list) {
    char missing[32];
    if (!llmc_cpu_missing_feature(list, missing, sizeof missing)) return;
    fprintf(stderr, "%s: this CPU lacks %s, which target %s needs; recompile the model with --target native\n",
            prog ? prog : "model", missing, target);
    exit(1);
}
