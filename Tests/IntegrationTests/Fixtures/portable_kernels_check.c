// portable_kernels_check.c: CSIMD's portable kernels (what other CPUs than x86 compile, arch.h)
// against its x86 ones, on the same inputs. Built three times by PortableKernelsTests:
//   -DSIDE=native_                     wrappers around the x86 kernels
//   -DSIDE=portable_ -DCSIMD_PORTABLE  wrappers around the portable ones (also built for aarch64)
//   -DCHECK_MAIN                       the comparison; exits 1 on any difference
// Element-wise kernels must agree bit for bit; kernels that sum across a row within rounding.
#ifndef CHECK_MAIN
#include "accumulate.h"
#include "cachelines.h"
#include "conv.h"
#include "gather.h"
#include "half.h"
#include "pool.h"
#include "vector_kernels.h"

#define JOIN2(a, b) a##b
#define JOIN(a, b) JOIN2(a, b)
#define WRAP(name) JOIN(SIDE, name)

void WRAP(accumulate)(float *d, const float *s, long n) { csimd_accumulate(d, s, n); }
void WRAP(accumulate_scaled)(float *d, const float *s, long n, float f) { csimd_accumulate_scaled(d, s, n, f); }
void WRAP(half_encode)(const float *s, uint16_t *d, long n) { chalf_encode(s, d, n); }
void WRAP(half_decode)(const uint16_t *s, float *d, long n) { chalf_decode(s, d, n); }
void WRAP(half_accumulate)(float *d, const uint16_t *s, long n, float f) { chalf_accumulate(d, s, n, f); }

/// The width's kernels behind one entry point, `kernel` choosing which (0 … 9).
#define WIDTH_ENTRY(width)                                                                            \
    int WRAP(width)(int kernel, float **b, long rows, long n) {                                       \
        switch (kernel) {                                                                             \
        case 0: return csimd_all_finite_##width(b[0], rows * n);                                      \
        case 1: csimd_adam_##width(b[0], b[1], b[2], b[3], rows * n, 0.01f, 0.9f, 0.1f, 0.999f, 0.001f, 0.9995f, 0.05f, 3.2f, 1e-8f); return 0; \
        case 2: csimd_gelu_tanh_forward_##width(b[0], b[1], rows * n); return 0;                     \
        case 3: csimd_gelu_tanh_backward_##width(b[0], b[1], b[2], rows * n); return 0;              \
        case 4: csimd_softmax_rows_##width(b[0], rows, n, 1, 4); return 0;                            \
        case 5: csimd_softmax_backward_rows_##width(b[0], b[1], rows, n, 1, 4); return 0;             \
        case 6: csimd_layer_norm_forward_##width(b[0], b[1], b[2], b[3], b[4], b[5], rows, n, 1e-5f); return 0; \
        case 7: csimd_layer_norm_backward_##width(b[0], b[1], b[2], b[3], b[4], b[5], b[6], rows, n); return 0; \
        case 8: csimd_softmax_rows_##width(b[0], rows, n, 0, 1); return 0;                            \
        case 9: csimd_softmax_backward_rows_##width(b[0], b[1], rows, n, 0, 1); return 0;             \
        }                                                                                             \
        return -1;                                                                                    \
    }
WIDTH_ENTRY(avx2)
WIDTH_ENTRY(avx512)

/// Not compared (conv and pooling are the same C on every CPU, given or not an x86 target); here so
/// that building for aarch64 compiles them too.
void WRAP(conv)(const float *in, const float *wt, float *out, float *dw) {
    csimd_conv_forward_avx2(in, 1, 6, 6, 3, 3, wt, NULL, 8, out);
    csimd_conv_forward_avx512(in, 1, 6, 6, 3, 3, wt, NULL, 16, out);
    csimd_conv_weight_gradient_avx2(in, 1, 6, 6, 3, 3, out, 8, dw);
    csimd_conv_weight_gradient_avx512(in, 1, 6, 6, 3, 3, out, 16, dw);
}
void WRAP(pool)(const float *x, float *y, int32_t *arg) {
    csimd_maxpool_forward(x, 1, 4, 4, 8, 2, 2, y, arg);
    csimd_maxpool_forward_avx2(x, 1, 4, 4, 8, 2, 2, y, arg);
}
void WRAP(memory)(float *dst, const float *src, const long *rows) {
    csimd_gather_rows(dst, src, 4, rows, 2, 1);
    csimd_reclaim_lines(dst, 64);
}

#else
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECLARE(side)                                                                                 \
    void side##accumulate(float *, const float *, long);                                              \
    void side##accumulate_scaled(float *, const float *, long, float);                                \
    void side##half_encode(const float *, uint16_t *, long);                                          \
    void side##half_decode(const uint16_t *, float *, long);                                          \
    void side##half_accumulate(float *, const uint16_t *, long, float);                               \
    int side##avx2(int, float **, long, long);                                                        \
    int side##avx512(int, float **, long, long);
DECLARE(native_)
DECLARE(portable_)

enum { ROWS = 7, N = 37, SIZE = ROWS * N };   // 37: every width leaves a tail
static int failures = 0, comparisons = 0;
static unsigned long state = 12345;

static float uniform(float low, float high) {
    state = state * 6364136223846793005UL + 1442695040888963407UL;
    return low + (high - low) * (float)((state >> 40) & 0xFFFFFF) / 16777216.0f;
}

/// Equal bits (any NaN equal to any NaN), or |x − y| ≤ tolerance when tolerance > 0.
static void compare(const char *what, const float *x, const float *y, long n, float tolerance) {
    for (long i = 0; i < n; i++) {
        int same = (isnan(x[i]) && isnan(y[i])) || memcmp(x + i, y + i, sizeof(float)) == 0;
        if (!same && tolerance > 0 && fabsf(x[i] - y[i]) <= tolerance) same = 1;
        if (!same) {
            printf("FAIL %s: element %ld x86 %.9g portable %.9g\n", what, i, x[i], y[i]);
            failures++;
            return;
        }
    }
    comparisons++;
}

typedef int (*Width)(int, float **, long, long);
enum { BUFFERS = 7 };

/// Runs `kernel` of both sides on copies of the same buffers and compares every buffer, and the
/// result with `expected` when it is not −1. `poison` plants NaN in the first buffer (and
/// ±100 beside it, far outside exp's clamps).
static void check_kernel(const char *width, Width native, Width portable, int kernel, const char *name,
                         float low, float high, float tolerance, int poison, int expected) {
    static float in[BUFFERS][SIZE], x[BUFFERS][SIZE], p[BUFFERS][SIZE];
    for (int k = 0; k < BUFFERS; k++)
        for (int i = 0; i < SIZE; i++) in[k][i] = k == 3 && kernel == 1 ? uniform(0, 1) : uniform(low, high);
    if (poison) { in[0][SIZE / 2] = NAN; in[0][3] = 100; in[0][4] = -100; }
    if (kernel == 4 || kernel == 5 || kernel == 8 || kernel == 9)   // softmax backward reads probabilities
        for (int r = 0; r < ROWS; r++) {
            float sum = 0;
            for (int j = 0; j < N; j++) sum += in[0][r * N + j];
            for (int j = 0; j < N; j++) in[0][r * N + j] /= sum;
        }
    memcpy(x, in, sizeof in);
    memcpy(p, in, sizeof in);
    float *xs[BUFFERS], *ps[BUFFERS];
    for (int k = 0; k < BUFFERS; k++) { xs[k] = x[k]; ps[k] = p[k]; }
    int rx = native(kernel, xs, ROWS, N);
    int rp = portable(kernel, ps, ROWS, N);
    char label[96];
    snprintf(label, sizeof label, "%s %s result", width, name);
    if (rx != rp || (expected != -1 && rx != expected)) {
        printf("FAIL %s: x86 %d portable %d expected %d\n", label, rx, rp, expected);
        failures++;
    }
    comparisons++;
    for (int k = 0; k < BUFFERS; k++) {
        snprintf(label, sizeof label, "%s %s buffer %d", width, name, k);
        compare(label, x[k], p[k], SIZE, tolerance);
    }
}

int main(void) {
    static float s[SIZE], x[SIZE], p[SIZE];
    static uint16_t hx[SIZE], hp[SIZE];
    for (int i = 0; i < SIZE; i++) { s[i] = uniform(-70000, 70000) * (i % 3 == 0 ? 1e-6f : 1); x[i] = uniform(-2, 2); }
    s[5] = NAN; s[6] = 1e-5f; s[7] = 65520.0f; s[8] = -3e-8f;   // NaN, a subnormal half, a value that rounds to infinity, one to −0
    memcpy(p, x, sizeof x);
    native_accumulate(x, s, SIZE); portable_accumulate(p, s, SIZE); compare("accumulate", x, p, SIZE, 0);
    native_accumulate_scaled(x, s, SIZE, 0.25f); portable_accumulate_scaled(p, s, SIZE, 0.25f);
    compare("accumulate_scaled", x, p, SIZE, 0);
    if (__builtin_cpu_supports("f16c")) {
        native_half_encode(s, hx, SIZE); portable_half_encode(s, hp, SIZE);
        int same = 1;
        for (int i = 0; i < SIZE; i++) same &= hx[i] == hp[i] || ((hx[i] & 0x7C00) == 0x7C00 && (hx[i] & 0x3FF) && (hp[i] & 0x7C00) == 0x7C00 && (hp[i] & 0x3FF));
        if (!same) printf("FAIL half_encode\n");
        failures += !same;
        comparisons++;
        native_half_decode(hx, x, SIZE); portable_half_decode(hx, p, SIZE); compare("half_decode", x, p, SIZE, 0);
        static uint16_t every[65536];
        static float dx[65536], dp[65536];
        for (int i = 0; i < 65536; i++) every[i] = (uint16_t)i;
        native_half_decode(every, dx, 65536); portable_half_decode(every, dp, 65536);
        compare("half_decode of every pattern", dx, dp, 65536, 0);
        native_half_accumulate(x, hx, SIZE, 0.5f); portable_half_accumulate(p, hx, SIZE, 0.5f);
        compare("half_accumulate", x, p, SIZE, 0);
    } else {
        printf("not compared: the half conversions (this CPU has no F16C)\n");
    }
    // A sum of N terms added in another order differs by at most about N ulps of the largest
    // partial sum, so each kernel's outputs by N·ε times a bound on them: softmax ≤ 1; its backward
    // ≤ 2 (p·(d − Σ p·d), |d| ≤ 1); layer norm |x̂·w + b| ≤ √N·4 + 4 < 32.
    const float ulps = N * 1.1920929e-7f;
    // Layer norm's backward sums dy·w and dy·w·x̂ over a row: |dy·w·x̂| ≤ 1·4·√N, so ≤ 32 too.
    struct { int kernel; const char *name; float low, high, tolerance; int poison, expected; } kernels[] = {
        {0, "all_finite", -3, 3, 0, 0, 1}, {0, "all_finite with NaN", -3, 3, 0, 1, 0},
        {1, "adam", -2, 2, 0, 0, 0}, {2, "gelu_forward", -6, 6, 0, 1, 0}, {3, "gelu_backward", -6, 6, 0, 1, 0},
        {4, "softmax_rows causal", 0.01f, 1, ulps, 0, 0}, {5, "softmax_backward_rows causal", -1, 1, 2 * ulps, 0, 0},
        {8, "softmax_rows", 0.01f, 1, ulps, 0, 0}, {9, "softmax_backward_rows", -1, 1, 2 * ulps, 0, 0},
        {6, "layer_norm_forward", -4, 4, 32 * ulps, 0, 0}, {7, "layer_norm_backward", -1, 1, 32 * ulps, 0, 0},
    };
    for (unsigned k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            check_kernel("avx2", native_avx2, portable_avx2, kernels[k].kernel, kernels[k].name, kernels[k].low,
                         kernels[k].high, kernels[k].tolerance, kernels[k].poison, kernels[k].expected);
        if (__builtin_cpu_supports("avx512f"))
            check_kernel("avx512", native_avx512, portable_avx512, kernels[k].kernel, kernels[k].name, kernels[k].low,
                         kernels[k].high, kernels[k].tolerance, kernels[k].poison, kernels[k].expected);
    }
    printf("%d comparisons, %d failures\n", comparisons, failures);
    return failures ? 1 : 0;
}
#endif
