// CSIMD arch.h: whether this module's x86 kernels (AVX, AVX2, AVX-512 and F16C intrinsics) are
// compiled, or the portable C that stands in for them on other CPUs (aarch64). Swift calls a
// width's kernels only after CPUInfo finds its extensions, so elsewhere the stand-ins are never
// reached; they exist so the package builds, and they compute the same values one lane at a time.
// Defining CSIMD_PORTABLE selects the portable forms on x86 too (a test compares the two).
#ifndef RINGTRAIN_CSIMD_ARCH_H
#define RINGTRAIN_CSIMD_ARCH_H

#if (defined(__x86_64__) || defined(__i386__)) && !defined(CSIMD_PORTABLE)
#define CSIMD_X86 1
/// Compiles a function for the given x86 extensions.
#define CSIMD_TARGET(features) __attribute__((target(features)))
#else
#define CSIMD_X86 0
#define CSIMD_TARGET(features)
#endif

#endif
