// CSIMD conv.h: direct 2-D convolution kernels (stride 1, NHWC) for small channel counts, where
// im2col + sgemm is memory-bound: register tiles of output pixels × channels, read straight from
// a zero-padded image. Compiled for AVX-512 and for AVX2+FMA; callers check the CPU first.
#ifndef RINGTRAIN_CSIMD_CONV_H
#define RINGTRAIN_CSIMD_CONV_H
#include "arch.h"

typedef float csimd_v16 __attribute__((vector_size(64), aligned(4)));
typedef float csimd_v8 __attribute__((vector_size(32), aligned(4)));

// 16 floats per vector; tiles of 7 pixels × 2 vectors or 14 pixels × 1 (forward) and of
// 8 kernel taps × 2 vectors or 16 × 1 (weight gradient): up to 28 of the 32 registers.
#define CONV_V csimd_v16
#define CONV_VW 16
#define CONV_NAME(x) x##_avx512
#define CONV_TARGET "avx512f"
#define CONV_R2 7
#define CONV_R1 14
#define CONV_J2 8
#define CONV_J1 16
#include "conv_kernels.inc"

// 8 floats per vector, 16 registers: 4 pixels × 2 vectors or 8 × 1; 6 taps × 2 or 12 × 1.
#define CONV_V csimd_v8
#define CONV_VW 8
#define CONV_NAME(x) x##_avx2
#define CONV_TARGET "avx2,fma"
#define CONV_R2 4
#define CONV_R1 8
#define CONV_J2 6
#define CONV_J1 12
#include "conv_kernels.inc"

#endif
