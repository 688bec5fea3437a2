// Finding, mapping and validating the weight blob appended to a produced executable (layout in llmc_blob.h).
#define _GNU_SOURCE
#include "runtime_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRAILER_BYTES 16
#define PAGE 4096

/// Whether [off, off+len) lies within [0, total) without overflow.
static int in_range(uint64_t off, uint64_t len, uint64_t total) {
    return off <= total && len <= total - off;
}

int llmc_blob_validate(const llmc_blob_header *h, uint64_t blob_bytes, char *err, uint64_t err_len) {
    if (blob_bytes < sizeof *h)
        return llmc_rt_fail(err, err_len, "blob of %llu bytes is smaller than its header (%zu bytes)",
                    (unsigned long long)blob_bytes, sizeof *h);
    if (memcmp(h->magic, LLMC_BLOB_MAGIC, 8) != 0) return llmc_rt_fail(err, err_len, "bad blob magic (expected LLMCBLB1)");
    if (h->version != LLMC_BLOB_VERSION)
        return llmc_rt_fail(err, err_len, "blob version %u, this runtime reads version %u", h->version, LLMC_BLOB_VERSION);
    if (h->header_bytes != sizeof *h)
        return llmc_rt_fail(err, err_len, "header_bytes is %u, expected %zu", h->header_bytes, sizeof *h);
    if (h->weights_offset % PAGE != 0)
        return llmc_rt_fail(err, err_len, "weights_offset %llu is not 4096-aligned", (unsigned long long)h->weights_offset);
    if (h->weights_offset < sizeof *h || !in_range(h->weights_offset, h->weights_bytes, blob_bytes))
        return llmc_rt_fail(err, err_len, "weights [%llu, +%llu) outside the blob of %llu bytes",
                    (unsigned long long)h->weights_offset, (unsigned long long)h->weights_bytes,
                    (unsigned long long)blob_bytes);
    if (h->info_offset < sizeof *h || !in_range(h->info_offset, h->info_bytes, blob_bytes))
        return llmc_rt_fail(err, err_len, "info JSON [%llu, +%llu) outside the blob of %llu bytes",
                    (unsigned long long)h->info_offset, (unsigned long long)h->info_bytes,
                    (unsigned long long)blob_bytes);
    if (h->tokenizer_offset != 0 &&
        (h->tokenizer_offset < sizeof *h || !in_range(h->tokenizer_offset, h->tokenizer_bytes, blob_bytes)))
        return llmc_rt_fail(err, err_len, "tokenizer [%llu, +%llu) outside the blob of %llu bytes",
                    (unsigned long long)h->tokenizer_offset, (unsigned long long)h->tokenizer_bytes,
                    (unsigned long long)blob_bytes);
    if (h->vocab_size < 1 || h->vocab_size > INT32_MAX)
        return llmc_rt_fail(err, err_len, "vocab_size %lld out of range", (long long)h->vocab_size);
    if (h->max_position < 1) return llmc_rt_fail(err, err_len, "max_position %lld < 1", (long long)h->max_position);
    if (h->default_ctx < 1 || h->default_ctx > h->max_position)
        return llmc_rt_fail(err, err_len, "default_ctx %lld not in [1, max_position %lld]", (long long)h->default_ctx,
                    (long long)h->max_position);
    if (h->n_eos < 0 || h->n_eos > LLMC_MAX_EOS)
        return llmc_rt_fail(err, err_len, "n_eos %lld not in [0, %d]", (long long)h->n_eos, LLMC_MAX_EOS);
    for (int64_t i = 0; i < h->n_eos; i++)
        if (h->eos_ids[i] < 0 || h->eos_ids[i] >= h->vocab_size)
            return llmc_rt_fail(err, err_len, "eos id %lld outside the vocabulary of %lld", (long long)h->eos_ids[i],
                        (long long)h->vocab_size);
    if (!(h->temperature >= 0 && isfinite(h->temperature)) || !(h->top_p >= 0 && h->top_p <= 1) || h->top_k < 0 ||
        !(h->min_p >= 0 && h->min_p <= 1) || !(h->repetition_penalty > 0 && isfinite(h->repetition_penalty)))
        return llmc_rt_fail(err, err_len, "sampling defaults out of range");
    return 0;
}

int llmc_blob_open(const char *path, int populate, llmc_blob *out, char *err, uint64_t err_len) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return llmc_rt_fail(err, err_len, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return llmc_rt_fail(err, err_len, "cannot stat %s: %s", path, strerror(e));
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char trailer[TRAILER_BYTES];
    if (size < TRAILER_BYTES || pread(fd, trailer, TRAILER_BYTES, (off_t)(size - TRAILER_BYTES)) != TRAILER_BYTES ||
        memcmp(trailer + 8, LLMC_TRAILER_MAGIC, 8) != 0) {
        close(fd);
        return llmc_rt_fail(err, err_len, "%s does not end with an LLMCTRL1 trailer", path);
    }
    uint64_t blob_offset;
    memcpy(&blob_offset, trailer, 8);
    uint64_t end = size - TRAILER_BYTES;
    if (blob_offset % PAGE != 0 || blob_offset >= end) {
        close(fd);
        return llmc_rt_fail(err, err_len, "trailer blob offset %llu is not a 4096-aligned offset inside %s (%llu bytes)",
                    (unsigned long long)blob_offset, path, (unsigned long long)size);
    }
    uint64_t blob_bytes = end - blob_offset;
    void *map = mmap(NULL, blob_bytes, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, (off_t)blob_offset);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) return llmc_rt_fail(err, err_len, "cannot map %s: %s", path, strerror(map_errno));
    const llmc_blob_header *h = map;
    if (llmc_blob_validate(h, blob_bytes, err, err_len) != 0) {
        munmap(map, blob_bytes);
        return -1;
    }
    out->header = h;
    out->weights = (const uint8_t *)map + h->weights_offset;
    out->tokenizer = h->tokenizer_offset ? (const uint8_t *)map + h->tokenizer_offset : NULL;
    out->info_json = (const char *)map + h->info_offset;
    out->blob_bytes = blob_bytes;
    return 0;
}

void llmc_blob_close(llmc_blob *b) {
    if (b->header) munmap((void *)b->header, b->blob_bytes);
    memset(b, 0, sizeof *b);
}
