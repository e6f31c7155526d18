// Internal to the kernels: the table of entry points that each instruction-set variant of the
// kernels fills (pc_variant.hpp) and the dispatcher forwards to (pc_dispatch.cpp).
#ifndef PC_DISPATCH_TABLE_HPP
#define PC_DISPATCH_TABLE_HPP
#include "include/pc_kernels.h"

// Every entry point of pc_kernels.h that computes (the thread pool and the path selection are
// not dispatched). X(name) is applied to each.
#define PCK_TYPED_ENTRY_POINTS(X, S)                                                               \
    X(pck_gemm_##S) X(pck_gemv_##S) X(pck_axpy_##S) X(pck_scale_##S) X(pck_linear_activation_##S)  \
    X(pck_activation_##S) X(pck_activation_derivative_##S) X(pck_softmax_rows_##S) X(pck_mul_##S)  \
    X(pck_sub_##S) X(pck_add_##S) X(pck_sum_rows_##S) X(pck_sum_columns_##S)                       \
    X(pck_outer_accumulate_##S) X(pck_cholesky_##S) X(pck_cholesky_solve_##S) X(pck_im2col_##S)    \
    X(pck_col2im_##S) X(pck_permute_channels_##S) X(pck_pool_forward_##S)                          \
    X(pck_pool_backward_##S) X(pck_pc_dense_settle_##S) X(pck_adam_##S) X(pck_adam_job_run_##S)
#define PCK_ENTRY_POINTS(X) PCK_TYPED_ENTRY_POINTS(X, f32) PCK_TYPED_ENTRY_POINTS(X, f64) X(pck_learned_forward_f64) \
    X(pck_learned_record_f64)

namespace pck {
// One pointer per entry point, typed from its declaration in pc_kernels.h: a variant whose
// function differs in signature does not compile.
struct DispatchTable {
#define PCK_TABLE_FIELD(name) decltype(&::name) name;
    PCK_ENTRY_POINTS(PCK_TABLE_FIELD)
#undef PCK_TABLE_FIELD
};
}  // namespace pck

// The variants' tables. pck_avx2 and pck_avx512 exist on x86-64 only (their targets compile
// nothing elsewhere).
namespace pck_baseline { extern const pck::DispatchTable table; }
#if defined(__x86_64__)
namespace pck_avx2 { extern const pck::DispatchTable table; }
namespace pck_avx512 { extern const pck::DispatchTable table; }
#endif
#endif
