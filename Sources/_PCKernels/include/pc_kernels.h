#ifndef PC_KERNELS_H
#define PC_KERNELS_H
// The numerical kernels of PCKit: Eigen 3.4 behind a C ABI.
//
// Conventions
// - Matrices are row-major. `ld*` is the leading dimension (the distance in elements between
//   the starts of consecutive rows), at least the number of stored columns.
// - `trans*` = 0 uses the stored matrix, 1 its transpose. op(A) is m×k, op(B) is k×n, C is m×n.
// - Every function returns a status: PCK_OK, or a non-zero code; it never aborts and no C++
//   exception crosses this boundary. Callers (PCNumerics) check shapes first and turn a non-zero
//   status into a typed Swift error.
// - Sizes of zero are valid and do nothing (beyond scaling by beta where stated).
// - NaN and infinities propagate as IEEE 754 says (ReLU of NaN is NaN).
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PCK_OK = 0,
    PCK_ERR_ARGUMENT = 1,            // a negative size, a too-small leading dimension, a null pointer
    PCK_ERR_NOT_POSITIVE_DEFINITE = 2,
    PCK_ERR_INTERNAL = 3             // an exception inside Eigen (e.g. allocation failure)
};

// Activation codes for the fused and elementwise kernels. `slope` is used by leaky ReLU only.
enum {
    PCK_ACT_IDENTITY = 0,
    PCK_ACT_TANH = 1,
    PCK_ACT_SIGMOID = 2,
    PCK_ACT_RELU = 3,
    PCK_ACT_LEAKY_RELU = 4,
    PCK_ACT_GELU = 5,        // exact: x·Φ(x) = ½x(1 + erf(x/√2))
    PCK_ACT_SOFTPLUS = 6     // ln(1 + eˣ), computed without overflow
};

#define PCK_DECLARE(T, S)                                                                          \
    /* C = alpha·op(A)·op(B) + beta·C. With beta = 0, C is overwritten (NaN in C is ignored). */   \
    int pck_gemm_##S(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha,       \
                     const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,           \
                     ptrdiff_t ldc);                                                               \
    /* y = alpha·op(A)·x + beta·y; A is stored m×n; op(A) is m×n or n×m. */                       \
    int pck_gemv_##S(int transA, ptrdiff_t m, ptrdiff_t n, T alpha, const T *a, ptrdiff_t lda,    \
                     const T *x, T beta, T *y);                                                    \
    /* y += alpha·x */                                                                             \
    int pck_axpy_##S(ptrdiff_t n, T alpha, const T *x, T *y);                                      \
    /* x *= alpha */                                                                               \
    int pck_scale_##S(ptrdiff_t n, T alpha, T *x);                                                 \
    /* out = act(op(A)·op(B) + bias) with bias (n) broadcast over rows (NULL: none);            */ \
    /* preactivation (m×n, ld = ldout) receives op(A)·op(B) + bias when not NULL.               */ \
    int pck_linear_activation_##S(int activation, T slope, int transA, int transB, ptrdiff_t m,    \
                                  ptrdiff_t n, ptrdiff_t k, const T *a, ptrdiff_t lda, const T *b, \
                                  ptrdiff_t ldb, const T *bias, T *preactivation, T *out,          \
                                  ptrdiff_t ldout);                                                \
    /* y = act(x), elementwise over n values (x and y may alias). */                             \
    int pck_activation_##S(int activation, T slope, ptrdiff_t n, const T *x, T *y);               \
    /* dy = act'(x), elementwise over n values (x and dy may alias). */                          \
    int pck_activation_derivative_##S(int activation, T slope, ptrdiff_t n, const T *x, T *dy);   \
    /* Row-wise softmax of a rows×cols matrix, stabilised by the row maximum (x, y may alias). */ \
    int pck_softmax_rows_##S(ptrdiff_t rows, ptrdiff_t cols, const T *x, ptrdiff_t ldx, T *y,      \
                             ptrdiff_t ldy);                                                       \
    /* out = a ⊙ b, out = a − b, out = a + b over n values (any may alias). */                  \
    int pck_mul_##S(ptrdiff_t n, const T *a, const T *b, T *out);                                  \
    int pck_sub_##S(ptrdiff_t n, const T *a, const T *b, T *out);                                  \
    int pck_add_##S(ptrdiff_t n, const T *a, const T *b, T *out);                                  \
    /* out (rows) = alpha·(sum of each row) + beta·out */                                         \
    int pck_sum_rows_##S(ptrdiff_t rows, ptrdiff_t cols, const T *a, ptrdiff_t lda, T alpha,       \
                         T beta, T *out);                                                          \
    /* out (cols) = alpha·(sum of each column) + beta·out */                                      \
    int pck_sum_columns_##S(ptrdiff_t rows, ptrdiff_t cols, const T *a, ptrdiff_t lda, T alpha,    \
                            T beta, T *out);                                                       \
    /* W (n×k, ld = ldw) += alpha·Σ_i a_iᵀ b_i = alpha·AᵀB, with A batch×n and B batch×k. */     \
    int pck_outer_accumulate_##S(ptrdiff_t batch, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,   \
                                 ptrdiff_t lda, const T *b, ptrdiff_t ldb, T *w, ptrdiff_t ldw);   \
    /* In place: the lower Cholesky factor L of an n×n SPD matrix (A = L·Lᵀ; upper part zeroed). */\
    int pck_cholesky_##S(ptrdiff_t n, T *a, ptrdiff_t lda);                                        \
    /* In place: solves L·Lᵀ·X = B for X (n×nrhs) given the factor from pck_cholesky. */          \
    int pck_cholesky_solve_##S(ptrdiff_t n, ptrdiff_t nrhs, const T *l, ptrdiff_t ldl, T *b,       \
                               ptrdiff_t ldb);

#define PCK_DECLARE_CONV(T, S)                                                                     \
    /* Unfolds image patches: x is batch × (C·H·W) (NCHW per row); cols is (batch·outH·outW) ×  */ \
    /* (C·kh·kw), row p of sample b holding the receptive field of output pixel p; zero padding. */ \
    int pck_im2col_##S(ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width,     \
                       ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t stride, ptrdiff_t pad,                \
                       const T *x, T *cols);                                                       \
    /* The adjoint of im2col: x (batch × C·H·W) = beta·x + Σ over patches of cols. */             \
    int pck_col2im_##S(ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height, ptrdiff_t width,     \
                       ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t stride, ptrdiff_t pad,                \
                       const T *cols, T beta, T *x);                                               \
    /* (batch·P) × C pixel-major rows  <->  batch × (C·P) channel-major rows (NCHW).           */ \
    /* out = alpha·permute(in) + beta·out. direction 0: pixel-major → NCHW; 1: NCHW → pixel-major. */\
    int pck_permute_channels_##S(int direction, ptrdiff_t batch, ptrdiff_t pixels,                 \
                                 ptrdiff_t channels, T alpha, const T *in, T beta, T *out);        \
    /* Pooling over non-overlapping or strided windows of an NCHW batch. mode 0: average, 1: max. */\
    /* argmax (batch × C·outH·outW, may be NULL for average) receives the input index of each max. */\
    int pck_pool_forward_##S(int mode, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height,      \
                             ptrdiff_t width, ptrdiff_t window, ptrdiff_t stride, const T *x,      \
                             T *y, int *argmax);                                                   \
    /* Pooling adjoint: dx = beta·dx + Poolᵀ·dy (average spreads, max routes through argmax). */  \
    int pck_pool_backward_##S(int mode, ptrdiff_t batch, ptrdiff_t channels, ptrdiff_t height,     \
                              ptrdiff_t width, ptrdiff_t window, ptrdiff_t stride, const T *dy,    \
                              const int *argmax, T beta, T *dx);

PCK_DECLARE_CONV(float, f32)
PCK_DECLARE_CONV(double, f64)
#undef PCK_DECLARE_CONV

PCK_DECLARE(float, f32)
PCK_DECLARE(double, f64)
#undef PCK_DECLARE

#ifdef __cplusplus
}
#endif
#endif
