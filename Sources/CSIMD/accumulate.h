// CSIMD accumulate.h: the ring all-reduce's reduction loops with 256-bit AVX (8 floats per
// instruction, 32 per iteration), for buffers that sit in cache where SSE's 4 lanes are the
// limit. Callers check the CPU has AVX before using these. Results equal the scalar loops bit
// for bit: each element is one IEEE add (and one multiply), whatever the vector width.
#ifndef RINGTRAIN_CSIMD_ACCUMULATE_H
#define RINGTRAIN_CSIMD_ACCUMULATE_H
#include "arch.h"
#if CSIMD_X86
#include <immintrin.h>

/// dst[i] += src[i]
__attribute__((target("avx")))
static inline void csimd_accumulate(float *dst, const float *src, long n) {
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a0 = _mm256_add_ps(_mm256_loadu_ps(dst + i), _mm256_loadu_ps(src + i));
        __m256 a1 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 8), _mm256_loadu_ps(src + i + 8));
        __m256 a2 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 16), _mm256_loadu_ps(src + i + 16));
        __m256 a3 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 24), _mm256_loadu_ps(src + i + 24));
        _mm256_storeu_ps(dst + i, a0);
        _mm256_storeu_ps(dst + i + 8, a1);
        _mm256_storeu_ps(dst + i + 16, a2);
        _mm256_storeu_ps(dst + i + 24, a3);
    }
    for (; i < n; i++) dst[i] += src[i];
}

/// dst[i] = (dst[i] + src[i]) * factor
__attribute__((target("avx")))
static inline void csimd_accumulate_scaled(float *dst, const float *src, long n, float factor) {
    long i = 0;
    __m256 f = _mm256_set1_ps(factor);
    for (; i + 16 <= n; i += 16) {
        __m256 a0 = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(dst + i), _mm256_loadu_ps(src + i)), f);
        __m256 a1 = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(dst + i + 8), _mm256_loadu_ps(src + i + 8)), f);
        _mm256_storeu_ps(dst + i, a0);
        _mm256_storeu_ps(dst + i + 8, a1);
    }
    for (; i < n; i++) dst[i] = (dst[i] + src[i]) * factor;
}
#else
/// dst[i] += src[i]
static inline void csimd_accumulate(float *dst, const float *src, long n) {
    for (long i = 0; i < n; i++) dst[i] += src[i];
}

/// dst[i] = (dst[i] + src[i]) * factor
static inline void csimd_accumulate_scaled(float *dst, const float *src, long n, float factor) {
    for (long i = 0; i < n; i++) { float sum = dst[i] + src[i]; dst[i] = sum * factor; }
}
#endif
#endif
