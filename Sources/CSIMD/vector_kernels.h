// CSIMD vector_kernels.h: the kernels written once over a vector width, compiled for AVX2+FMA (8
// floats a vector, names ending _avx2) and AVX-512 (16, _avx512) — the transformer's element-wise
// and row-wise kernels (transformer_kernels.inc: a vector exp, tanh-GELU and its derivative, causal
// softmax rows and their backward, layer norm), Adam's update (update_kernels.inc) and the check
// for values that are not finite (finite_kernels.inc). This header defines each width's CT_
// operations and includes the three files. Callers check the CPU
// has the extensions first. On other CPUs (arch.h) both names are compiled one lane at a time.
#ifndef RINGTRAIN_CSIMD_VECTOR_KERNELS_H
#define RINGTRAIN_CSIMD_VECTOR_KERNELS_H
#include "arch.h"
#include <math.h>

/// The entries of row `r` that softmax reads (`visible`) and writes (`written`): all `count` unless
/// `causal`, then the first r + 1, with zeros written up to the end of r's block of `block` rows.
static inline void csimd_causal_extent(long r, long count, int causal, long block, long *visible, long *written) {
    if (!causal) { *visible = count; *written = count; return; }
    long end = (r / block + 1) * block;
    *visible = r + 1;
    *written = end < count ? end : count;
}

#if CSIMD_X86
#include <immintrin.h>

// AVX2+FMA: tails are masked with a vector of all-ones lanes.

#define CSIMD_AVX2 __attribute__((target("avx2,fma")))

/// Lanes 0..<min(count, 8) of a mask.
CSIMD_AVX2 static inline __m256i csimd_tail_mask_avx2(long count) {
    __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)), lanes);
}

/// Sum of the 8 lanes.
CSIMD_AVX2 static inline float csimd_sum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Largest of the 8 lanes.
CSIMD_AVX2 static inline float csimd_max_avx2(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

#define CT_V __m256
#define CT_MASK __m256i
#define CT_W 8
#define CT_NAME(name) name##_avx2
#define CT_TARGET CSIMD_AVX2
#define CT_SET1 _mm256_set1_ps
#define CT_ZERO _mm256_setzero_ps
#define CT_LOADU _mm256_loadu_ps
#define CT_STOREU _mm256_storeu_ps
#define CT_ADD _mm256_add_ps
#define CT_SUB _mm256_sub_ps
#define CT_MUL _mm256_mul_ps
#define CT_DIV _mm256_div_ps
#define CT_MIN _mm256_min_ps
#define CT_MAX _mm256_max_ps
#define CT_FMADD _mm256_fmadd_ps
#define CT_FNMADD _mm256_fnmadd_ps
#define CT_ROUND(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define CT_POW2(n) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define CT_TAIL_MASK csimd_tail_mask_avx2
#define CT_MASKLOAD _mm256_maskload_ps
#define CT_MASKSTORE _mm256_maskstore_ps
#define CT_SELECT(mask, chosen, other) _mm256_blendv_ps(other, chosen, _mm256_castsi256_ps(mask))
#define CT_KEEP(v, mask) _mm256_and_ps(v, _mm256_castsi256_ps(mask))
#define CT_HSUM csimd_sum_avx2
#define CT_HMAX csimd_max_avx2
#define CT_SQRT _mm256_sqrt_ps
#include "transformer_kernels.inc"
#include "update_kernels.inc"
#include "finite_kernels.inc"
#include "vector_ops_end.inc"

// AVX-512: tails are masked with a 16-bit lane mask, which loads and stores take directly.

#define CSIMD_AVX512 __attribute__((target("avx512f")))

/// Lanes 0..<min(count, 16) of a mask.
static inline __mmask16 csimd_tail_mask_avx512(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
}

#define CT_V __m512
#define CT_MASK __mmask16
#define CT_W 16
#define CT_NAME(name) name##_avx512
#define CT_TARGET CSIMD_AVX512
#define CT_SET1 _mm512_set1_ps
#define CT_ZERO _mm512_setzero_ps
#define CT_LOADU _mm512_loadu_ps
#define CT_STOREU _mm512_storeu_ps
#define CT_ADD _mm512_add_ps
#define CT_SUB _mm512_sub_ps
#define CT_MUL _mm512_mul_ps
#define CT_DIV _mm512_div_ps
#define CT_MIN _mm512_min_ps
#define CT_MAX _mm512_max_ps
#define CT_FMADD _mm512_fmadd_ps
#define CT_FNMADD _mm512_fnmadd_ps
#define CT_ROUND(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define CT_POW2(n) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define CT_TAIL_MASK csimd_tail_mask_avx512
#define CT_MASKLOAD(p, mask) _mm512_maskz_loadu_ps(mask, p)
#define CT_MASKSTORE _mm512_mask_storeu_ps
#define CT_SELECT(mask, chosen, other) _mm512_mask_blend_ps(mask, other, chosen)
#define CT_KEEP(v, mask) _mm512_maskz_mov_ps(mask, v)
#define CT_HSUM _mm512_reduce_add_ps
#define CT_HMAX _mm512_reduce_max_ps
#define CT_SQRT _mm512_sqrt_ps
#include "transformer_kernels.inc"
#include "update_kernels.inc"
#include "finite_kernels.inc"
#include "vector_ops_end.inc"

#else
// One lane: every operation on a float, each its own function so that no multiply and add are
// fused unless written as CT_FMADD (as the intrinsics keep them apart).
#include "vector_ops_scalar.h"
#define CT_NAME(name) name##_avx2
#include "transformer_kernels.inc"
#include "update_kernels.inc"
#include "finite_kernels.inc"
#undef CT_NAME
#define CT_NAME(name) name##_avx512
#include "transformer_kernels.inc"
#include "update_kernels.inc"
#include "finite_kernels.inc"
#include "vector_ops_end.inc"
#endif

#endif
