// The AVX-512 variant of the kernels (x86-64-v4: AVX-512 F, CD, BW, DQ, VL), chosen at run time
// on CPUs that have it. Compiled with the flags of the _PCKernelsAVX512 target (Package.swift).
#if defined(__x86_64__)
#define PCK_VARIANT avx512
#include "../_PCKernels/pc_variant.hpp"
#endif
