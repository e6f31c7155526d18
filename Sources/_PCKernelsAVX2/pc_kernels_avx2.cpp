// The AVX2 + FMA variant of the kernels (x86-64-v3), chosen at run time on CPUs that have it.
// Compiled with the flags of the _PCKernelsAVX2 target (Package.swift); nothing on other CPUs.
#if defined(__x86_64__)
#define PCK_VARIANT avx2
#include "../_PCKernels/pc_variant.hpp"
#endif
