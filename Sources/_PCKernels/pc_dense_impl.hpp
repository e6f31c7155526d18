// Fused settle loop of a dense predictive-coding network (pck_pc_dense_settle_*): synchronous
// gradient descent, or SeqIL's sequential sweep (`sweep`).
// Not a translation unit: included per instruction set by pc_variant.hpp (see pc_kernels_impl.hpp);
// its products call the same variant's pck_gemm_*.
//
// The same mathematics as PCCore's generic `PCNetwork.settle` for synchronous gradient descent
// with the input and output clamped (PCCore article EnergyAndInference, sections Energy to Fused kernel), in one call instead of one kernel call
// per operation:
//   energy   ε_ℓ = x_ℓ − μ_ℓ (and Π_ℓ ε_ℓ) and Σ ε·Πε in one vectorised pass;
//   update   x_ℓ ← x_ℓ − γ(Π_ℓ ε_ℓ − φ′(x_ℓ) ⊙ f_ℓ), with φ(x_ℓ) (and φ′(x_ℓ), except for the
//            piecewise-linear activations, whose φ′ is derived from x) in the same sweep;
//   products predictions as bias-initialised products (no separate zeroing or bias pass), on the
//            register-blocked AVX-512 kernel for Float (pc_small_gemm.hpp) with Wᵀ transposed
//            once per settle.
// The previous state is kept as the best one by ping-ponging between two buffers per layer
// instead of copying. After warm-up nothing allocates (the transposes and Eigen's blocking use
// per-thread buffers that grow only on a larger network).
#include "pc_activation.hpp"
#include "include/pc_kernels.h"
#include "pc_small_gemm.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <type_traits>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#include <cmath>

namespace {

template <class T>
int gemmT(int tA, int tB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a, ptrdiff_t lda,
          const T *b, ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc);
template <>
int gemmT<float>(int tA, int tB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha, const float *a,
                 ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc) {
    return pck_gemm_f32(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
template <>
int gemmT<double>(int tA, int tB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha, const double *a,
                  ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta, double *c, ptrdiff_t ldc) {
    return pck_gemm_f64(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// The settle loop's products, C (B×n) = init + R (B×k) · P (k×n), all row-major, where `init`
// is a bias row broadcast over the rows (or zero) and P is W_ℓᵀ (predictions) or W_{ℓ+1}
// (feedback). On AVX-512 machines the register-blocked kernel of pc_small_gemm.hpp computes
// them; elsewhere, and for Double, Eigen's GEMM.
constexpr ptrdiff_t smallLimit = 1024;
#if defined(__AVX512F__)
template <class T> constexpr bool hasSmallKernel = std::is_same<T, float>::value;
#else
template <class T> constexpr bool hasSmallKernel = false;
#endif

template <class T>
struct AlignedBuffer {
    T *data = nullptr;
    size_t capacity = 0;
    ~AlignedBuffer() { Eigen::internal::aligned_free(data); }
    T *reserve(size_t n) {
        if (n > capacity) {
            Eigen::internal::aligned_free(data);
            data = static_cast<T *>(Eigen::internal::aligned_malloc(n * sizeof(T)));
            capacity = n;
        }
        return data;
    }
};

// Wᵀ of every layer, per thread (grows at warm-up only).
template <class T>
AlignedBuffer<T> &transposeCache() {
    thread_local AlignedBuffer<T> cache;
    return cache;
}

// dst (k×n) = srcᵀ, src row-major n×k: 8×8 tiles transposed in AVX registers, edges scalar.
inline void transpose(const float *src, ptrdiff_t n, ptrdiff_t k, float *dst) {
    ptrdiff_t i0 = 0;
#if defined(__AVX__)
    for (; i0 + 8 <= n; i0 += 8) {
        ptrdiff_t j0 = 0;
        for (; j0 + 8 <= k; j0 += 8) {
            __m256 r[8], t[8];
            for (int a = 0; a < 8; ++a) r[a] = _mm256_loadu_ps(src + (i0 + a) * k + j0);
            for (int a = 0; a < 8; a += 2) {
                t[a] = _mm256_unpacklo_ps(r[a], r[a + 1]);
                t[a + 1] = _mm256_unpackhi_ps(r[a], r[a + 1]);
            }
            for (int a = 0; a < 8; a += 4) {
                r[a] = _mm256_shuffle_ps(t[a], t[a + 2], _MM_SHUFFLE(1, 0, 1, 0));
                r[a + 1] = _mm256_shuffle_ps(t[a], t[a + 2], _MM_SHUFFLE(3, 2, 3, 2));
                r[a + 2] = _mm256_shuffle_ps(t[a + 1], t[a + 3], _MM_SHUFFLE(1, 0, 1, 0));
                r[a + 3] = _mm256_shuffle_ps(t[a + 1], t[a + 3], _MM_SHUFFLE(3, 2, 3, 2));
            }
            for (int a = 0; a < 4; ++a) {
                _mm256_storeu_ps(dst + (j0 + a) * n + i0, _mm256_permute2f128_ps(r[a], r[a + 4], 0x20));
                _mm256_storeu_ps(dst + (j0 + a + 4) * n + i0, _mm256_permute2f128_ps(r[a], r[a + 4], 0x31));
            }
        }
        for (; j0 < k; ++j0)
            for (ptrdiff_t a = 0; a < 8; ++a) dst[j0 * n + i0 + a] = src[(i0 + a) * k + j0];
    }
#endif
    for (; i0 < n; ++i0)
        for (ptrdiff_t j = 0; j < k; ++j) dst[j * n + i0] = src[i0 * k + j];
}

#if defined(__AVX512F__)
inline bool smallProduct(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *r, const float *p, const float *init,
                         float *c) {
    if (n > smallLimit || k > smallLimit) return false;
    pck::smallGemm<false>(m, n, k, r, k, p, n, init, 0, 1.0f, c, n);
    return true;
}
#endif

inline bool smallProduct(ptrdiff_t, ptrdiff_t, ptrdiff_t, const double *, const double *, const double *, double *) {
    return false;
}
#if !defined(__AVX512F__)
inline bool smallProduct(ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *, const float *, const float *, float *) {
    return false;
}
#endif

// C (B×n) = init + R (B×k) · op(W): op(W) = Wᵀ given as its transpose `wt` (k×n) when not null,
// else W (k×n) itself. Eigen computes what the small kernel does not take.
template <class T>
int product(ptrdiff_t B, ptrdiff_t n, ptrdiff_t k, const T *r, const T *p, const T *w, bool transposeW, const T *init, T *c) {
    if (p && smallProduct(B, n, k, r, p, init, c)) return PCK_OK;
    if (init)
        for (ptrdiff_t i = 0; i < B; ++i) std::copy(init, init + n, c + i * n);
    // transposeW: W is stored n×k (ld k); otherwise k×n (ld n).
    return gemmT<T>(0, transposeW ? 1 : 0, B, n, k, T(1), r, k, w, transposeW ? k : n, init ? T(1) : T(0), c, n);
}

template <class T>
struct Dense {
    const pck_pc_dense &net;
    ptrdiff_t L, B;
    unsigned char which[64];      // which buffer holds the current x_ℓ
    unsigned char bestWhich[64];  // which buffer holds the best x_ℓ
    mutable bool derivativesStale[64] = {};  // φ′(x_ℓ) not yet written for the current x_ℓ
    const T *transposed[64] = {};  // W_ℓᵀ (n_{ℓ−1} × n_ℓ) for the small-product kernel, or nullptr
    static constexpr bool smallKernel = hasSmallKernel<T>;

    explicit Dense(const pck_pc_dense &n) : net(n), L(n.depth), B(n.batch) {
        for (ptrdiff_t l = 0; l <= L; ++l) which[l] = bestWhich[l] = 0;
    }

    // Wᵀ of every layer the small kernel takes (once per settle; Float on AVX-512 only).
    void pack() {
        if constexpr (smallKernel) {
            size_t total = 0;
            for (ptrdiff_t l = 1; l <= L; ++l) total += size_t(size(l) * size(l - 1)) + 16;
            T *block = transposeCache<T>().reserve(total);
            for (ptrdiff_t l = 1; l <= L; ++l) {
                const ptrdiff_t n = size(l), k = size(l - 1);
                transpose(weight(l), n, k, block);
                transposed[l] = block;
                block += (size_t(n * k) + 15) / 16 * 16;
            }
        }  // otherwise Eigen computes every product
    }

    ptrdiff_t size(ptrdiff_t l) const { return net.sizes[l]; }
    T *buffer(int role, ptrdiff_t l) const { return static_cast<T *>(net.buffers[role * (L + 1) + l]); }
    const T *weight(ptrdiff_t l) const { return static_cast<const T *>(net.parameters[3 * (l - 1)]); }
    const T *bias(ptrdiff_t l) const { return static_cast<const T *>(net.parameters[3 * (l - 1) + 1]); }
    const T *precision(ptrdiff_t l) const { return static_cast<const T *>(net.parameters[3 * (l - 1) + 2]); }
    T *x(ptrdiff_t l) const { return buffer(which[l] ? PCK_PC_ALTERNATES : PCK_PC_ACTIVITIES, l); }
    // Π_ℓ ε_ℓ as the gradients read it.
    const T *weighted(ptrdiff_t l) const {
        return precision(l) ? buffer(PCK_PC_WEIGHTED_ERRORS, l) : buffer(PCK_PC_ERRORS, l);
    }

    // φ(x_ℓ), φ′(x_ℓ) of the current activities.
    void refreshRates(ptrdiff_t l) const {
        const ptrdiff_t n = B * size(l);
        const int act = net.activations[l];
        const T slope = T(net.slopes[l]);
        pck_activation<T>(act, slope, n, x(l), buffer(PCK_PC_RATES, l), buffer(PCK_PC_DERIVATIVES, l));
        derivativesStale[l] = false;
    }

    // μ_ℓ = φ(x_{ℓ−1}) W_ℓᵀ + b_ℓ: rows initialised with b_ℓ, then accumulated by the GEMM.
    int predict(ptrdiff_t l) const {
        return product<T>(B, size(l), size(l - 1), buffer(PCK_PC_RATES, l - 1), transposed[l], weight(l), true, bias(l),
                          buffer(PCK_PC_PREDICTIONS, l));
    }

    // ε_ℓ (and Π_ℓ ε_ℓ) of every layer; returns F_B.
    double energy() const {
        double total = 0;
        for (ptrdiff_t l = 1; l <= L; ++l) {
            const ptrdiff_t cols = size(l), n = B * cols;
            const T *xl = x(l), *mu = buffer(PCK_PC_PREDICTIONS, l);
            T *e = buffer(PCK_PC_ERRORS, l);
            const T *pi = precision(l);
            const T s = pi ? errorPass(B, cols, xl, mu, pi, e, buffer(PCK_PC_WEIGHTED_ERRORS, l))
                           : errorPass(B * cols, xl, mu, e);
            total += 0.5 * double(s) + (net.energy_offsets ? net.energy_offsets[l - 1] : 0.0);
        }
        return total / double(B);
    }

    // ε = x − μ over n values and Σε², in one pass summed in 16 lanes (vectorised without
    // reassociating; the buffers never overlap).
    static T errorPass(ptrdiff_t n, const T *__restrict x, const T *__restrict mu, T *__restrict e) {
        constexpr int lanes = 16;
        T acc[lanes] = {};
        ptrdiff_t i = 0;
        for (; i + lanes <= n; i += lanes)
            for (int j = 0; j < lanes; ++j) {
                const T v = x[i + j] - mu[i + j];
                e[i + j] = v;
                acc[j] += v * v;
            }
        for (; i < n; ++i) {
            const T v = x[i] - mu[i];
            e[i] = v;
            acc[0] += v * v;
        }
        T s = 0;
        for (int j = 0; j < lanes; ++j) s += acc[j];
        return s;
    }

    // The same with a diagonal precision π (per column): also w = π ε, and Σ w·ε.
    static T errorPass(ptrdiff_t rows, ptrdiff_t cols, const T *__restrict x, const T *__restrict mu,
                       const T *__restrict pi, T *__restrict e, T *__restrict w) {
        constexpr int lanes = 16;
        T acc[lanes] = {};
        for (ptrdiff_t r = 0; r < rows; ++r, x += cols, mu += cols, e += cols, w += cols) {
            ptrdiff_t j = 0;
            for (; j + lanes <= cols; j += lanes)
                for (int a = 0; a < lanes; ++a) {
                    const T v = x[j + a] - mu[j + a], wv = pi[j + a] * v;
                    e[j + a] = v;
                    w[j + a] = wv;
                    acc[a] += wv * v;
                }
            for (; j < cols; ++j) {
                const T v = x[j] - mu[j], wv = pi[j] * v;
                e[j] = v;
                w[j] = wv;
                acc[0] += wv * v;
            }
        }
        T s = 0;
        for (int j = 0; j < lanes; ++j) s += acc[j];
        return s;
    }

    // Every rate and prediction from the current activities.
    int refreshAll() const {
        for (ptrdiff_t l = 1; l <= L; ++l) {
            refreshRates(l - 1);
            if (int status = predict(l)) return status;
        }
        return PCK_OK;
    }

    // x_ℓ ← x_ℓ − γ(Π_ℓ ε_ℓ − φ′(x_ℓ) ⊙ f_ℓ), f_ℓ = W_{ℓ+1}ᵀ Π_{ℓ+1} ε_{ℓ+1} from the layer above as
    // it stands; the new state goes into the other buffer when this one holds the best state.
    int update(ptrdiff_t l, T gamma) {
        const ptrdiff_t n = size(l), above = size(l + 1);
        T *f = buffer(PCK_PC_FEEDBACK, l);
        if (int status = product<T>(B, n, above, weighted(l + 1), weight(l + 1), weight(l + 1), false, nullptr, f))
            return status;
        const T *xl = x(l);
        if (bestWhich[l] == which[l]) which[l] ^= 1;  // keep the best state: write into the other buffer
        pck_update<T>(net.activations[l], T(net.slopes[l]), B * n, gamma, xl, weighted(l),
                      buffer(PCK_PC_DERIVATIVES, l), f, x(l), buffer(PCK_PC_RATES, l),
                      buffer(PCK_PC_DERIVATIVES, l));
        if (piecewiseLinear(net.activations[l])) derivativesStale[l] = true;
        return PCK_OK;
    }

    // One synchronous GD step of the hidden layers first…L−1; the best state stays in its buffer.
    int step(ptrdiff_t first, T gamma) {
        for (ptrdiff_t l = first; l < L; ++l)
            if (int status = update(l, gamma)) return status;
        for (ptrdiff_t l = first; l < L; ++l)
            if (int status = predict(l + 1)) return status;
        return PCK_OK;
    }

    // One SeqIL sweep (PCCore's settleNodes with the input and output clamped): from ℓ = L−1
    // down to 1, x_ℓ ← x_ℓ − γ(Π_ℓ ε_ℓ − φ′(x_ℓ) ⊙ f_ℓ) with f_ℓ from the layer above as already
    // updated, then ε_ℓ (and Π_ℓ ε_ℓ) against the unchanged μ_ℓ for the layer below; the
    // predictions are refreshed after the sweep. The best state stays in its buffer.
    int sweep(T gamma) {
        for (ptrdiff_t l = L - 1; l >= 1; --l) {
            if (int status = update(l, gamma)) return status;
            const ptrdiff_t n = size(l);
            const T *mu = buffer(PCK_PC_PREDICTIONS, l);
            T *e = buffer(PCK_PC_ERRORS, l);
            const T *pi = precision(l);
            if (pi) errorPass(B, n, x(l), mu, pi, e, buffer(PCK_PC_WEIGHTED_ERRORS, l));
            else errorPass(B * n, x(l), mu, e);
        }
        for (ptrdiff_t l = 1; l < L; ++l)
            if (int status = predict(l + 1)) return status;
        return PCK_OK;
    }

    // Identity, ReLU and leaky ReLU: φ′ is a cheap function of x, so the update derives it from x
    // instead of reading and writing the derivative buffer (two of the loop's seven streams);
    // the buffer is written once when the settle ends.
    static bool piecewiseLinear(int act) {
        return act == PCK_ACT_RELU || act == PCK_ACT_IDENTITY || act == PCK_ACT_LEAKY_RELU;
    }

    // Fused: x' = x − γ(own − φ′(x) ⊙ f); r = φ(x'); and, for the other activations, d = φ′(x')
    // (φ′(x) read from d; x' may alias x, d is read first).
    template <class U>
    static void pck_update(int act, U slope, ptrdiff_t n, U gamma, const U *x, const U *own, const U *d,
                           const U *f, U *out, U *r, U *dOut) {
        switch (act) {
        case PCK_ACT_RELU: update<U, PCK_ACT_RELU>(slope, n, gamma, x, own, f, out, r); break;
        case PCK_ACT_IDENTITY: update<U, PCK_ACT_IDENTITY>(slope, n, gamma, x, own, f, out, r); break;
        case PCK_ACT_LEAKY_RELU: update<U, PCK_ACT_LEAKY_RELU>(slope, n, gamma, x, own, f, out, r); break;
        default:  // tanh (vectorised by Eigen), sigmoid, GELU, softplus: the update, then one activation pass
            for (ptrdiff_t i = 0; i < n; ++i) out[i] = x[i] - gamma * (own[i] - d[i] * f[i]);
            pck_activation<U>(act, slope, n, out, r, dOut);
        }
    }

    template <class U, int ACT>
    static void update(U slope, ptrdiff_t n, U gamma, const U *x, const U *own, const U *f, U *out, U *r) {
        for (ptrdiff_t i = 0; i < n; ++i) {
            const U v = x[i] - gamma * (own[i] - pck::derivative<U>(ACT, slope, x[i]) * f[i]);
            out[i] = v;
            r[i] = pck::activate<U>(ACT, slope, v);
        }
    }

    // d = φ′(x) for the layers whose derivative buffer the loop left behind.
    void refreshStaleDerivatives() {
        for (ptrdiff_t l = 1; l < L; ++l) {
            if (!derivativesStale[l]) continue;
            const ptrdiff_t n = B * size(l);
            const int act = net.activations[l];
            const T slope = T(net.slopes[l]);
            const T *xl = x(l);
            T *d = buffer(PCK_PC_DERIVATIVES, l);
            for (ptrdiff_t i = 0; i < n; ++i) d[i] = pck::derivative<T>(act, slope, xl[i]);
            derivativesStale[l] = false;
        }
    }

    // r = φ(x), d = φ′(x) over n values (tanh vectorised through Eigen).
    template <class U>
    static void pck_activation(int act, U slope, ptrdiff_t n, const U *x, U *r, U *d) {
        using Map = Eigen::Map<Eigen::Array<U, Eigen::Dynamic, 1>>;
        using ConstMap = Eigen::Map<const Eigen::Array<U, Eigen::Dynamic, 1>>;
        switch (act) {
        case PCK_ACT_RELU:
            for (ptrdiff_t i = 0; i < n; ++i) {
                r[i] = pck::activate<U>(PCK_ACT_RELU, slope, x[i]);
                d[i] = pck::derivative<U>(PCK_ACT_RELU, slope, x[i]);
            }
            break;
        case PCK_ACT_TANH:
            Map(r, n) = ConstMap(x, n).tanh();
            Map(d, n) = U(1) - Map(r, n) * Map(r, n);
            break;
        default:
            for (ptrdiff_t i = 0; i < n; ++i) {
                r[i] = pck::activate<U>(act, slope, x[i]);
                d[i] = pck::derivative<U>(act, slope, x[i]);
            }
        }
    }

    int settle(const pck_pc_settle_options &o, double *trace, pck_pc_settle_result &result) {
        const T gamma = T(o.step_size);
        pack();
        if (o.feedforward) {
            // x_ℓ = μ_ℓ for the hidden layers.
            for (ptrdiff_t l = 1; l <= L; ++l) {
                refreshRates(l - 1);
                if (int status = predict(l)) return status;
                if (l < L) {
                    const T *mu = buffer(PCK_PC_PREDICTIONS, l);
                    T *xl = x(l);
                    for (ptrdiff_t i = 0, n = B * size(l); i < n; ++i) xl[i] = mu[i];
                }
            }
        } else if (int status = refreshAll()) {
            return status;
        }

        double best = INFINITY, last = 0;
        ptrdiff_t bestIteration = 0, t = 0;
        int stop = PCK_PC_STOP_BUDGET;
        for (;;) {
            const double e = energy();
            trace[t] = e;
            last = e;
            if (!std::isfinite(e) || (std::isfinite(best) && e - best > o.divergence_threshold * std::fabs(best))) {
                stop = PCK_PC_STOP_DIVERGED;
                if (std::isfinite(best))
                    for (ptrdiff_t l = 1; l < L; ++l) which[l] = bestWhich[l];
                if (int status = refreshAll()) return status;
                last = energy();
                break;
            }
            if (e <= best) {
                best = e;
                bestIteration = t;
                for (ptrdiff_t l = 1; l < L; ++l) bestWhich[l] = which[l];
            }
            if (t >= o.max_iterations || L < 2) break;
            if (o.tolerance > 0 && t > 0 && std::fabs(e - trace[t - 1]) <= o.tolerance * std::fabs(trace[t - 1])) {
                stop = PCK_PC_STOP_CONVERGED;
                break;
            }
            if (o.sequential) {
                // γ_t = γ/(1 + t), rounded as PCCore rounds it (in Double, then to T).
                if (int status = sweep(T(o.step_size / double(1 + t)))) return status;
            } else {
                // After the feedforward start every hidden error is zero: only x_{L−1} moves first.
                const ptrdiff_t first = (t == 0 && o.feedforward) ? L - 1 : 1;
                if (int status = step(first, gamma)) return status;
            }
            ++t;
        }
        refreshStaleDerivatives();
        result.iterations = t;
        result.trace_count = t + 1;
        result.best_iteration = bestIteration;
        result.final_energy = last;
        result.stop = stop;
        return PCK_OK;
    }
};

template <class T>
int settleDense(const pck_pc_dense *net, const pck_pc_settle_options *o, double *trace, ptrdiff_t capacity,
                unsigned char *inAlternate, pck_pc_settle_result *result) {
    if (!net || !o || !trace || !inAlternate || !result) return PCK_ERR_ARGUMENT;
    if (net->depth < 1 || net->depth > 62 || net->batch < 1 || !net->sizes || !net->activations || !net->slopes ||
        !net->parameters || !net->buffers)
        return PCK_ERR_ARGUMENT;
    if (!(o->step_size > 0) || o->max_iterations < 0 || capacity < o->max_iterations + 1 || !(o->tolerance >= 0) ||
        !(o->divergence_threshold > 0) || (o->sequential != 0 && o->sequential != 1))
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t L = net->depth;
    for (ptrdiff_t l = 0; l <= L; ++l)
        if (net->sizes[l] < 1) return PCK_ERR_ARGUMENT;
    for (ptrdiff_t l = 0; l < L; ++l)
        if (!pck::validActivation(net->activations[l])) return PCK_ERR_ARGUMENT;
    // Required buffers.
    for (ptrdiff_t l = 0; l <= L; ++l) {
        auto need = [&](int role) { return net->buffers[role * (L + 1) + l] != nullptr; };
        if (!need(PCK_PC_ACTIVITIES)) return PCK_ERR_ARGUMENT;
        if (l >= 1 && (!need(PCK_PC_PREDICTIONS) || !need(PCK_PC_ERRORS) || !net->parameters[3 * (l - 1)]))
            return PCK_ERR_ARGUMENT;
        if (l >= 1 && net->parameters[3 * (l - 1) + 2] && !need(PCK_PC_WEIGHTED_ERRORS)) return PCK_ERR_ARGUMENT;
        if (l < L && (!need(PCK_PC_RATES) || !need(PCK_PC_DERIVATIVES))) return PCK_ERR_ARGUMENT;
        if (l >= 1 && l < L && (!need(PCK_PC_ALTERNATES) || !need(PCK_PC_FEEDBACK))) return PCK_ERR_ARGUMENT;
    }
    try {
        Dense<T> dense(*net);
        if (int status = dense.settle(*o, trace, *result)) return status;
        for (ptrdiff_t l = 0; l <= L; ++l) inAlternate[l] = dense.which[l];
        return PCK_OK;
    } catch (...) {
        return PCK_ERR_INTERNAL;
    }
}

}  // namespace

int pck_pc_dense_settle_f32(const pck_pc_dense *net, const pck_pc_settle_options *options, double *trace,
                            ptrdiff_t capacity, unsigned char *inAlternate, pck_pc_settle_result *result) {
    return settleDense<float>(net, options, trace, capacity, inAlternate, result);
}

int pck_pc_dense_settle_f64(const pck_pc_dense *net, const pck_pc_settle_options *options, double *trace,
                            ptrdiff_t capacity, unsigned char *inAlternate, pck_pc_settle_result *result) {
    return settleDense<double>(net, options, trace, capacity, inAlternate, result);
}
