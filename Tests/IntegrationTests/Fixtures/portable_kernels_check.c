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

/// The width's kernels behind one entry point, `kernel` choosing which (0 … 6).
#define WIDTH_ENTRY(width)                                                                            \
    int WRAP(width)(int kernel, float *a, float *b, float *c, float *d, float *e, float *f, long rows, long n) { \
        switch (kernel) {                                                                             \
        case 0: return csimd_all_finite_##width(a, rows * n);                                         \
        case 1: csimd_adam_##width(a, b, c, d, rows * n, 0.01f, 0.9f, 0.1f, 0.999f, 0.001f, 0.9995f, 0.05f, 3.2f, 1e-8f); return 0; \
        case 2: csimd_gelu_tanh_forward_##width(a, b, rows * n); return 0;                          \
        case 3: csimd_gelu_tanh_backward_##width(a, b, c, rows * n); return 0;                      \
        case 4: csimd_softmax_rows_##width(a, rows, n, 1, 4); return 0;                               \
        case 5: csimd_softmax_backward_rows_##width(a, b, rows, n, 1, 4); return 0;                   \
        case 6: csimd_layer_norm_forward_##width(a, b, c, d, e, f, rows, n, 1e-5f); return 0;         \
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
    int side##avx2(int, float *, float *, float *, float *, float *, float *, long, long);             \
    int side##avx512(int, float *, float *, float *, float *, float *, float *, long, long);
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

typedef int (*Width)(int, float *, float *, float *, float *, float *, float *, long, long);

/// Runs `kernel` of both sides on copies of the same six buffers and compares every buffer.
static void check_kernel(const char *width, Width native, Width portable, int kernel, const char *name,
                         float low, float high, float tolerance) {
    static float in[6][SIZE], x[6][SIZE], p[6][SIZE];
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < SIZE; i++) in[k][i] = k == 3 && kernel == 1 ? uniform(0, 1) : uniform(low, high);
    if (kernel == 0) in[0][SIZE / 2] = INFINITY;   // the finite check must find it on both sides
    if (kernel == 4 || kernel == 5)                 // softmax backward reads probabilities
        for (int r = 0; r < ROWS; r++) {
            float sum = 0;
            for (int j = 0; j < N; j++) sum += in[0][r * N + j];
            for (int j = 0; j < N; j++) in[0][r * N + j] /= sum;
        }
    memcpy(x, in, sizeof in);
    memcpy(p, in, sizeof in);
    int rx = native(kernel, x[0], x[1], x[2], x[3], x[4], x[5], ROWS, N);
    int rp = portable(kernel, p[0], p[1], p[2], p[3], p[4], p[5], ROWS, N);
    char label[96];
    snprintf(label, sizeof label, "%s %s result", width, name);
    if (rx != rp) { printf("FAIL %s: x86 %d portable %d\n", label, rx, rp); failures++; }
    comparisons++;
    for (int k = 0; k < 6; k++) {
        snprintf(label, sizeof label, "%s %s buffer %d", width, name, k);
        compare(label, x[k], p[k], SIZE, tolerance);
    }
}

int main(void) {
    static float s[SIZE], x[SIZE], p[SIZE];
    static uint16_t hx[SIZE], hp[SIZE];
    for (int i = 0; i < SIZE; i++) { s[i] = uniform(-70000, 70000) * (i % 3 == 0 ? 1e-6f : 1); x[i] = uniform(-2, 2); }
    s[5] = NAN; s[6] = 1e-8f; s[7] = 65520.0f;   // NaN, a subnormal half, a value that rounds to infinity
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
        native_half_accumulate(x, hx, SIZE, 0.5f); portable_half_accumulate(p, hx, SIZE, 0.5f);
        compare("half_accumulate", x, p, SIZE, 0);
    } else {
        printf("not compared: the half conversions (this CPU has no F16C)\n");
    }
    // A sum of N terms added in another order differs by at most about N ulps of the largest
    // partial sum, so each kernel's outputs by N·ε times a bound on them: softmax ≤ 1; its backward
    // ≤ 2 (p·(d − Σ p·d), |d| ≤ 1); layer norm |x̂·w + b| ≤ √N·4 + 4 < 32.
    const float ulps = N * 1.1920929e-7f;
    struct { int kernel; const char *name; float low, high, tolerance; } kernels[] = {
        {0, "all_finite", -3, 3, 0}, {1, "adam", -2, 2, 0}, {2, "gelu_forward", -6, 6, 0},
        {3, "gelu_backward", -6, 6, 0}, {4, "softmax_rows", 0.01f, 1, ulps},
        {5, "softmax_backward_rows", -1, 1, 2 * ulps}, {6, "layer_norm_forward", -4, 4, 32 * ulps},
    };
    for (unsigned k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            check_kernel("avx2", native_avx2, portable_avx2, kernels[k].kernel, kernels[k].name,
                         kernels[k].low, kernels[k].high, kernels[k].tolerance);
        if (__builtin_cpu_supports("avx512f"))
            check_kernel("avx512", native_avx512, portable_avx512, kernels[k].kernel, kernels[k].name,
                         kernels[k].low, kernels[k].high, kernels[k].tolerance);
    }
    printf("%d comparisons, %d failures\n", comparisons, failures);
    return failures ? 1 : 0;
}
#endif
