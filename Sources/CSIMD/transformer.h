// CSIMD transformer.h: the transformer's element-wise and row-wise kernels — a vector exp, tanh
// GELU and its derivative, softmax rows (causal), their backward, and layer norm — for AVX2+FMA.
#ifndef RINGTRAIN_CSIMD_TRANSFORMER_H
#define RINGTRAIN_CSIMD_TRANSFORMER_H
#include <immintrin.h>
#include <math.h>

#define CSIMD_AVX2 __attribute__((target("avx2,fma")))

/// e^x for 8 lanes (Cephes expf's reduction and polynomial; about 2 ulp). Inputs are clamped to
/// [-87.3, 88.3], so the result is always finite and positive.
CSIMD_AVX2 static inline __m256 csimd_exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3365478515625f)), _mm256_set1_ps(88.3762626647949f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/// tanh(u) = 1 − 2 / (e^{2u} + 1), for 8 lanes.
CSIMD_AVX2 static inline __m256 csimd_tanh8(__m256 u) {
    __m256 e = csimd_exp8(_mm256_add_ps(u, u));
    return _mm256_sub_ps(_mm256_set1_ps(1), _mm256_div_ps(_mm256_set1_ps(2), _mm256_add_ps(e, _mm256_set1_ps(1))));
}

/// Sum of the 8 lanes.
CSIMD_AVX2 static inline float csimd_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Lanes 0..<count of a mask (count 0...8), to load and store a row's tail.
CSIMD_AVX2 static inline __m256i csimd_tail_mask(long count) {
    __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
}

/// The first min(count, 8) values at `p` (the rest of the lanes 0): a whole-vector load except at a
/// row's tail, where a masked load keeps to the row.
CSIMD_AVX2 static inline __m256 csimd_load_upto(const float *p, long count) {
    return count >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, csimd_tail_mask(count));
}

/// Stores the first min(count, 8) lanes of `v` at `p`.
CSIMD_AVX2 static inline void csimd_store_upto(float *p, long count, __m256 v) {
    if (count >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, csimd_tail_mask(count), v);
}

/// y = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) over n values.
CSIMD_AVX2 static inline void csimd_gelu_tanh_forward(const float *x, float *y, long n) {
    const __m256 k = _mm256_set1_ps(0.79788456f), c = _mm256_set1_ps(0.044715f), half = _mm256_set1_ps(0.5f);
    for (long i = 0; i < n; i += 8) {
        __m256 v = csimd_load_upto(x + i, n - i);
        __m256 u = _mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v), v));
        __m256 t = csimd_tanh8(u);
        csimd_store_upto(y + i, n - i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(_mm256_set1_ps(1), t)));
    }
}

/// dx = dy · d/dx gelu_tanh(x) over n values.
CSIMD_AVX2 static inline void csimd_gelu_tanh_backward(const float *x, const float *dy, float *dx, long n) {
    const __m256 k = _mm256_set1_ps(0.79788456f), c = _mm256_set1_ps(0.044715f), c3 = _mm256_set1_ps(3 * 0.044715f);
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1);
    for (long i = 0; i < n; i += 8) {
        __m256 v = csimd_load_upto(x + i, n - i), g = csimd_load_upto(dy + i, n - i);
        __m256 v2 = _mm256_mul_ps(v, v);
        __m256 t = csimd_tanh8(_mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c, v), v2, v)));
        __m256 inner = _mm256_mul_ps(k, _mm256_fmadd_ps(c3, v2, one));
        __m256 slope = _mm256_fnmadd_ps(t, t, one);   // 1 − t²
        __m256 d = _mm256_mul_ps(half, _mm256_fmadd_ps(_mm256_mul_ps(v, slope), inner, _mm256_add_ps(one, t)));
        csimd_store_upto(dx + i, n - i, _mm256_mul_ps(g, d));
    }
}

/// The entries of row `r` that softmax reads (`visible`) and writes (`written`): all `count` unless
/// `causal`, then the first r + 1, with zeros written up to the end of r's block of `block` rows.
static inline void csimd_causal_extent(long r, long count, int causal, long block, long *visible, long *written) {
    if (!causal) { *visible = count; *written = count; return; }
    long end = (r / block + 1) * block;
    *visible = r + 1;
    *written = end < count ? end : count;
}

/// Zeros from `from` to `to` in `row`.
CSIMD_AVX2 static inline void csimd_zero(float *row, long from, long to) {
    long j = from;
    for (; j + 8 <= to; j += 8) _mm256_storeu_ps(row + j, _mm256_setzero_ps());
    for (; j < to; j++) row[j] = 0;
}

/// Softmax of each of `rows` rows of `count` values, in place. With `causal`, row i keeps only its
/// first i + 1 entries and the others up to the end of its block of `block` rows become 0; entries
/// past the block are neither read nor written.
CSIMD_AVX2 static inline void csimd_softmax_rows(float *p, long rows, long count, int causal, long block) {
    for (long r = 0; r < rows; r++) {
        float *row = p + r * count;
        long visible, written;
        csimd_causal_extent(r, count, causal, block, &visible, &written);
        long full = visible & ~7L, j;
        __m256i tailMask = csimd_tail_mask(visible - full);
        __m256 top = _mm256_set1_ps(-INFINITY);
        for (j = 0; j < full; j += 8) top = _mm256_max_ps(top, _mm256_loadu_ps(row + j));
        if (full < visible) {
            __m256 v = _mm256_maskload_ps(row + full, tailMask);
            top = _mm256_max_ps(top, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), v, _mm256_castsi256_ps(tailMask)));
        }
        __m128 t4 = _mm_max_ps(_mm256_castps256_ps128(top), _mm256_extractf128_ps(top, 1));
        t4 = _mm_max_ps(t4, _mm_movehl_ps(t4, t4));
        t4 = _mm_max_ss(t4, _mm_movehdup_ps(t4));
        __m256 shift = _mm256_set1_ps(_mm_cvtss_f32(t4)), sum = _mm256_setzero_ps(), tail = _mm256_setzero_ps();
        for (j = 0; j < full; j += 8) {
            __m256 e = csimd_exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), shift));
            _mm256_storeu_ps(row + j, e);
            sum = _mm256_add_ps(sum, e);
        }
        if (full < visible) {
            tail = _mm256_and_ps(csimd_exp8(_mm256_sub_ps(_mm256_maskload_ps(row + full, tailMask), shift)), _mm256_castsi256_ps(tailMask));
            sum = _mm256_add_ps(sum, tail);
        }
        __m256 inverse = _mm256_set1_ps(1 / csimd_sum8(sum));
        for (j = 0; j < full; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inverse));
        if (full < visible) {
            // The tail's masked lanes are 0, so a whole vector may be stored where the row has room.
            if (full + 8 <= written) {
                _mm256_storeu_ps(row + full, _mm256_mul_ps(tail, inverse));
                j = full + 8;
            } else {
                _mm256_maskstore_ps(row + full, csimd_tail_mask(written - full), _mm256_mul_ps(tail, inverse));
                j = written;
            }
        }
        csimd_zero(row, j, written);
    }
}

/// Softmax backward in place over `rows` rows: d ← p ⊙ (d − Σⱼ dⱼ pⱼ), reading only the entries
/// softmax kept and writing what `csimd_softmax_rows` writes (the rest of a causal block as 0).
CSIMD_AVX2 static inline void csimd_softmax_backward_rows(const float *p, float *d, long rows, long count, int causal, long block) {
    for (long r = 0; r < rows; r++) {
        const float *pr = p + r * count;
        float *dr = d + r * count;
        long visible, written;
        csimd_causal_extent(r, count, causal, block, &visible, &written);
        long full = visible & ~7L, j;
        __m256i tailMask = csimd_tail_mask(visible - full);
        __m256 dot = _mm256_setzero_ps();
        for (j = 0; j < full; j += 8) dot = _mm256_fmadd_ps(_mm256_loadu_ps(pr + j), _mm256_loadu_ps(dr + j), dot);
        if (full < visible) dot = _mm256_fmadd_ps(_mm256_maskload_ps(pr + full, tailMask), _mm256_maskload_ps(dr + full, tailMask), dot);
        __m256 s = _mm256_set1_ps(csimd_sum8(dot));
        for (j = 0; j < full; j += 8) {
            _mm256_storeu_ps(dr + j, _mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(dr + j), s)));
        }
        if (full < visible) {
            __m256 v = _mm256_mul_ps(_mm256_maskload_ps(pr + full, tailMask), _mm256_sub_ps(_mm256_maskload_ps(dr + full, tailMask), s));
            _mm256_maskstore_ps(dr + full, tailMask, v);
            j = visible;
        }
        csimd_zero(dr, j, written);
    }
}

/// Layer norm forward over `rows` rows of `features`: x̂ = (x − mean)/σ (biased variance + eps),
/// y = x̂ · w + b; stores x̂ and 1/σ per row for the backward pass.
CSIMD_AVX2 static inline void csimd_layer_norm_forward(const float *x, const float *w, const float *b, float *y, float *xhat,
                                                       float *inverse_deviation, long rows, long features, float epsilon) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * features;
        float *yr = y + r * features, *hr = xhat + r * features;
        __m256 sum = _mm256_setzero_ps();
        for (long i = 0; i < features; i += 8) sum = _mm256_add_ps(sum, csimd_load_upto(xr + i, features - i));
        __m256 mean = _mm256_set1_ps(csimd_sum8(sum) / (float)features), squares = _mm256_setzero_ps();
        for (long i = 0; i < features; i += 8) {
            __m256i m = csimd_tail_mask(features - i);
            __m256 c = _mm256_and_ps(_mm256_sub_ps(csimd_load_upto(xr + i, features - i), mean), _mm256_castsi256_ps(m));
            squares = _mm256_fmadd_ps(c, c, squares);
        }
        float inverse = 1 / sqrtf(csimd_sum8(squares) / (float)features + epsilon);
        inverse_deviation[r] = inverse;
        __m256 s = _mm256_set1_ps(inverse);
        for (long i = 0; i < features; i += 8) {
            __m256 h = _mm256_mul_ps(_mm256_sub_ps(csimd_load_upto(xr + i, features - i), mean), s);
            csimd_store_upto(hr + i, features - i, h);
            csimd_store_upto(yr + i, features - i, _mm256_fmadd_ps(h, csimd_load_upto(w + i, features - i), csimd_load_upto(b + i, features - i)));
        }
    }
}

/// Layer norm backward: adds Σ dy·x̂ into dw and Σ dy into db; when dx is not NULL, writes
/// dx = (1/σ)(dy·w − mean(dy·w) − x̂ · mean(dy·w·x̂)).
CSIMD_AVX2 static inline void csimd_layer_norm_backward(const float *dy, const float *xhat, const float *w,
                                                        const float *inverse_deviation, float *dw, float *db, float *dx,
                                                        long rows, long features) {
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * features, *h = xhat + r * features;
        __m256 meanD = _mm256_setzero_ps(), meanDX = _mm256_setzero_ps();
        for (long i = 0; i < features; i += 8) {
            __m256 gi = csimd_load_upto(g + i, features - i), hi = csimd_load_upto(h + i, features - i);
            csimd_store_upto(dw + i, features - i, _mm256_fmadd_ps(gi, hi, csimd_load_upto(dw + i, features - i)));
            csimd_store_upto(db + i, features - i, _mm256_add_ps(gi, csimd_load_upto(db + i, features - i)));
            __m256 d = _mm256_mul_ps(gi, csimd_load_upto(w + i, features - i));
            meanD = _mm256_add_ps(meanD, d);
            meanDX = _mm256_fmadd_ps(d, hi, meanDX);
        }
        if (!dx) continue;
        __m256 md = _mm256_set1_ps(csimd_sum8(meanD) / (float)features);
        __m256 mdx = _mm256_set1_ps(csimd_sum8(meanDX) / (float)features);
        __m256 s = _mm256_set1_ps(inverse_deviation[r]);
        float *out = dx + r * features;
        for (long i = 0; i < features; i += 8) {
            __m256 d = _mm256_mul_ps(csimd_load_upto(g + i, features - i), csimd_load_upto(w + i, features - i));
            __m256 v = _mm256_fnmadd_ps(csimd_load_upto(h + i, features - i), mdx, _mm256_sub_ps(d, md));
            csimd_store_upto(out + i, features - i, _mm256_mul_ps(s, v));
        }
    }
}

#endif
