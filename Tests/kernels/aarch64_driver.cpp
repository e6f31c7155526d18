// Run by Tests/kernels/aarch64.sh under qemu-aarch64: the kernels built for aarch64 choose the
// baseline path and compute GEMM (every transpose, Float and Double, tiny to blocked sizes),
// GEMV, tanh and a dense settle that agree with naive loops.
#include "pc_kernels.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

static int failures = 0;
static void check(bool ok, const char *what) {
    if (!ok) { std::printf("FAIL: %s\n", what); ++failures; }
}

template <class T>
static double gemmError(int tA, int tB, int m, int n, int k, std::mt19937 &rng,
                        int (*gemm)(int, int, ptrdiff_t, ptrdiff_t, ptrdiff_t, T, const T *, ptrdiff_t, const T *,
                                    ptrdiff_t, T, T *, ptrdiff_t)) {
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<T> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
    for (auto &x : a) x = T(u(rng));
    for (auto &x : b) x = T(u(rng));
    for (auto &x : c) x = T(u(rng));
    std::vector<double> ref(c.begin(), c.end());
    const int lda = tA ? m : k, ldb = tB ? k : n;
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double s = 0;
            for (int q = 0; q < k; ++q)
                s += double(tA ? a[q * lda + i] : a[i * lda + q]) * double(tB ? b[j * ldb + q] : b[q * ldb + j]);
            ref[i * n + j] = 0.5 * s - 0.25 * ref[i * n + j];
        }
    if (gemm(tA, tB, m, n, k, T(0.5), a.data(), lda, b.data(), ldb, T(-0.25), c.data(), n) != PCK_OK) return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < c.size(); ++i) worst = std::fmax(worst, std::fabs(double(c[i]) - ref[i]) / std::sqrt(double(k)));
    return worst;
}

// A learned model's 7–32–4 tanh network (2 angles of 4 state coordinates, 1 action): one pair
// through pck_learned_record_f64 with the transposed weights gives the batched
// pck_learned_forward_f64's x_L bit for bit, and without them to rounding (within 1e-14 relative).
static void learnedModelCheck(std::mt19937 &rng) {
    std::uniform_real_distribution<double> u(-1, 1);
    const ptrdiff_t sizes[3] = {7, 32, 4}, offsets[2] = {0, 7 * 32 + 32};
    const int activations[2] = {PCK_ACT_IDENTITY, PCK_ACT_TANH};
    const double slopes[2] = {0, 0};
    std::vector<double> parameters(offsets[1] + 32 * 4 + 4), transposed(parameters.size());
    for (auto &x : parameters) x = u(rng);
    for (int l = 0; l < 2; ++l)
        for (ptrdiff_t j = 0; j < sizes[l + 1]; ++j)
            for (ptrdiff_t k = 0; k < sizes[l]; ++k)
                transposed[offsets[l] + k * sizes[l + 1] + j] = parameters[offsets[l] + j * sizes[l] + k];
    const unsigned char isAngle[4] = {1, 1, 0, 0};
    double inputOffset[7], inputScale[7];
    for (int q = 0; q < 7; ++q) { inputOffset[q] = 0.1 * u(rng); inputScale[q] = 1 + 0.5 * u(rng); }
    const double lower = -1, upper = 1;
    pck_learned_model model = {4, 1, 2, sizes, activations, slopes, parameters.data(), offsets, isAngle,
                               inputOffset, inputScale, &lower, &upper, transposed.data()};
    const ptrdiff_t count = 21;
    std::vector<double> states(count * 4), actions(count), scratch(2 * 43 * count), top(4 * count);
    for (auto &x : states) x = 4 * u(rng);
    for (auto &a : actions) a = 1.5 * u(rng);
    check(pck_learned_forward_f64(&model, count, states.data(), actions.data(), scratch.data(),
                                  ptrdiff_t(scratch.size()), top.data()) == PCK_OK, "learned forward status");
    pck_learned_model plain = model;
    plain.transposed_weights = nullptr;
    bool same = true, close = true;
    double worst = 0;
    for (ptrdiff_t s = 0; s < count; ++s) {
        double activity[43], rate[43], raw[7], activity2[43], rate2[43];
        check(pck_learned_record_f64(&model, &states[s * 4], &actions[s], activity, rate, raw) == PCK_OK, "record status");
        check(pck_learned_record_f64(&plain, &states[s * 4], &actions[s], activity2, rate2, nullptr) == PCK_OK,
              "record status (no transposed weights)");
        for (int i = 0; i < 4; ++i) {
            const double batch = top[i * count + s];
            same = same && activity[39 + i] == batch;
            // Without the transposed weights aarch64 differs by a few ulp (1.8e-15 here; x86-64 matches exactly).
            worst = std::fmax(worst, std::fabs(activity2[39 + i] - batch) / std::fmax(1.0, std::fabs(batch)));
        }
    }
    std::printf("learned record without transposed weights: %.3g from the batch (relative)\n", worst);
    close = worst <= 1e-14;
    check(same, "learned record (transposed weights): one pair gives the batch's x_L bit for bit");
    check(close, "learned record (no transposed weights): within 1e-14 of the batch's x_L");
}

int main() {
    const char *path = pck_kernels_path_name(pck_kernels_path());
    std::printf("kernel path: %s (avx2 available: %d, avx512 available: %d)\n", path,
                pck_kernels_path_available(PCK_PATH_AVX2), pck_kernels_path_available(PCK_PATH_AVX512));
    check(std::strcmp(path, "baseline") == 0, "aarch64 runs the baseline path");
    check(pck_kernels_select(PCK_PATH_AVX2) == PCK_ERR_ARGUMENT, "no AVX2 path on aarch64");
    std::mt19937 rng(7);
    const int shapes[][3] = {{3, 4, 5}, {17, 9, 13}, {32, 128, 128}, {129, 65, 31}, {256, 128, 64}};
    for (auto &s : shapes)
        for (int tA = 0; tA < 2; ++tA)
            for (int tB = 0; tB < 2; ++tB) {
                char what[96];
                std::snprintf(what, sizeof what, "gemm %dx%dx%d tA%d tB%d", s[0], s[1], s[2], tA, tB);
                check(gemmError<double>(tA, tB, s[0], s[1], s[2], rng, pck_gemm_f64) < 1e-13, what);
                check(gemmError<float>(tA, tB, s[0], s[1], s[2], rng, pck_gemm_f32) < 1e-5, what);
            }
    // GEMV 40×33 and a 4×4 (the controllers' loop).
    for (int n : {4, 33}) {
        std::vector<double> a(size_t(40) * n), x(n), y(40, 1.0);
        for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(double(i));
        for (int j = 0; j < n; ++j) x[j] = std::cos(double(j));
        check(pck_gemv_f64(0, 40, n, 2.0, a.data(), n, x.data(), 0.5, y.data()) == PCK_OK, "gemv status");
        double worst = 0;
        for (int i = 0; i < 40; ++i) {
            double s = 0;
            for (int j = 0; j < n; ++j) s += a[i * n + j] * x[j];
            worst = std::fmax(worst, std::fabs(y[i] - (2 * s + 0.5)));
        }
        check(worst < 1e-12, "gemv");
    }
    // tanh (Eigen's vectorised path) against std::tanh.
    std::vector<double> x(1001), y(1001);
    for (int i = 0; i < 1001; ++i) x[i] = -5 + 0.01 * i;
    check(pck_activation_f64(PCK_ACT_TANH, 0, 1001, x.data(), y.data()) == PCK_OK, "tanh status");
    double worst = 0;
    for (int i = 0; i < 1001; ++i) worst = std::fmax(worst, std::fabs(y[i] - std::tanh(x[i])));
    check(worst < 1e-14, "tanh");
    // One dense settle, 4-8-3, batch 2, identity: the energy never rises with γ = 0.05.
    const ptrdiff_t sizes[] = {4, 8, 3};
    const int acts[] = {PCK_ACT_IDENTITY, PCK_ACT_TANH};
    const double slopes[] = {0, 0};
    std::vector<double> w1(32), w2(24);
    for (int i = 0; i < 32; ++i) w1[i] = 0.3 * std::sin(1.0 + i);
    for (int i = 0; i < 24; ++i) w2[i] = 0.3 * std::cos(2.0 + i);
    const void *params[] = {w1.data(), nullptr, nullptr, w2.data(), nullptr, nullptr};
    std::vector<std::vector<double>> storage;
    void *buffers[PCK_PC_ROLES * 3];
    for (int role = 0; role < PCK_PC_ROLES; ++role)
        for (int l = 0; l < 3; ++l) {
            storage.emplace_back(size_t(2 * sizes[l]), 0.0);
            for (size_t i = 0; i < storage.back().size(); ++i) storage.back()[i] = role == 0 ? std::sin(3.0 * i + l) : 0;
            buffers[role * 3 + l] = storage.back().data();
        }
    pck_pc_dense net = {2, 2, sizes, acts, slopes, nullptr, params, buffers};
    pck_pc_settle_options options = {0.05, 30, 0, 1e6, 1};
    double trace[31];
    unsigned char alt[3];
    pck_pc_settle_result result;
    check(pck_pc_dense_settle_f64(&net, &options, trace, 31, alt, &result) == PCK_OK, "settle status");
    bool monotone = true;
    for (ptrdiff_t t = 1; t < result.trace_count; ++t) monotone = monotone && trace[t] <= trace[t - 1] + 1e-15;
    check(result.iterations == 30 && monotone, "settle: 30 iterations, energy non-increasing");
    std::printf("settle energy %.6g -> %.6g\n", trace[0], trace[result.trace_count - 1]);
    // The same network settled by SeqIL's sweep (γ_t = γ/(1 + t)), from the feedforward state again.
    options.sequential = 1;
    check(pck_pc_dense_settle_f64(&net, &options, trace, 31, alt, &result) == PCK_OK, "sequential settle status");
    monotone = true;
    for (ptrdiff_t t = 1; t < result.trace_count; ++t) monotone = monotone && trace[t] <= trace[t - 1] + 1e-15;
    check(result.iterations == 30 && monotone, "sequential settle: 30 iterations, energy non-increasing");
    std::printf("sequential settle energy %.6g -> %.6g\n", trace[0], trace[result.trace_count - 1]);
    learnedModelCheck(rng);
    if (failures) { std::printf("%d checks failed\n", failures); return 1; }
    std::printf("all aarch64 checks passed\n");
    return 0;
}
