// Internal to _PCKernels: the scalar activations and derivatives shared by the kernels.
#ifndef PC_ACTIVATION_HPP
#define PC_ACTIVATION_HPP
#include "include/pc_kernels.h"

#include <cmath>
#include <limits>

namespace pck {

// Activations and derivatives, written so that NaN propagates (comparisons with NaN are false).
template <class T>
inline T activate(int act, T slope, T x) {
    switch (act) {
    case PCK_ACT_IDENTITY: return x;
    case PCK_ACT_TANH: return std::tanh(x);
    case PCK_ACT_SIGMOID:
        // Two branches keep exp from overflowing for large |x|.
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        else if (x < T(0)) { const T e = std::exp(x); return e / (T(1) + e); }
        return x;  // NaN
    case PCK_ACT_RELU: return x < T(0) ? T(0) : x;
    case PCK_ACT_LEAKY_RELU: return x < T(0) ? slope * x : x;
    case PCK_ACT_GELU: return T(0.5) * x * std::erfc(-x * T(0.70710678118654752440));  // erfc: no cancellation for x ≪ 0
    case PCK_ACT_SOFTPLUS:
        // ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}).
        return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
    default: return std::numeric_limits<T>::quiet_NaN();
    }
}

template <class T>
inline T derivative(int act, T slope, T x) {
    switch (act) {
    case PCK_ACT_IDENTITY: return x != x ? x : T(1);
    case PCK_ACT_TANH: { const T t = std::tanh(x); return T(1) - t * t; }
    case PCK_ACT_SIGMOID: { const T s = activate<T>(PCK_ACT_SIGMOID, slope, x); return s * (T(1) - s); }
    case PCK_ACT_RELU: return x > T(0) ? T(1) : (x <= T(0) ? T(0) : x);
    case PCK_ACT_LEAKY_RELU: return x > T(0) ? T(1) : (x <= T(0) ? slope : x);
    case PCK_ACT_GELU: {
        // d/dx xΦ(x) = Φ(x) + x·φ(x)
        const T cdf = T(0.5) * std::erfc(-x * T(0.70710678118654752440));
        const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
        return cdf + x * pdf;
    }
    case PCK_ACT_SOFTPLUS: return activate<T>(PCK_ACT_SIGMOID, slope, x);
    default: return std::numeric_limits<T>::quiet_NaN();
    }
}

inline bool validActivation(int act) { return act >= PCK_ACT_IDENTITY && act <= PCK_ACT_SOFTPLUS; }

}  // namespace pck
#endif
