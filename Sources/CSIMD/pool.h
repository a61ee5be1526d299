// CSIMD pool.h: max pooling over NHWC windows with the winner's index, as branch-free selects
// on vectors of 8 contiguous channels (NHWC), then one channel at a time.
#ifndef RINGTRAIN_CSIMD_POOL_H
#define RINGTRAIN_CSIMD_POOL_H
#include "arch.h"
#include <stdint.h>

typedef float csimd_pool_f8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t csimd_pool_i8 __attribute__((vector_size(32), aligned(4)));

/* The loop nest of both entry points below (inlined into each, so each gets its target). */
static inline __attribute__((always_inline))
void csimd_maxpool_forward_body(const float *x, long batch, long H, long W, long C, long window,
                                long stride, float *y, int32_t *arg) {
    const long OH = (H - window) / stride + 1, OW = (W - window) / stride + 1;
    for (long b = 0; b < batch; b++) {
        const float *restrict image = x + b * H * W * C;
        float *out = y + b * OH * OW * C;
        int32_t *where = arg + b * OH * OW * C;
        for (long oh = 0; oh < OH; oh++) {
            for (long ow = 0; ow < OW; ow++) {
                float *restrict best = out + (oh * OW + ow) * C;
                int32_t *restrict index = where + (oh * OW + ow) * C;
                const long first = (oh * stride * W + ow * stride) * C;
                for (long c = 0; c < C; c++) {
                    best[c] = image[first + c];
                    index[c] = (int32_t)(first + c);
                }
                for (long kh = 0; kh < window; kh++) {
                    for (long kw = 0; kw < window; kw++) {
                        if (kh == 0 && kw == 0) continue;
                        const long start = ((oh * stride + kh) * W + ow * stride + kw) * C;
                        long c = 0;
                        for (; c + 8 <= C; c += 8) {   /* 8 channels at once: masks select value and index */
                            csimd_pool_f8 v = *(const csimd_pool_f8 *)(image + start + c);
                            csimd_pool_f8 m = *(const csimd_pool_f8 *)(best + c);
                            csimd_pool_i8 better = v > m;
                            csimd_pool_i8 at = (csimd_pool_i8){0, 1, 2, 3, 4, 5, 6, 7} + (int32_t)(start + c);
                            *(csimd_pool_i8 *)(best + c) = (better & (csimd_pool_i8)v) | (~better & (csimd_pool_i8)m);
                            *(csimd_pool_i8 *)(index + c) = (better & at) | (~better & *(const csimd_pool_i8 *)(index + c));
                        }
                        for (; c < C; c++) {
                            const float v = image[start + c];
                            const int better = v > best[c];
                            best[c] = better ? v : best[c];
                            index[c] = better ? (int32_t)(start + c) : index[c];
                        }
                    }
                }
            }
        }
    }
}

/// y[b][oh][ow][c] = max over the window at (oh·stride, ow·stride) of x[b][h][w][c], and
/// arg[...] = the index of the first maximum within image b ((h·W + w)·C + c).
static inline void csimd_maxpool_forward(const float *x, long batch, long H, long W, long C, long window,
                                         long stride, float *y, int32_t *arg) {
    csimd_maxpool_forward_body(x, batch, H, W, C, window, stride, y, arg);
}

/// `csimd_maxpool_forward` on 256-bit vectors; callers check the CPU has AVX2.
CSIMD_TARGET("avx2")
static inline void csimd_maxpool_forward_avx2(const float *x, long batch, long H, long W, long C, long window,
                                              long stride, float *y, int32_t *arg) {
    csimd_maxpool_forward_body(x, batch, H, W, C, window, stride, y, arg);
}
#endif
