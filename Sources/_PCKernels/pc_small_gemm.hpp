// Internal to _PCKernels: the register-blocked AVX-512 kernel for the small Float products of
// predictive-coding networks (batch 1…~100, layers up to ~1000 wide), shared by the fused settle
// loop (pc_dense.cpp) and pck_gemm_f32 (pc_kernels.cpp).
//
// C (m×n) = init + α · R (m×k) · P (k×n), row-major, in tiles of 8 rows × 32 columns (16 zmm
// accumulators): per k, two rows of P are loaded and eight R values broadcast. R may be given as
// itself (element (i, q) at r[i·ldr + q]) or as its transpose (at r[q·ldr + i]). `init` is a row
// broadcast over the rows (ldInit = 0, e.g. a bias), a matrix (ldInit > 0, e.g. C itself for
// β = 1), or nothing. Measured on the build machine at 32×128×128: ~110 GFLOP/s against ~80 for
// Eigen's GEBP, which is tuned for large products (it packs both operands on every call).
#ifndef PC_SMALL_GEMM_HPP
#define PC_SMALL_GEMM_HPP

#include <algorithm>
#include <cstddef>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace pck {

#if defined(__AVX512F__)
constexpr bool hasSmallGemm = true;

template <int NR, int NV, bool TransR>
inline void smallTile(ptrdiff_t k, const float *r, ptrdiff_t ldr, const float *p, ptrdiff_t ldp, const float *init,
                      ptrdiff_t ldInit, float alpha, float *c, ptrdiff_t ldc, __mmask16 last) {
    __m512 acc[NR][NV];
    // α = 1 accumulates onto init directly (the settle loop's bias-initialised predictions).
    const bool fold = alpha == 1.0f;
    for (int v = 0; v < NV; ++v) {
        const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xFFFF);
        for (int i = 0; i < NR; ++i)
            acc[i][v] = fold && init ? _mm512_maskz_loadu_ps(mask, init + i * ldInit + 16 * v) : _mm512_setzero_ps();
    }
    for (ptrdiff_t q = 0; q < k; ++q) {
        __m512 b[NV];
        for (int v = 0; v < NV; ++v)
            b[v] = _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xFFFF), p + q * ldp + 16 * v);
        for (int i = 0; i < NR; ++i) {
            const __m512 a = _mm512_set1_ps(TransR ? r[q * ldr + i] : r[i * ldr + q]);
            for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
        }
    }
    if (!fold) {
        const __m512 s = _mm512_set1_ps(alpha);
        for (int i = 0; i < NR; ++i)
            for (int v = 0; v < NV; ++v) {
                const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xFFFF);
                acc[i][v] = init ? _mm512_fmadd_ps(s, acc[i][v], _mm512_maskz_loadu_ps(mask, init + i * ldInit + 16 * v))
                                 : _mm512_mul_ps(s, acc[i][v]);
            }
    }
    for (int i = 0; i < NR; ++i)
        for (int v = 0; v < NV; ++v)
            _mm512_mask_storeu_ps(c + i * ldc + 16 * v, v == NV - 1 ? last : __mmask16(0xFFFF), acc[i][v]);
}

// Every row of one column block (NV vectors wide, the last masked by `last`).
template <int NV, bool TransR>
void smallRows(ptrdiff_t m, ptrdiff_t k, const float *r, ptrdiff_t ldr, const float *p, ptrdiff_t ldp,
               const float *init, ptrdiff_t ldInit, float alpha, float *c, ptrdiff_t ldc, __mmask16 last) {
    // Row i of R starts at r + i·ldr (or r + i transposed); row i of init at init + i·ldInit.
    auto rowR = [&](ptrdiff_t i) { return TransR ? r + i : r + i * ldr; };
    auto rowInit = [&](ptrdiff_t i) { return init ? init + i * ldInit : nullptr; };
    ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8)
        smallTile<8, NV, TransR>(k, rowR(i), ldr, p, ldp, rowInit(i), ldInit, alpha, c + i * ldc, ldc, last);
    const float *ri = rowR(i), *ii = rowInit(i);
    float *ci = c + i * ldc;
    switch (m - i) {
    case 7: smallTile<7, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 6: smallTile<6, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 5: smallTile<5, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 4: smallTile<4, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 3: smallTile<3, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 2: smallTile<2, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    case 1: smallTile<1, NV, TransR>(k, ri, ldr, p, ldp, ii, ldInit, alpha, ci, ldc, last); break;
    default: break;
    }
}

// C = init + α·op(R)·P over all column blocks (P's row stride ldp, C's ldc).
template <bool TransR>
void smallGemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *r, ptrdiff_t ldr, const float *p, ptrdiff_t ldp,
               const float *init, ptrdiff_t ldInit, float alpha, float *c, ptrdiff_t ldc) {
    ptrdiff_t j = 0;
    for (; j + 32 <= n; j += 32)
        smallRows<2, TransR>(m, k, r, ldr, p + j, ldp, init ? init + j : nullptr, ldInit, alpha, c + j, ldc, 0xFFFF);
    const ptrdiff_t rest = n - j;
    const float *initRest = init ? init + j : nullptr;
    if (rest > 16)
        smallRows<2, TransR>(m, k, r, ldr, p + j, ldp, initRest, ldInit, alpha, c + j, ldc, __mmask16((1u << (rest - 16)) - 1));
    else if (rest == 16)
        smallRows<1, TransR>(m, k, r, ldr, p + j, ldp, initRest, ldInit, alpha, c + j, ldc, 0xFFFF);
    else if (rest > 0)
        smallRows<1, TransR>(m, k, r, ldr, p + j, ldp, initRest, ldInit, alpha, c + j, ldc, __mmask16((1u << rest) - 1));
}
#else
constexpr bool hasSmallGemm = false;
#endif

}  // namespace pck
#endif
