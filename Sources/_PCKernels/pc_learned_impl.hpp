// Internal to the kernels: a learned transition model's network on a batch of (state, action)
// pairs (pc_kernels.h, pck_learned_forward_f64), compiled once per variant inside its namespace.
//
// Layout: every activity block is (units × count), the pairs on the fast axis, so each loop runs
// over the batch and vectorises at the variant's width. tanh, cos and sin use branch-free
// polynomials (below) that vectorise too; the C library's are scalar calls of 20–40 ns each,
// which would otherwise dominate a small network.
#ifndef PC_LEARNED_IMPL_HPP
#define PC_LEARNED_IMPL_HPP

namespace learned {

__attribute__((always_inline)) inline double from_bits(uint64_t b) { double d; std::memcpy(&d, &b, sizeof d); return d; }
__attribute__((always_inline)) inline uint64_t to_bits(double d) { uint64_t b; std::memcpy(&b, &d, sizeof b); return b; }

// 1.5·2⁵²: adding it rounds a double of magnitude < 2⁵¹ to an integer, kept in the low mantissa bits.
constexpr double kRound = 6755399441055744.0;

// tanh within 4 ulp of the C library's (the algorithm of PCAgents' LearnedDynamics.fastTanh):
// with a = min(|v|, 20), E = expm1(−2a) = 2ᵏ(eʳ − 1) + (2ᵏ − 1), −2a = k ln 2 + r, |r| ≤ ln 2 / 2,
// eʳ − 1 by its Taylor series to r¹³/13!, then tanh a = −E / (2 + E) with the sign of v.
__attribute__((always_inline)) inline double fast_tanh(double v) {
    const double magnitude = std::fabs(v);
    const double a = magnitude < 20.0 ? magnitude : (v != v ? v : 20.0);
    const double y = -2.0 * a;
    const double shifted = y * 1.4426950408889634 + kRound;
    const int64_t k = int64_t(to_bits(shifted) - to_bits(kRound));
    const double kd = shifted - kRound;
    const double r = (y - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
    double q = 1.0 / 6227020800.0;
    q = 1.0 / 479001600.0 + r * q; q = 1.0 / 39916800.0 + r * q; q = 1.0 / 3628800.0 + r * q;
    q = 1.0 / 362880.0 + r * q; q = 1.0 / 40320.0 + r * q; q = 1.0 / 5040.0 + r * q; q = 1.0 / 720.0 + r * q;
    q = 1.0 / 120.0 + r * q; q = 1.0 / 24.0 + r * q; q = 1.0 / 6.0 + r * q; q = 0.5 + r * q; q = 1.0 + r * q;
    q = r * q;
    const double scale = from_bits(uint64_t(k + 1023) << 52);
    const double e = scale * q + (scale - 1.0);
    return std::copysign(-e / (2.0 + e), v);
}

// The largest |x| the polynomial sine and cosine take (k·π/2 is then exact in the reduction).
constexpr double kTrigLimit = 1e5;

// sin x and cos x for |x| ≤ kTrigLimit, within a few ulp: x = k π/2 + r (π/2 in three parts of
// 33 bits, so k·part is exact for |k| < 2²⁰), |r| ≤ π/4, Taylor series of sin r to r¹⁷ and of
// cos r to r¹⁶ (the next terms are below 10⁻¹⁷), the quadrant k mod 4 choosing and signing them.
__attribute__((always_inline)) inline void fast_sincos(double x, double &sine, double &cosine) {
    const double shifted = x * 0.63661977236758134308 + kRound;
    const int64_t k = int64_t(to_bits(shifted) - to_bits(kRound));
    const double kd = shifted - kRound;
    const double r = ((x - kd * 1.57079632673412561417e+00) - kd * 6.07710050630396597660e-11)
                     - kd * 2.02226624871116645580e-21;
    const double r2 = r * r;
    double s = -1.0 / 355687428096000.0;                // −1/17!
    s = 1.0 / 1307674368000.0 + r2 * s;                 //  1/15!
    s = -1.0 / 6227020800.0 + r2 * s;                   // −1/13!
    s = 1.0 / 39916800.0 + r2 * s;                      //  1/11!
    s = -1.0 / 362880.0 + r2 * s;                       // −1/9!
    s = 1.0 / 5040.0 + r2 * s;                          //  1/7!... sign alternates
    s = -1.0 / 120.0 + r2 * s;
    s = 1.0 / 6.0 + r2 * s;
    s = r - r * r2 * s;                                 // r − r³/3! + r⁵/5! − …
    double c = 1.0 / 20922789888000.0;                  //  1/16!
    c = -1.0 / 87178291200.0 + r2 * c;                  // −1/14!
    c = 1.0 / 479001600.0 + r2 * c;                     //  1/12!
    c = -1.0 / 3628800.0 + r2 * c;                      // −1/10!
    c = 1.0 / 40320.0 + r2 * c;                         //  1/8!
    c = -1.0 / 720.0 + r2 * c;                          // −1/6!
    c = 1.0 / 24.0 + r2 * c;                            //  1/4!
    c = 0.5 - r2 * c;
    c = 1.0 - r2 * c;                                   // 1 − r²/2! + r⁴/4! − …
    const bool swap = (k & 1) != 0;
    const double sa = swap ? c : s, ca = swap ? s : c;
    sine = (k & 2) ? -sa : sa;
    cosine = ((k + 1) & 2) ? -ca : ca;
}

// One output row of a layer, y[s] = b + Σ_k w[k] r[k·count + s], for the pairs s = first, first + B, …
// while a whole block of B fits below count; returns where it stopped. Each block's B sums stay in
// registers across the k loop (summing into y in memory, every k waited for the store of the
// previous one; the acrobot's learned control step, 64 samples × 30 steps through here, went from
// 0.81 to 0.67 ms thread CPU median). Every sum runs in the order b, k = 0, 1, …, as before, so the
// result does not depend on B and did not change.
template <int B>
__attribute__((always_inline)) inline ptrdiff_t affine_row(ptrdiff_t first, ptrdiff_t count, ptrdiff_t inputs, double bias,
                                                           const double *weights, const double *r, double *y) {
    ptrdiff_t s = first;
    for (; s + B <= count; s += B) {
        double sum[B];
        for (int l = 0; l < B; ++l) sum[l] = bias;
        for (ptrdiff_t k = 0; k < inputs; ++k) {
            const double weight = weights[k];
            const double *input = r + k * count + s;
            for (int l = 0; l < B; ++l) sum[l] += weight * input[l];
        }
        for (int l = 0; l < B; ++l) y[s + l] = sum[l];
    }
    return s;
}

// Outputs j = first, first + B, … of a layer for one pair, y[j] = b[j] + Σ_k Wᵀ[k, j] r[k], while a
// whole block of B fits below outputs; returns where it stopped. A block's B sums stay in registers
// across the k loop (loaded from Wᵀ's rows, contiguous), each in the order of affine_row.
template <int B>
__attribute__((always_inline)) inline ptrdiff_t affine_outputs(ptrdiff_t first, ptrdiff_t outputs, ptrdiff_t inputs,
                                                               const double *wt, const double *b, const double *r,
                                                               double *y) {
    ptrdiff_t j = first;
    for (; j + B <= outputs; j += B) {
        double sum[B];
        for (int l = 0; l < B; ++l) sum[l] = b[j + l];
        for (ptrdiff_t k = 0; k < inputs; ++k) {
            const double input = r[k];
            const double *column = wt + k * outputs + j;
            for (int l = 0; l < B; ++l) sum[l] += column[l] * input;
        }
        for (int l = 0; l < B; ++l) y[j + l] = sum[l];
    }
    return j;
}

}  // namespace learned

inline int pck_learned_record_f64(const pck_learned_model *model, const double *state, const double *action,
                                  double *activity, double *rate, double *raw) {
    if (!model || !state || !action || !activity || !rate || model->depth < 1 || !model->sizes || !model->activations ||
        !model->slopes || !model->parameters || !model->weight_offsets || !model->is_angle || !model->input_offset ||
        !model->input_inverse_scale || !model->action_lower || !model->action_upper)
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t n = model->state_dimension, m = model->action_dimension, depth = model->depth;
    // Features, as pck_learned_forward_f64 writes them.
    double *z = activity;
    ptrdiff_t f = 0;
    for (ptrdiff_t j = 0; j < n; ++j) {
        const double x = state[j];
        if (model->is_angle[j]) {
            if (std::fabs(x) <= learned::kTrigLimit) {
                learned::fast_sincos(x, z[f + 1], z[f]);
            } else {
                z[f] = std::cos(x); z[f + 1] = std::sin(x);
            }
            f += 2;
        } else {
            z[f++] = x;
        }
    }
    for (ptrdiff_t j = 0; j < m; ++j) z[f + j] = std::min(std::max(action[j], model->action_lower[j]), model->action_upper[j]);
    const ptrdiff_t features = model->sizes[0];
    if (raw) for (ptrdiff_t q = 0; q < features; ++q) raw[q] = z[q];
    for (ptrdiff_t q = 0; q < features; ++q) z[q] = (z[q] - model->input_offset[q]) * model->input_inverse_scale[q];
    // Layers.
    ptrdiff_t start = 0;
    for (ptrdiff_t l = 1; l <= depth; ++l) {
        const ptrdiff_t inputs = model->sizes[l - 1], outputs = model->sizes[l];
        const double *x = activity + start;
        double *r = rate + start;
        const int act = model->activations[l - 1];
        const double slope = model->slopes[l - 1];
        if (act == PCK_ACT_TANH) {
            for (ptrdiff_t i = 0; i < inputs; ++i) r[i] = learned::fast_tanh(x[i]);
        } else if (act == PCK_ACT_IDENTITY) {
            for (ptrdiff_t i = 0; i < inputs; ++i) r[i] = x[i];
        } else {
            for (ptrdiff_t i = 0; i < inputs; ++i) r[i] = pck::activate<double>(act, slope, x[i]);
        }
        const double *w = model->parameters + model->weight_offsets[l - 1];
        const double *b = w + outputs * inputs;
        double *y = activity + start + inputs;
        // Every output's sum in the order of affine_row (b, then k = 0, 1, …).
        if (model->transposed_weights) {
            // All outputs advance together, reading Wᵀ's rows (contiguous along the outputs).
            const double *wt = model->transposed_weights + model->weight_offsets[l - 1];
            ptrdiff_t j = learned::affine_outputs<16>(0, outputs, inputs, wt, b, r, y);
            j = learned::affine_outputs<4>(j, outputs, inputs, wt, b, r, y);
            learned::affine_outputs<1>(j, outputs, inputs, wt, b, r, y);
        } else {
            for (ptrdiff_t j = 0; j < outputs; ++j) {
                const double *weights = w + j * inputs;
                double sum = b[j];
                for (ptrdiff_t k = 0; k < inputs; ++k) sum += weights[k] * r[k];
                y[j] = sum;
            }
        }
        start += inputs;
    }
    return PCK_OK;
}

inline int pck_learned_forward_f64(const pck_learned_model *model, ptrdiff_t count, const double *states,
                                   const double *actions, double *scratch, ptrdiff_t scratch_count, double *top) {
    if (!model || count < 0 || model->depth < 1 || model->state_dimension < 1 || model->action_dimension < 1 ||
        !model->sizes || !model->activations || !model->slopes || !model->parameters || !model->weight_offsets ||
        !model->is_angle || !model->input_offset || !model->input_inverse_scale || !model->action_lower ||
        !model->action_upper)
        return PCK_ERR_ARGUMENT;
    if (count == 0) return PCK_OK;
    if (!states || !actions || !scratch || !top) return PCK_ERR_ARGUMENT;
    const ptrdiff_t n = model->state_dimension, m = model->action_dimension, depth = model->depth;
    ptrdiff_t angles = 0, total = 0;
    for (ptrdiff_t j = 0; j < n; ++j) angles += model->is_angle[j] ? 1 : 0;
    for (ptrdiff_t l = 0; l <= depth; ++l) {
        if (model->sizes[l] < 1) return PCK_ERR_ARGUMENT;
        total += model->sizes[l];
    }
    for (ptrdiff_t l = 0; l < depth; ++l) {
        const int act = model->activations[l];
        if (act < PCK_ACT_IDENTITY || act > PCK_ACT_SOFTPLUS || act == PCK_ACT_GELU) return PCK_ERR_ARGUMENT;
    }
    if (model->sizes[0] != n + angles + m || scratch_count < 2 * total * count) return PCK_ERR_ARGUMENT;

    double *activity = scratch, *rate = scratch + total * count;
    // Features, one row (of count) per feature.
    ptrdiff_t f = 0;
    for (ptrdiff_t j = 0; j < n; ++j) {
        double *row = activity + f * count;
        if (model->is_angle[j]) {
            double *second = row + count;
            for (ptrdiff_t s = 0; s < count; ++s) learned::fast_sincos(states[s * n + j], second[s], row[s]);
            for (ptrdiff_t s = 0; s < count; ++s) {
                const double x = states[s * n + j];
                if (!(std::fabs(x) <= learned::kTrigLimit)) { row[s] = std::cos(x); second[s] = std::sin(x); }
            }
            f += 2;
        } else {
            for (ptrdiff_t s = 0; s < count; ++s) row[s] = states[s * n + j];
            f += 1;
        }
    }
    for (ptrdiff_t j = 0; j < m; ++j) {
        double *row = activity + (f + j) * count;
        const double lower = model->action_lower[j], upper = model->action_upper[j];
        for (ptrdiff_t s = 0; s < count; ++s) row[s] = std::min(std::max(actions[s * m + j], lower), upper);
    }
    for (ptrdiff_t q = 0; q < model->sizes[0]; ++q) {
        double *row = activity + q * count;
        const double offset = model->input_offset[q], inverse = model->input_inverse_scale[q];
        for (ptrdiff_t s = 0; s < count; ++s) row[s] = (row[s] - offset) * inverse;
    }
    // Layers.
    ptrdiff_t start = 0;
    for (ptrdiff_t l = 1; l <= depth; ++l) {
        const ptrdiff_t inputs = model->sizes[l - 1], outputs = model->sizes[l];
        const double *x = activity + start * count;
        double *r = rate + start * count;
        const int act = model->activations[l - 1];
        const double slope = model->slopes[l - 1];
        const ptrdiff_t block = inputs * count;
        if (act == PCK_ACT_TANH) {
            for (ptrdiff_t i = 0; i < block; ++i) r[i] = learned::fast_tanh(x[i]);
        } else if (act == PCK_ACT_IDENTITY) {
            for (ptrdiff_t i = 0; i < block; ++i) r[i] = x[i];
        } else {
            for (ptrdiff_t i = 0; i < block; ++i) r[i] = pck::activate<double>(act, slope, x[i]);
        }
        const double *w = model->parameters + model->weight_offsets[l - 1];
        const double *b = w + outputs * inputs;
        double *y = (l == depth) ? top : activity + (start + inputs) * count;
        for (ptrdiff_t j = 0; j < outputs; ++j) {
            const double *weights = w + j * inputs;
            double *row = y + j * count;
            ptrdiff_t s = learned::affine_row<16>(0, count, inputs, b[j], weights, r, row);
            s = learned::affine_row<4>(s, count, inputs, b[j], weights, r, row);
            learned::affine_row<1>(s, count, inputs, b[j], weights, r, row);
        }
        start += inputs;
    }
    return PCK_OK;
}

#endif
