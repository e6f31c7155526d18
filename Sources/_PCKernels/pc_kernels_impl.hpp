// Eigen 3.4 implementations of the kernels declared in pc_kernels.h.
//
// Not a translation unit: pc_variant.hpp includes it inside one namespace per instruction set
// (pck_baseline, pck_avx2, pck_avx512), so each `pck_*` function below is that variant's
// implementation; pc_dispatch.cpp defines the C entry points and forwards to the chosen variant.
//
// Every entry point validates its arguments, maps the raw buffers as row-major Eigen maps with an
// outer stride, and catches any C++ exception so that none crosses the C boundary.
#include "include/pc_kernels.h"
#include "pc_activation.hpp"
#include "pc_small_gemm.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapMatrix = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using ConstMapMatrix = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using MapVector = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstMapVector = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// A stored matrix with `rows` rows, `cols` columns and leading dimension `ld` is valid when the
// sizes are non-negative, ld ≥ cols (ld ≥ 1 for empty matrices) and the pointer is set if any
// element exists.
inline bool validMatrix(const void *p, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ld) {
    if (rows < 0 || cols < 0 || ld < (cols > 1 ? cols : 1)) return false;
    return rows == 0 || cols == 0 || p != nullptr;
}
inline bool validVector(const void *p, ptrdiff_t n) { return n >= 0 && (n == 0 || p != nullptr); }

template <class F>
int guarded(F &&body) {
    try {
        return body();
    } catch (...) {
        return PCK_ERR_INTERNAL;
    }
}

using pck::activate;
using pck::derivative;
using pck::validActivation;


// Eigen's blocked GEMM packs panels of A and B into buffers that it heap-allocates per call once
// they exceed EIGEN_STACK_ALLOCATION_LIMIT (128 KB): a 64×784×128 product would malloc on every
// call. We call the same blocked product with blocking workspaces cached per thread and per
// shape, so after the first call of a shape (warm-up) a product allocates nothing.
template <class T>
using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, T, T, Eigen::Dynamic, Eigen::Dynamic,
                                                      Eigen::Dynamic, 1, false>;

template <class T>
struct BlockingCache {
    static constexpr int capacity = 32;
    struct Entry { ptrdiff_t rows = -1, cols = -1, depth = -1; Blocking<T> *blocking = nullptr; };
    Entry entries[capacity];
    int next = 0;
    ~BlockingCache() { for (auto &e : entries) delete e.blocking; }

    Blocking<T> &get(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t depth) {
        for (auto &e : entries)
            if (e.blocking && e.rows == rows && e.cols == cols && e.depth == depth) return *e.blocking;
        Entry &slot = entries[next];
        next = (next + 1) % capacity;
        delete slot.blocking;
        slot.blocking = nullptr;
        auto *blocking = new Blocking<T>(rows, cols, depth, 1, true);
        blocking->allocateAll();
        slot = Entry{rows, cols, depth, blocking};
        return *blocking;
    }
};

template <class T>
BlockingCache<T> &blockingCache() {
    thread_local BlockingCache<T> cache;
    return cache;
}

// C (row-major m×n) += alpha·op(A)·op(B), computed as the column-major product
// Cᵀ (n×m) = op(B)ᵀ (n×k) · op(A)ᵀ (k×m). A row-major matrix read column-major is its transpose,
// so op(B)ᵀ is column-major when B is not transposed and row-major when it is (likewise A).
template <class T, int LhsOrder, int RhsOrder>
void blockedProduct(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a, ptrdiff_t lda,
                    const T *b, ptrdiff_t ldb, T *c, ptrdiff_t ldc) {
    using Product = Eigen::internal::general_matrix_matrix_product<Eigen::Index, T, LhsOrder, false, T, RhsOrder,
                                                                   false, Eigen::ColMajor, 1>;
    Product::run(n, m, k, b, ldb, a, lda, c, 1, ldc, alpha, blockingCache<T>().get(n, m, k));
}

// Largest B (k × n values) the small kernel takes: 256 KiB, so it stays in L2 across row blocks.
constexpr ptrdiff_t smallGemmElements = 65536;

template <class T>
int gemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,
         ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc) {
    const ptrdiff_t aRows = transA ? k : m, aCols = transA ? m : k;
    const ptrdiff_t bRows = transB ? n : k, bCols = transB ? k : n;
    if (!validMatrix(a, aRows, aCols, lda) || !validMatrix(b, bRows, bCols, ldb) ||
        !validMatrix(c, m, n, ldc))
        return PCK_ERR_ARGUMENT;
    if (m == 0 || n == 0) return PCK_OK;
    return guarded([&] {
        if constexpr (std::is_same<T, float>::value && pck::hasSmallGemm) {
            // Small Float products with B as stored (the PC layers' shapes, e.g. weight gradients
            // εᵀ·φ(x) at batch 32–64): the register-blocked kernel, when B's rows fit in L2.
#if defined(__AVX512F__)
            if (!transB && k > 0 && alpha != T(0) && n * k <= smallGemmElements && (beta == T(0) || beta == T(1)) && m + n + k >= 20) {
                const float *init = beta == T(1) ? c : nullptr;
                if (transA) pck::smallGemm<true>(m, n, k, a, lda, b, ldb, init, ldc, alpha, c, ldc);
                else pck::smallGemm<false>(m, n, k, a, lda, b, ldb, init, ldc, alpha, c, ldc);
                return PCK_OK;
            }
#endif
        }
        MapMatrix<T> C(c, m, n, Eigen::OuterStride<>(ldc));
        if (beta == T(0)) C.setZero();
        else if (beta != T(1)) C *= beta;
        if (k == 0 || alpha == T(0)) return PCK_OK;
        if (m + n + k < 20) {
            // Tiny products: Eigen's coefficient-based product (what it picks itself below this size).
            ConstMapMatrix<T> A(a, aRows, aCols, Eigen::OuterStride<>(lda));
            ConstMapMatrix<T> B(b, bRows, bCols, Eigen::OuterStride<>(ldb));
            if (!transA && !transB) C.noalias() += alpha * A.lazyProduct(B);
            else if (transA && !transB) C.noalias() += alpha * A.transpose().lazyProduct(B);
            else if (!transA && transB) C.noalias() += alpha * A.lazyProduct(B.transpose());
            else C.noalias() += alpha * A.transpose().lazyProduct(B.transpose());
            return PCK_OK;
        }
        constexpr int Col = Eigen::ColMajor, Row = Eigen::RowMajor;
        if (!transA && !transB) blockedProduct<T, Col, Col>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
        else if (transA && !transB) blockedProduct<T, Col, Row>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
        else if (!transA && transB) blockedProduct<T, Row, Col>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
        else blockedProduct<T, Row, Row>(m, n, k, alpha, a, lda, b, ldb, c, ldc);
        return PCK_OK;
    });
}

template <class T>
int gemv(int transA, ptrdiff_t m, ptrdiff_t n, T alpha, const T *a, ptrdiff_t lda, const T *x,
         T beta, T *y) {
    const ptrdiff_t outN = transA ? n : m, inN = transA ? m : n;
    if (!validMatrix(a, m, n, lda) || !validVector(x, inN) || !validVector(y, outN))
        return PCK_ERR_ARGUMENT;
    if (outN == 0) return PCK_OK;
    // Tiny systems (the controllers' 2–8 dimensions): a plain loop beats Eigen's dynamic-size
    // dispatch by an order of magnitude.
    if (m <= 8 && n <= 8) {
        T tmp[8];
        for (ptrdiff_t i = 0; i < outN; ++i) {
            T s = T(0);
            if (!transA) for (ptrdiff_t j = 0; j < n; ++j) s += a[i * lda + j] * x[j];
            else for (ptrdiff_t j = 0; j < m; ++j) s += a[j * lda + i] * x[j];
            tmp[i] = s;
        }
        for (ptrdiff_t i = 0; i < outN; ++i)
            y[i] = beta == T(0) ? alpha * tmp[i] : alpha * tmp[i] + beta * y[i];
        return PCK_OK;
    }
    return guarded([&] {
        ConstMapMatrix<T> A(a, m, n, Eigen::OuterStride<>(lda));
        ConstMapVector<T> X(x, inN);
        MapVector<T> Y(y, outN);
        if (beta == T(0)) Y.setZero();
        else if (beta != T(1)) Y *= beta;
        if (inN == 0) return PCK_OK;
        if (!transA) Y.noalias() += alpha * A * X;
        else Y.noalias() += alpha * A.transpose() * X;
        return PCK_OK;
    });
}

template <class T>
int applyActivation(int act, T slope, ptrdiff_t n, const T *x, T *y) {
    if (!validActivation(act) || !validVector(x, n) || !validVector(y, n)) return PCK_ERR_ARGUMENT;
    switch (act) {
    case PCK_ACT_IDENTITY: if (x != y) for (ptrdiff_t i = 0; i < n; ++i) y[i] = x[i]; break;
    case PCK_ACT_RELU: for (ptrdiff_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i]; break;
    case PCK_ACT_TANH:
        // Eigen's vectorised tanh is accurate to a few ulp and much faster than std::tanh.
        MapVector<T>(y, n) = ConstMapVector<T>(x, n).array().tanh().matrix();
        break;
    default: for (ptrdiff_t i = 0; i < n; ++i) y[i] = activate<T>(act, slope, x[i]); break;
    }
    return PCK_OK;
}

template <class T>
int linearActivation(int act, T slope, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                     ptrdiff_t k, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,
                     const T *bias, T *pre, T *out, ptrdiff_t ldout) {
    if (!validActivation(act)) return PCK_ERR_ARGUMENT;
    T *target = pre ? pre : out;
    int status = gemm<T>(transA, transB, m, n, k, T(1), a, lda, b, ldb, T(0), target, ldout);
    if (status != PCK_OK) return status;
    if (!validMatrix(out, m, n, ldout)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t i = 0; i < m; ++i) {
        T *row = target + i * ldout;
        if (bias) for (ptrdiff_t j = 0; j < n; ++j) row[j] += bias[j];
        status = applyActivation<T>(act, slope, n, row, out + i * ldout);
        if (status != PCK_OK) return status;
    }
    return PCK_OK;
}

template <class T>
int activationDerivative(int act, T slope, ptrdiff_t n, const T *x, T *dy) {
    if (!validActivation(act) || !validVector(x, n) || !validVector(dy, n)) return PCK_ERR_ARGUMENT;
    if (act == PCK_ACT_TANH) {
        auto t = ConstMapVector<T>(x, n).array().tanh();
        MapVector<T>(dy, n) = (T(1) - t * t).matrix();
        return PCK_OK;
    }
    for (ptrdiff_t i = 0; i < n; ++i) dy[i] = derivative<T>(act, slope, x[i]);
    return PCK_OK;
}

template <class T>
int softmaxRows(ptrdiff_t rows, ptrdiff_t cols, const T *x, ptrdiff_t ldx, T *y, ptrdiff_t ldy) {
    if (!validMatrix(x, rows, cols, ldx) || !validMatrix(y, rows, cols, ldy)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t i = 0; i < rows; ++i) {
        const T *xi = x + i * ldx;
        T *yi = y + i * ldy;
        T mx = -std::numeric_limits<T>::infinity();
        bool nan = false;
        for (ptrdiff_t j = 0; j < cols; ++j) { if (xi[j] != xi[j]) nan = true; else if (xi[j] > mx) mx = xi[j]; }
        if (nan) { for (ptrdiff_t j = 0; j < cols; ++j) yi[j] = std::numeric_limits<T>::quiet_NaN(); continue; }
        T sum = T(0);
        for (ptrdiff_t j = 0; j < cols; ++j) { yi[j] = std::exp(xi[j] - mx); sum += yi[j]; }
        const T inv = T(1) / sum;
        for (ptrdiff_t j = 0; j < cols; ++j) yi[j] *= inv;
    }
    return PCK_OK;
}

template <class T, class Op>
int elementwise(ptrdiff_t n, const T *a, const T *b, T *out, Op op) {
    if (!validVector(a, n) || !validVector(b, n) || !validVector(out, n)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
    return PCK_OK;
}

template <class T>
int sumRows(ptrdiff_t rows, ptrdiff_t cols, const T *a, ptrdiff_t lda, T alpha, T beta, T *out) {
    if (!validMatrix(a, rows, cols, lda) || !validVector(out, rows)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t i = 0; i < rows; ++i) {
        T s = T(0);
        for (ptrdiff_t j = 0; j < cols; ++j) s += a[i * lda + j];
        out[i] = beta == T(0) ? alpha * s : alpha * s + beta * out[i];
    }
    return PCK_OK;
}

template <class T>
int sumColumns(ptrdiff_t rows, ptrdiff_t cols, const T *a, ptrdiff_t lda, T alpha, T beta, T *out) {
    if (!validMatrix(a, rows, cols, lda) || !validVector(out, cols)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t j = 0; j < cols; ++j) out[j] = beta == T(0) ? T(0) : beta * out[j];
    for (ptrdiff_t i = 0; i < rows; ++i) {
        const T *ai = a + i * lda;
        for (ptrdiff_t j = 0; j < cols; ++j) out[j] += alpha * ai[j];
    }
    return PCK_OK;
}

template <class T>
int cholesky(ptrdiff_t n, T *a, ptrdiff_t lda) {
    if (!validMatrix(a, n, n, lda)) return PCK_ERR_ARGUMENT;
    // Unblocked left-looking Cholesky: small systems only (controllers, precisions).
    for (ptrdiff_t j = 0; j < n; ++j) {
        T d = a[j * lda + j];
        for (ptrdiff_t p = 0; p < j; ++p) d -= a[j * lda + p] * a[j * lda + p];
        if (!(d > T(0))) return PCK_ERR_NOT_POSITIVE_DEFINITE;  // also catches NaN
        const T ljj = std::sqrt(d);
        a[j * lda + j] = ljj;
        for (ptrdiff_t i = j + 1; i < n; ++i) {
            T s = a[i * lda + j];
            for (ptrdiff_t p = 0; p < j; ++p) s -= a[i * lda + p] * a[j * lda + p];
            a[i * lda + j] = s / ljj;
        }
        for (ptrdiff_t i = 0; i < j; ++i) a[i * lda + j] = T(0);
    }
    return PCK_OK;
}

template <class T>
int choleskySolve(ptrdiff_t n, ptrdiff_t nrhs, const T *l, ptrdiff_t ldl, T *b, ptrdiff_t ldb) {
    if (!validMatrix(l, n, n, ldl) || !validMatrix(b, n, nrhs, ldb)) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t c = 0; c < nrhs; ++c) {
        // Forward substitution L·z = b, then back substitution Lᵀ·x = z.
        for (ptrdiff_t i = 0; i < n; ++i) {
            T s = b[i * ldb + c];
            for (ptrdiff_t p = 0; p < i; ++p) s -= l[i * ldl + p] * b[p * ldb + c];
            b[i * ldb + c] = s / l[i * ldl + i];
        }
        for (ptrdiff_t i = n - 1; i >= 0; --i) {
            T s = b[i * ldb + c];
            for (ptrdiff_t p = i + 1; p < n; ++p) s -= l[p * ldl + i] * b[p * ldb + c];
            b[i * ldb + c] = s / l[i * ldl + i];
        }
    }
    return PCK_OK;
}

}  // namespace

#define PCK_DEFINE(T, S)                                                                           \
    int pck_gemm_##S(int tA, int tB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,   \
                     ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc) {      \
        return gemm<T>(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);                      \
    }                                                                                              \
    int pck_gemv_##S(int tA, ptrdiff_t m, ptrdiff_t n, T alpha, const T *a, ptrdiff_t lda,         \
                     const T *x, T beta, T *y) {                                                   \
        return gemv<T>(tA, m, n, alpha, a, lda, x, beta, y);                                       \
    }                                                                                              \
    int pck_axpy_##S(ptrdiff_t n, T alpha, const T *x, T *y) {                                     \
        if (!validVector(x, n) || !validVector(y, n)) return PCK_ERR_ARGUMENT;                     \
        for (ptrdiff_t i = 0; i < n; ++i) y[i] += alpha * x[i];                                    \
        return PCK_OK;                                                                             \
    }                                                                                              \
    int pck_scale_##S(ptrdiff_t n, T alpha, T *x) {                                                \
        if (!validVector(x, n)) return PCK_ERR_ARGUMENT;                                           \
        for (ptrdiff_t i = 0; i < n; ++i) x[i] *= alpha;                                           \
        return PCK_OK;                                                                             \
    }                                                                                              \
    int pck_linear_activation_##S(int act, T slope, int tA, int tB, ptrdiff_t m, ptrdiff_t n,      \
                                  ptrdiff_t k, const T *a, ptrdiff_t lda, const T *b,              \
                                  ptrdiff_t ldb, const T *bias, T *pre, T *out, ptrdiff_t ldout) { \
        return linearActivation<T>(act, slope, tA, tB, m, n, k, a, lda, b, ldb, bias, pre, out,    \
                                   ldout);                                                         \
    }                                                                                              \
    int pck_activation_##S(int act, T slope, ptrdiff_t n, const T *x, T *y) {                      \
        return applyActivation<T>(act, slope, n, x, y);                                            \
    }                                                                                              \
    int pck_activation_derivative_##S(int act, T slope, ptrdiff_t n, const T *x, T *dy) {          \
        return activationDerivative<T>(act, slope, n, x, dy);                                      \
    }                                                                                              \
    int pck_softmax_rows_##S(ptrdiff_t r, ptrdiff_t c, const T *x, ptrdiff_t ldx, T *y,            \
                             ptrdiff_t ldy) {                                                      \
        return softmaxRows<T>(r, c, x, ldx, y, ldy);                                               \
    }                                                                                              \
    int pck_mul_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return elementwise<T>(n, a, b, out, [](T x, T y) { return x * y; });                       \
    }                                                                                              \
    int pck_sub_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return elementwise<T>(n, a, b, out, [](T x, T y) { return x - y; });                       \
    }                                                                                              \
    int pck_add_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return elementwise<T>(n, a, b, out, [](T x, T y) { return x + y; });                       \
    }                                                                                              \
    int pck_sum_rows_##S(ptrdiff_t r, ptrdiff_t c, const T *a, ptrdiff_t lda, T alpha, T beta,     \
                         T *out) {                                                                 \
        return sumRows<T>(r, c, a, lda, alpha, beta, out);                                         \
    }                                                                                              \
    int pck_sum_columns_##S(ptrdiff_t r, ptrdiff_t c, const T *a, ptrdiff_t lda, T alpha, T beta,  \
                            T *out) {                                                              \
        return sumColumns<T>(r, c, a, lda, alpha, beta, out);                                      \
    }                                                                                              \
    int pck_outer_accumulate_##S(ptrdiff_t batch, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,   \
                                 ptrdiff_t lda, const T *b, ptrdiff_t ldb, T *w, ptrdiff_t ldw) {  \
        return gemm<T>(1, 0, n, k, batch, alpha, a, lda, b, ldb, T(1), w, ldw);                    \
    }                                                                                              \
    int pck_cholesky_##S(ptrdiff_t n, T *a, ptrdiff_t lda) { return cholesky<T>(n, a, lda); }      \
    int pck_cholesky_solve_##S(ptrdiff_t n, ptrdiff_t nrhs, const T *l, ptrdiff_t ldl, T *b,       \
                               ptrdiff_t ldb) {                                                    \
        return choleskySolve<T>(n, nrhs, l, ldl, b, ldb);                                          \
    }

PCK_DEFINE(float, f32)
PCK_DEFINE(double, f64)

// Adam / AdamW (one pass, vectorised; the bias corrections are folded into a and c2 by the caller).
namespace {
template <class T>
int adam(ptrdiff_t n, T *p, const T *g, T *m, T *v, T b1, T b2, T a, T c2, T eps, T decay) {
    if (n < 0 || (n > 0 && (!p || !g || !m || !v))) return PCK_ERR_ARGUMENT;
    const T o1 = T(1) - b1, o2 = T(1) - b2;
    for (ptrdiff_t i = 0; i < n; ++i) {
        const T gi = g[i];
        const T mi = b1 * m[i] + o1 * gi;
        const T vi = b2 * v[i] + o2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - a * mi / (std::sqrt(c2 * vi) + eps) - decay * p[i];
    }
    return PCK_OK;
}
}  // namespace

int pck_adam_f32(ptrdiff_t n, float *p, const float *g, float *m, float *v, float b1, float b2, float a, float c2,
                 float eps, float decay) {
    return adam<float>(n, p, g, m, v, b1, b2, a, c2, eps, decay);
}
int pck_adam_f64(ptrdiff_t n, double *p, const double *g, double *m, double *v, double b1, double b2, double a,
                 double c2, double eps, double decay) {
    return adam<double>(n, p, g, m, v, b1, b2, a, c2, eps, decay);
}

// Sharded Adam: part `part` of every tensor, the shard gradients combined on the way.
namespace {
template <class T>
void adamJobPart(const pck_adam_job *job, ptrdiff_t part) {
    constexpr ptrdiff_t line = 64 / ptrdiff_t(sizeof(T));
    const T b1 = T(job->beta1), b2 = T(job->beta2), a = T(job->a), c2 = T(job->c2), eps = T(job->epsilon),
            decay = T(job->decay);
    const ptrdiff_t K = job->shards;
    for (ptrdiff_t t = 0; t < job->tensors; ++t) {
        const ptrdiff_t n = job->counts[t];
        // Slice boundaries on cache lines: part i gets [start(i), start(i + 1)).
        auto start = [&](ptrdiff_t i) { return i >= job->parts ? n : (n * i / job->parts) / line * line; };
        const ptrdiff_t lo = start(part), hi = start(part + 1);
        if (lo >= hi) continue;
        T *p = static_cast<T *>(job->parameters[t]), *m = static_cast<T *>(job->first_moments[t]),
          *v = static_cast<T *>(job->second_moments[t]), *g = static_cast<T *>(job->combined[t]);
        const T *g0 = static_cast<const T *>(job->shard_gradients[t]);
        const T w0 = T(job->weights[0]);
        for (ptrdiff_t i = lo; i < hi; ++i) g[i] = w0 * g0[i];
        for (ptrdiff_t k = 1; k < K; ++k) {
            const T *gk = static_cast<const T *>(job->shard_gradients[k * job->tensors + t]);
            const T wk = T(job->weights[k]);
            for (ptrdiff_t i = lo; i < hi; ++i) g[i] += wk * gk[i];
        }
        adam<T>(hi - lo, p + lo, g + lo, m + lo, v + lo, b1, b2, a, c2, eps, decay);
    }
}
}  // namespace

void pck_adam_job_run_f32(void *job, ptrdiff_t part) { adamJobPart<float>(static_cast<const pck_adam_job *>(job), part); }
void pck_adam_job_run_f64(void *job, ptrdiff_t part) { adamJobPart<double>(static_cast<const pck_adam_job *>(job), part); }
