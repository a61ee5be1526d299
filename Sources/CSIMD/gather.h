// CSIMD gather.h: copies rows picked by index (a training batch out of a dataset) while prefetching
// the rows a few places ahead, so the trips to memory for different rows overlap instead of
// following one another (the rows of a shuffled batch lie far apart, each on its own pages).
#ifndef RINGTRAIN_CSIMD_GATHER_H
#define RINGTRAIN_CSIMD_GATHER_H
#include <string.h>

/// dst row k = src row indices[k], rows of `width` floats, for k < count. Before row k is copied,
/// the cache lines of row indices[k + ahead] are prefetched into L2 — the first 4 KiB of it (the
/// hardware prefetcher follows a row once its start arrives), every line from the one holding the
/// row's first byte. Indices must be valid rows of src.
static inline void csimd_gather_rows(float *dst, const float *src, long width, const long *indices, long count, long ahead) {
    long bytes = width * (long)sizeof(float);
    long reach = bytes < 4096 ? bytes : 4096;
    for (long k = 0; k < count; k++) {
        if (k + ahead < count) {
            const char *row = (const char *)(src + indices[k + ahead] * width);
            const char *line = (const char *)((unsigned long)row & ~63UL);
            for (; line < row + reach; line += 64) __builtin_prefetch(line, 0, 2);
        }
        memcpy(dst + k * width, src + indices[k] * width, (size_t)bytes);
    }
}
#endif
