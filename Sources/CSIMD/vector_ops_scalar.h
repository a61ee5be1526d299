// CSIMD vector_ops_scalar.h: the CT_ operations of vector_kernels.h on one float (CT_W 1), for CPUs
// without x86's vector extensions (arch.h). A lane computes what a lane of AVX2 or AVX-512 does; sums
// across a row add in another order, so those differ by rounding.
#ifndef RINGTRAIN_CSIMD_VECTOR_OPS_SCALAR_H
#define RINGTRAIN_CSIMD_VECTOR_OPS_SCALAR_H
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float csimd_lane_add(float a, float b) { return a + b; }
static inline float csimd_lane_sub(float a, float b) { return a - b; }
static inline float csimd_lane_mul(float a, float b) { return a * b; }
static inline float csimd_lane_div(float a, float b) { return a / b; }
/// As minps and maxps: the second operand when either is NaN.
static inline float csimd_lane_min(float a, float b) { return a < b ? a : b; }
static inline float csimd_lane_max(float a, float b) { return a > b ? a : b; }
/// 2^n for an integral n in the normal exponent range, built from its bits.
static inline float csimd_lane_pow2(float n) {
    int32_t bits = (int32_t)((uint32_t)((int32_t)nearbyintf(n) + 127) << 23);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
#endif

#define CT_V float
#define CT_MASK int
#define CT_W 1
#define CT_TARGET
#define CT_SET1(x) ((float)(x))
#define CT_ZERO() 0.0f
#define CT_LOADU(p) (*(p))
#define CT_STOREU(p, v) (*(p) = (v))
#define CT_ADD csimd_lane_add
#define CT_SUB csimd_lane_sub
#define CT_MUL csimd_lane_mul
#define CT_DIV csimd_lane_div
#define CT_MIN csimd_lane_min
#define CT_MAX csimd_lane_max
#define CT_FMADD(a, b, c) fmaf(a, b, c)
#define CT_FNMADD(a, b, c) fmaf(-(a), b, c)
#define CT_ROUND(x) nearbyintf(x)
#define CT_POW2 csimd_lane_pow2
#define CT_TAIL_MASK(count) ((count) > 0)
#define CT_MASKLOAD(p, mask) ((mask) ? *(p) : 0.0f)
#define CT_MASKSTORE(p, mask, v) ((mask) ? (void)(*(p) = (v)) : (void)0)
#define CT_SELECT(mask, chosen, other) ((mask) ? (chosen) : (other))
#define CT_KEEP(v, mask) ((mask) ? (v) : 0.0f)
#define CT_HSUM(v) (v)
#define CT_HMAX(v) (v)
#define CT_SQRT sqrtf
