// The C entry points of pc_kernels.h: each forwards to the variant of the kernels chosen for
// this CPU (pc_variant.hpp compiles one per instruction set; pc_dispatch_table.hpp lists them).
//
// The choice is made once, at the first call, from CPUID and XGETBV (the CPU has the
// instructions and the operating system saves their registers), unless PCKIT_KERNELS names a
// path; pck_kernels_select changes it later (tests, benchmarks). The table in use is one atomic
// pointer: a kernel call costs one load and one indirect call more than a direct call.
#include "pc_kernels.h"
#include "pc_dispatch_table.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace {

#if defined(__x86_64__) && !defined(PCK_NATIVE_BUILD)
// XCR0: the register states the operating system saves on a context switch.
uint64_t xcr0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

struct CPUFeatures {
    bool avx2 = false;    // x86-64-v3: AVX, AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE (+ v2)
    bool avx512 = false;  // x86-64-v4: AVX-512 F, CD, BW, DQ, VL (+ v3)
};

CPUFeatures detect() {
    CPUFeatures f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const unsigned c1 = c;
    auto bit = [](unsigned r, int i) { return (r >> i) & 1u; };
    // v2: SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CX16; v3 adds FMA, MOVBE, OSXSAVE, AVX, F16C.
    const bool v2 = bit(c1, 0) && bit(c1, 9) && bit(c1, 19) && bit(c1, 20) && bit(c1, 23) && bit(c1, 13);
    const bool osxsave = bit(c1, 27);
    if (!v2 || !osxsave || !bit(c1, 12) || !bit(c1, 22) || !bit(c1, 28) || !bit(c1, 29)) return f;
    if (__get_cpuid_max(0, nullptr) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned b7 = b;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return f;
    const bool lzcnt = bit(c, 5);
    const uint64_t xcr = xcr0();
    const bool ymmSaved = (xcr & 0x6) == 0x6;              // SSE and AVX state
    const bool zmmSaved = (xcr & 0xE6) == 0xE6;            // + opmask, ZMM0–15 upper halves, ZMM16–31
    f.avx2 = ymmSaved && bit(b7, 5) && bit(b7, 3) && bit(b7, 8) && lzcnt;  // AVX2, BMI1, BMI2
    f.avx512 = f.avx2 && zmmSaved && bit(b7, 16) && bit(b7, 17) && bit(b7, 28) && bit(b7, 30) && bit(b7, 31);
    return f;
}

const CPUFeatures &features() {
    static const CPUFeatures f = detect();
    return f;
}
#endif

const pck::DispatchTable *tableFor(int path) {
#if defined(PCK_NATIVE_BUILD)
    return path == PCK_PATH_NATIVE ? &pck_baseline::table : nullptr;
#else
    switch (path) {
    case PCK_PATH_BASELINE: return &pck_baseline::table;
#if defined(__x86_64__)
    case PCK_PATH_AVX2: return features().avx2 ? &pck_avx2::table : nullptr;
    case PCK_PATH_AVX512: return features().avx512 ? &pck_avx512::table : nullptr;
#endif
    default: return nullptr;
    }
#endif
}

int bestPath() {
#if defined(PCK_NATIVE_BUILD)
    return PCK_PATH_NATIVE;
#else
    if (tableFor(PCK_PATH_AVX512)) return PCK_PATH_AVX512;
    if (tableFor(PCK_PATH_AVX2)) return PCK_PATH_AVX2;
    return PCK_PATH_BASELINE;
#endif
}

int pathNamed(const char *name) {
    for (int p = PCK_PATH_BASELINE; p <= PCK_PATH_NATIVE; ++p)
        if (std::strcmp(name, pck_kernels_path_name(p)) == 0) return p;
    return std::strcmp(name, "auto") == 0 ? PCK_PATH_AUTO : -2;
}

// The first choice: PCKIT_KERNELS when it names an available path, else the CPU's best.
int initialPath() {
    const int best = bestPath();
    const char *requested = std::getenv("PCKIT_KERNELS");
    if (!requested || !*requested) return best;
    const int p = pathNamed(requested);
    if (p == PCK_PATH_AUTO) return best;
    if (p == -2) {
        std::fprintf(stderr, "PCKit: PCKIT_KERNELS=%s is not a kernel path (baseline, avx2, avx512, native, auto); using %s\n",
                     requested, pck_kernels_path_name(best));
        return best;
    }
    if (!tableFor(p)) {
        std::fprintf(stderr, "PCKit: PCKIT_KERNELS=%s: this %s cannot run it; using %s\n", requested,
#if defined(PCK_NATIVE_BUILD)
                     "native build",
#else
                     "CPU or build",
#endif
                     pck_kernels_path_name(best));
        return best;
    }
    return p;
}

std::atomic<int> currentPath{-1};
std::atomic<const pck::DispatchTable *> currentTable{nullptr};
// pck_kernels_select_thread: this thread's own path, if any (tests compare paths on one thread
// while other threads keep the process-wide path).
thread_local const pck::DispatchTable *threadTable = nullptr;
thread_local int threadPath = -1;

// Slow path of the first call (any thread): the static's initialiser runs once.
const pck::DispatchTable &initialize() {
    static const int chosen = [] {
        const int p = initialPath();
        const pck::DispatchTable *expected = nullptr;
        // A pck_kernels_select racing with the first call wins.
        if (currentTable.compare_exchange_strong(expected, tableFor(p))) currentPath.store(p);
        return p;
    }();
    (void)chosen;
    return *currentTable.load(std::memory_order_acquire);
}

inline const pck::DispatchTable &table() {
    if (__builtin_expect(threadTable != nullptr, 0)) return *threadTable;
    const pck::DispatchTable *t = currentTable.load(std::memory_order_acquire);
    if (__builtin_expect(t != nullptr, 1)) return *t;
    return initialize();
}

}  // namespace

extern "C" {

int pck_kernels_path(void) {
    if (threadTable) return threadPath;
    table();
    int p;
    // select() stores the table before the path: wait out the instant between the two stores.
    while ((p = currentPath.load()) < 0) {}
    return p;
}

const char *pck_kernels_path_name(int path) {
    switch (path) {
    case PCK_PATH_BASELINE: return "baseline";
    case PCK_PATH_AVX2: return "avx2";
    case PCK_PATH_AVX512: return "avx512";
    case PCK_PATH_NATIVE: return "native";
    default: return nullptr;
    }
}

int pck_kernels_path_available(int path) { return tableFor(path) != nullptr; }

int pck_kernels_select(int path) {
    table();  // the first choice is made (and reported) before it is overridden
    const int p = path == PCK_PATH_AUTO ? bestPath() : path;
    const pck::DispatchTable *t = tableFor(p);
    if (!t) return PCK_ERR_ARGUMENT;
    currentTable.store(t, std::memory_order_release);
    currentPath.store(p);
    return PCK_OK;
}

int pck_kernels_select_thread(int path) {
    table();  // the process-wide choice is made (and reported) first
    if (path == PCK_PATH_AUTO) {
        threadTable = nullptr;
        threadPath = -1;
        return PCK_OK;
    }
    const pck::DispatchTable *t = tableFor(path);
    if (!t) return PCK_ERR_ARGUMENT;
    threadTable = t;
    threadPath = path;
    return PCK_OK;
}

// The forwarders, one per entry point of pc_dispatch_table.hpp.
#define PCK_FORWARD(T, S)                                                                          \
    int pck_gemm_##S(int tA, int tB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,   \
                     ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc) {      \
        return table().pck_gemm_##S(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);         \
    }                                                                                              \
    int pck_gemv_##S(int tA, ptrdiff_t m, ptrdiff_t n, T alpha, const T *a, ptrdiff_t lda,         \
                     const T *x, T beta, T *y) {                                                   \
        return table().pck_gemv_##S(tA, m, n, alpha, a, lda, x, beta, y);                          \
    }                                                                                              \
    int pck_axpy_##S(ptrdiff_t n, T alpha, const T *x, T *y) {                                     \
        return table().pck_axpy_##S(n, alpha, x, y);                                               \
    }                                                                                              \
    int pck_scale_##S(ptrdiff_t n, T alpha, T *x) { return table().pck_scale_##S(n, alpha, x); }   \
    int pck_linear_activation_##S(int act, T slope, int tA, int tB, ptrdiff_t m, ptrdiff_t n,      \
                                  ptrdiff_t k, const T *a, ptrdiff_t lda, const T *b,              \
                                  ptrdiff_t ldb, const T *bias, T *pre, T *out, ptrdiff_t ldout) { \
        return table().pck_linear_activation_##S(act, slope, tA, tB, m, n, k, a, lda, b, ldb,      \
                                                 bias, pre, out, ldout);                           \
    }                                                                                              \
    int pck_activation_##S(int act, T slope, ptrdiff_t n, const T *x, T *y) {                      \
        return table().pck_activation_##S(act, slope, n, x, y);                                    \
    }                                                                                              \
    int pck_activation_derivative_##S(int act, T slope, ptrdiff_t n, const T *x, T *dy) {          \
        return table().pck_activation_derivative_##S(act, slope, n, x, dy);                        \
    }                                                                                              \
    int pck_softmax_rows_##S(ptrdiff_t r, ptrdiff_t c, const T *x, ptrdiff_t ldx, T *y,            \
                             ptrdiff_t ldy) {                                                      \
        return table().pck_softmax_rows_##S(r, c, x, ldx, y, ldy);                                 \
    }                                                                                              \
    int pck_mul_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return table().pck_mul_##S(n, a, b, out);                                                  \
    }                                                                                              \
    int pck_sub_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return table().pck_sub_##S(n, a, b, out);                                                  \
    }                                                                                              \
    int pck_add_##S(ptrdiff_t n, const T *a, const T *b, T *out) {                                 \
        return table().pck_add_##S(n, a, b, out);                                                  \
    }                                                                                              \
    int pck_sum_rows_##S(ptrdiff_t r, ptrdiff_t c, const T *a, ptrdiff_t lda, T alpha, T beta,     \
                         T *out) {                                                                 \
        return table().pck_sum_rows_##S(r, c, a, lda, alpha, beta, out);                           \
    }                                                                                              \
    int pck_sum_columns_##S(ptrdiff_t r, ptrdiff_t c, const T *a, ptrdiff_t lda, T alpha, T beta,  \
                            T *out) {                                                              \
        return table().pck_sum_columns_##S(r, c, a, lda, alpha, beta, out);                        \
    }                                                                                              \
    int pck_outer_accumulate_##S(ptrdiff_t batch, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,   \
                                 ptrdiff_t lda, const T *b, ptrdiff_t ldb, T *w, ptrdiff_t ldw) {  \
        return table().pck_outer_accumulate_##S(batch, n, k, alpha, a, lda, b, ldb, w, ldw);       \
    }                                                                                              \
    int pck_cholesky_##S(ptrdiff_t n, T *a, ptrdiff_t lda) {                                       \
        return table().pck_cholesky_##S(n, a, lda);                                                \
    }                                                                                              \
    int pck_cholesky_solve_##S(ptrdiff_t n, ptrdiff_t nrhs, const T *l, ptrdiff_t ldl, T *b,       \
                               ptrdiff_t ldb) {                                                    \
        return table().pck_cholesky_solve_##S(n, nrhs, l, ldl, b, ldb);                            \
    }                                                                                              \
    int pck_im2col_##S(ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh,       \
                       ptrdiff_t kw, ptrdiff_t stride, ptrdiff_t pad, const T *x, T *cols) {       \
        return table().pck_im2col_##S(batch, c, h, w, kh, kw, stride, pad, x, cols);               \
    }                                                                                              \
    int pck_col2im_##S(ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh,       \
                       ptrdiff_t kw, ptrdiff_t stride, ptrdiff_t pad, const T *cols, T beta,       \
                       T *x) {                                                                     \
        return table().pck_col2im_##S(batch, c, h, w, kh, kw, stride, pad, cols, beta, x);         \
    }                                                                                              \
    int pck_permute_channels_##S(int direction, ptrdiff_t batch, ptrdiff_t pixels,                 \
                                 ptrdiff_t channels, T alpha, const T *in, T beta, T *out) {       \
        return table().pck_permute_channels_##S(direction, batch, pixels, channels, alpha, in,     \
                                                beta, out);                                        \
    }                                                                                              \
    int pck_pool_forward_##S(int mode, ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,     \
                             ptrdiff_t window, ptrdiff_t stride, const T *x, T *y, int *argmax) {  \
        return table().pck_pool_forward_##S(mode, batch, c, h, w, window, stride, x, y, argmax);   \
    }                                                                                              \
    int pck_pool_backward_##S(int mode, ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,    \
                              ptrdiff_t window, ptrdiff_t stride, const T *dy, const int *argmax,  \
                              T beta, T *dx) {                                                     \
        return table().pck_pool_backward_##S(mode, batch, c, h, w, window, stride, dy, argmax,     \
                                             beta, dx);                                            \
    }                                                                                              \
    int pck_pc_dense_settle_##S(const pck_pc_dense *net, const pck_pc_settle_options *options,     \
                                double *trace, ptrdiff_t capacity, unsigned char *inAlternate,     \
                                pck_pc_settle_result *result) {                                    \
        return table().pck_pc_dense_settle_##S(net, options, trace, capacity, inAlternate, result);\
    }                                                                                              \
    int pck_adam_##S(ptrdiff_t n, T *p, const T *g, T *m, T *v, T b1, T b2, T a, T c2, T eps,      \
                     T decay) {                                                                    \
        return table().pck_adam_##S(n, p, g, m, v, b1, b2, a, c2, eps, decay);                     \
    }                                                                                              \
    void pck_adam_job_run_##S(void *job, ptrdiff_t part) { table().pck_adam_job_run_##S(job, part); }

PCK_FORWARD(float, f32)
PCK_FORWARD(double, f64)
#undef PCK_FORWARD

int pck_learned_forward_f64(const pck_learned_model *model, ptrdiff_t count, const double *states,
                            const double *actions, double *scratch, ptrdiff_t scratch_count, double *top) {
    return table().pck_learned_forward_f64(model, count, states, actions, scratch, scratch_count, top);
}

int pck_learned_record_f64(const pck_learned_model *model, const double *state, const double *action,
                           double *activity, double *rate, double *raw) {
    return table().pck_learned_record_f64(model, state, action, activity, rate, raw);
}

}  // extern "C"
