// Internal to the kernels: compiles the whole kernel implementation once for one instruction set.
//
// A variant's translation unit defines PCK_VARIANT (baseline, avx2 or avx512) and includes this
// file; its target's compiler flags choose the instruction set (Package.swift). Everything the
// variant compiles lives in its own namespace, pck_<variant>, Eigen included (its namespace is
// renamed pck_<variant>_Eigen by the macro below): inline functions and template instantiations
// of different variants then have different symbol names, so the linker cannot merge an AVX-512
// copy into the baseline path (which would crash a CPU without AVX-512).
#ifndef PCK_VARIANT
#error "define PCK_VARIANT (baseline, avx2 or avx512) before including pc_variant.hpp"
#endif

#define PCK_CONCAT_(a, b) a##b
#define PCK_CONCAT(a, b) PCK_CONCAT_(a, b)
#define PCK_NAMESPACE PCK_CONCAT(pck_, PCK_VARIANT)
#define Eigen PCK_CONCAT(PCK_NAMESPACE, _Eigen)

// Every header the implementation uses, at global scope (their include guards keep the
// includes inside the implementation files from re-entering them inside the namespace).
#include "include/pc_kernels.h"
#include "pc_dispatch_table.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace PCK_NAMESPACE {
#include "pc_activation.hpp"
#include "pc_small_gemm.hpp"
#include "pc_kernels_impl.hpp"
#include "pc_conv_impl.hpp"
#include "pc_dense_impl.hpp"
#include "pc_learned_impl.hpp"

// This variant's entry points (constant-initialised: no static-initialisation order).
extern const ::pck::DispatchTable table;
const ::pck::DispatchTable table = {
#define PCK_TABLE_ENTRY(name) &PCK_NAMESPACE::name,
    PCK_ENTRY_POINTS(PCK_TABLE_ENTRY)
#undef PCK_TABLE_ENTRY
};
}  // namespace PCK_NAMESPACE
