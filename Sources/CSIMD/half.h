// CSIMD half.h: fp32 <-> fp16 conversion with the F16C instructions (8 values at a time), for the
// fp16 all-reduce wire. Callers check the CPU has F16C and AVX before using these (elsewhere,
// arch.h: the same conversions through _Float16, round to nearest even).
#ifndef RINGTRAIN_CSIMD_HALF_H
#define RINGTRAIN_CSIMD_HALF_H
#include "arch.h"
#include <stdint.h>
#if CSIMD_X86
#include <immintrin.h>

__attribute__((target("avx,f16c")))
static inline void chalf_encode(const float *src, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++) {
        __m128i h = _mm_cvtps_ph(_mm_set_ss(src[i]), _MM_FROUND_TO_NEAREST_INT);
        dst[i] = (uint16_t)_mm_extract_epi16(h, 0);
    }
}

__attribute__((target("avx,f16c")))
static inline void chalf_decode(const uint16_t *src, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    }
    for (; i < n; i++) {
        dst[i] = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(src[i])));
    }
}

/// dst[i] = (dst[i] + half(src[i])) * factor
__attribute__((target("avx,f16c")))
static inline void chalf_accumulate(float *dst, const uint16_t *src, long n, float factor) {
    long i = 0;
    __m256 f = _mm256_set1_ps(factor);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(dst + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(v, f));
    }
    for (; i < n; i++) {
        dst[i] = (dst[i] + _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(src[i])))) * factor;
    }
}
#else
#include <string.h>

static inline void chalf_encode(const float *src, uint16_t *dst, long n) {
    for (long i = 0; i < n; i++) { _Float16 h = (_Float16)src[i]; memcpy(dst + i, &h, 2); }
}

static inline float chalf_value(uint16_t bits) { _Float16 h; memcpy(&h, &bits, 2); return (float)h; }

static inline void chalf_decode(const uint16_t *src, float *dst, long n) {
    for (long i = 0; i < n; i++) dst[i] = chalf_value(src[i]);
}

/// dst[i] = (dst[i] + half(src[i])) * factor
static inline void chalf_accumulate(float *dst, const uint16_t *src, long n, float factor) {
    for (long i = 0; i < n; i++) { float sum = dst[i] + chalf_value(src[i]); dst[i] = sum * factor; }
}
#endif
#endif
