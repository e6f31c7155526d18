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

// ---------------------------------------------------------------------------------------------
// Fused inference of a dense predictive-coding network (PCCore article EnergyAndInference, section Fused kernel): the whole settle
// loop of synchronous gradient descent, or of SeqIL's sequential top-down sweep, with the input and
// the output clamped and squared-error energies, in one call (the hot path of PC training). Layers ℓ = 1…L; batches are row-major
// B × n_ℓ with leading dimension n_ℓ.
//
// Buffer roles, each a table of L + 1 pointers indexed by layer (unused entries may be NULL):
enum {
    PCK_PC_ACTIVITIES = 0,      // x_ℓ, buffer 0 (x₀ and x_L are read only)
    PCK_PC_ALTERNATES = 1,      // x_ℓ, buffer 1 of the hidden layers (ping-pong with buffer 0)
    PCK_PC_PREDICTIONS = 2,     // μ_ℓ, ℓ ≥ 1
    PCK_PC_ERRORS = 3,          // ε_ℓ = x_ℓ − μ_ℓ, ℓ ≥ 1
    PCK_PC_WEIGHTED_ERRORS = 4, // Π_ℓ ε_ℓ where layer ℓ has a diagonal precision
    PCK_PC_RATES = 5,           // φ(x_ℓ), ℓ < L
    PCK_PC_DERIVATIVES = 6,     // φ′(x_ℓ), ℓ < L
    PCK_PC_FEEDBACK = 7,        // (Π_{ℓ+1} ε_{ℓ+1}) W_{ℓ+1}, 1 ≤ ℓ < L
    PCK_PC_ROLES = 8
};
enum { PCK_PC_STOP_BUDGET = 0, PCK_PC_STOP_CONVERGED = 1, PCK_PC_STOP_DIVERGED = 2 };

typedef struct {
    ptrdiff_t depth;               // L ≥ 1
    ptrdiff_t batch;               // B ≥ 1
    const ptrdiff_t *sizes;        // n₀…n_L
    const int *activations;        // L codes: φ applied to x_ℓ, ℓ = 0…L−1 (PCK_ACT_*)
    const double *slopes;          // L leaky-ReLU slopes
    const double *energy_offsets;  // L constants added to Σ_i F_i per layer (learned precision: ½B Σ s), or NULL
    const void *const *parameters; // 3L: W_ℓ (n_ℓ × n_{ℓ−1}), b_ℓ (n_ℓ or NULL), π_ℓ (n_ℓ or NULL = identity)
    void *const *buffers;          // PCK_PC_ROLES × (L + 1), role-major
} pck_pc_dense;

typedef struct {
    double step_size;              // γ > 0
    ptrdiff_t max_iterations;      // T ≥ 0
    double tolerance;              // relative energy change that stops (0: never)
    double divergence_threshold;   // θ: diverged when F_t > F_best + θ|F_best| or F_t not finite
    int feedforward;               // 1: start from the feedforward pass; 0: from the activities given
    int sequential;                // 0: synchronous GD; 1: SeqIL's sweep from ℓ = L−1 down to 1, step γ/(1 + t)
} pck_pc_settle_options;

typedef struct {
    ptrdiff_t iterations;          // updates applied
    ptrdiff_t trace_count;         // energies written (iterations + 1)
    ptrdiff_t best_iteration;
    double final_energy;           // F_B of the returned state
    int stop;                      // PCK_PC_STOP_*
} pck_pc_settle_result;

// Settles the hidden activities. trace (capacity ≥ T + 1) receives F_B per iteration.
// in_alternate (L + 1) receives 1 for each layer whose final activities are in buffer 1.
// On return predictions, errors, weighted errors, rates and derivatives match the activities.
int pck_pc_dense_settle_f32(const pck_pc_dense *net, const pck_pc_settle_options *options,
                            double *trace, ptrdiff_t trace_capacity, unsigned char *in_alternate,
                            pck_pc_settle_result *result);
int pck_pc_dense_settle_f64(const pck_pc_dense *net, const pck_pc_settle_options *options,
                            double *trace, ptrdiff_t trace_capacity, unsigned char *in_alternate,
                            pck_pc_settle_result *result);

// ---------------------------------------------------------------------------------------------
// A learned transition model's network on a batch of (state, action) pairs (PCAgents'
// LearnedDynamics, evaluated for the predictive controller's sampled proposal). Per pair s:
//   z   = (features(x_s, clip(u_s)) − input_offset) ⊙ input_inverse_scale, features: each state
//         coordinate (an angle as cos, sin), then the actions clipped into [lower, upper];
//   x_1 = W_1 φ_0(z) + b_1,   x_ℓ = W_ℓ φ_{ℓ−1}(x_{ℓ−1}) + b_ℓ   (ℓ = 2…L);
// and top receives x_L. The layers run with the batch on the fast axis, so every loop vectorises;
// tanh, cos and sin are evaluated by vectorisable polynomials within a few ulp of the C
// library's (angles beyond 10⁵ rad, NaN and infinities go through the C library).
typedef struct {
    ptrdiff_t state_dimension;           // n ≥ 1
    ptrdiff_t action_dimension;          // m ≥ 1
    ptrdiff_t depth;                     // L ≥ 1
    const ptrdiff_t *sizes;              // (L + 1): n_0 (= n + #angles + m) … n_L
    const int *activations;              // (L): φ_{ℓ−1}, a PCK_ACT_* code other than GELU
    const double *slopes;                // (L): leaky-ReLU slopes
    const double *parameters;            // W_ℓ (n_ℓ × n_{ℓ−1}, row-major) then b_ℓ (n_ℓ), ℓ = 1…L
    const ptrdiff_t *weight_offsets;     // (L): where W_ℓ starts in parameters
    const unsigned char *is_angle;       // (n): 1 for an angle coordinate
    const double *input_offset;          // (n_0)
    const double *input_inverse_scale;   // (n_0)
    const double *action_lower;          // (m)
    const double *action_upper;          // (m)
    const double *transposed_weights;    // W_ℓᵀ (n_{ℓ−1} × n_ℓ, row-major) at weight_offsets[ℓ−1], or NULL:
                                         // read by pck_learned_record_f64 only (for loads along the outputs)
} pck_learned_model;

// states (count × n), actions (count × m), row per pair; top receives x_L as (n_L × count), column
// per pair. scratch holds at least 2·Σ n_ℓ·count doubles: the activities (Σ n_ℓ × count, x_L's
// block excepted) then the rates φ_ℓ(x_ℓ) (ℓ < L) of every layer.
int pck_learned_forward_f64(const pck_learned_model *model, ptrdiff_t count, const double *states,
                            const double *actions, double *scratch, ptrdiff_t scratch_count, double *top);

// One pair through the same network, keeping the pass (the learned model's transition and the
// shooting planner's recorded steps): activity (Σ n_ℓ) receives z, x_1, …, x_L at the layers'
// offsets, rate (Σ n_ℓ) receives φ_ℓ(x_ℓ) (ℓ < L) at the same offsets, and raw (n_0, or NULL) the
// features before standardisation; x_L is at activity + Σ_{ℓ<L} n_ℓ. Every sum runs in the order of
// pck_learned_forward_f64 (bias, then the inputs in order). With transposed_weights (which must
// then equal the weights transposed) each layer's outputs advance together along the vector lanes,
// and on one kernel path both kernels give the same x_L bit for bit (tested on x86-64's three paths
// and on aarch64); without, one output at a time (bit for bit on x86-64; 1.8·10⁻¹⁵ relative apart on aarch64 in
// Tests/kernels/aarch64.sh, not yet explained).
// The descriptor must be one pck_learned_forward_f64 accepts; it is not re-checked here (a call
// costs about as much as those checks), only the pointers are.
int pck_learned_record_f64(const pck_learned_model *model, const double *state, const double *action,
                           double *activity, double *rate, double *raw);

// ---------------------------------------------------------------------------------------------
// A persistent thread pool for data-parallel work (e.g. the shards of a PC batch).
typedef struct pck_pool pck_pool;
// A pool with `workers` extra threads (0…255); NULL on failure. Allocates (once).
pck_pool *pck_pool_create(int workers);
// Stops and joins the workers.
void pck_pool_destroy(pck_pool *pool);
// Runs task(context, i) for i = 0…count−1 (count ≤ workers + 1): index 0 on the calling thread,
// the others on the workers; returns when all are done. Serialised between callers; allocates nothing.
int pck_pool_run(pck_pool *pool, void (*task)(void *context, ptrdiff_t index), void *context, ptrdiff_t count);

// Adam / AdamW over n parameters: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
// p ← p − a·m/(√(c₂v) + ε) − decay·p, with a = α/(1−β₁ᵗ) and c₂ = 1/(1−β₂ᵗ) given by the caller.
int pck_adam_f32(ptrdiff_t n, float *p, const float *g, float *m, float *v, float beta1, float beta2,
                 float a, float c2, float epsilon, float decay);
int pck_adam_f64(ptrdiff_t n, double *p, const double *g, double *m, double *v, double beta1,
                 double beta2, double a, double c2, double epsilon, double decay);

// Adam / AdamW on parameters whose gradient is the weighted mean of the gradients of K batch
// shards, split into `parts` (the threads of a pool): part i combines and updates its own
// 64-byte-aligned slice of every tensor, so the slices of p, m and v stay in one core's cache.
// For every tensor t (n = counts[t] values):
//   g = Σ_k weights[k] · shard_gradients[k · tensors + t]   (written to combined[t])
//   then the pck_adam update of p[t], m[t], v[t] with g.
// Pointers are float* for the _f32 runner and double* for _f64.
typedef struct pck_adam_job {
    ptrdiff_t tensors, shards, parts;
    const ptrdiff_t *counts;                 // [tensors]
    void *const *parameters;                 // [tensors]
    void *const *first_moments;              // [tensors]
    void *const *second_moments;             // [tensors]
    void *const *combined;                   // [tensors]
    const void *const *shard_gradients;      // [shards · tensors], shard-major
    const double *weights;                   // [shards]
    double beta1, beta2, a, c2, epsilon, decay;
} pck_adam_job;
// Runs part `part` of `job` (a pck_adam_job *): the signature of a pck_pool_run task.
void pck_adam_job_run_f32(void *job, ptrdiff_t part);
void pck_adam_job_run_f64(void *job, ptrdiff_t part);

// ---------------------------------------------------------------------------------------------
// Kernel paths. Every computing kernel above is compiled once per instruction set: baseline
// (x86-64 with SSE2; aarch64 with NEON), AVX2 + FMA and AVX-512 (x86-64 only). The first call of
// any kernel chooses the fastest path this CPU supports, or the one the environment variable
// PCKIT_KERNELS names (baseline | avx2 | avx512 | auto; a path the CPU lacks or an unknown name is
// reported on stderr and the automatic choice is used). A native build (PCKIT_NATIVE=1 in the
// environment of `swift build`) has a single path, "native": the kernels compiled with
// -march=native for the build machine.
enum {
    PCK_PATH_AUTO = -1,
    PCK_PATH_BASELINE = 0,
    PCK_PATH_AVX2 = 1,
    PCK_PATH_AVX512 = 2,
    PCK_PATH_NATIVE = 3
};
// The path the calling thread's kernel calls use (its own, if pck_kernels_select_thread set one;
// else the process-wide path, chosen on the first call of this or any kernel; thread-safe).
int pck_kernels_path(void);
// "baseline", "avx2", "avx512" or "native"; NULL for any other value.
const char *pck_kernels_path_name(int path);
// 1 when `path` is compiled into this build and this CPU can run it, otherwise 0.
int pck_kernels_path_available(int path);
// Every later kernel call runs on `path` (PCK_PATH_AUTO: the CPU's best, ignoring PCKIT_KERNELS);
// calls already running finish on the path they started on. PCK_ERR_ARGUMENT, and no change,
// when the path is not available. For tests and benchmarks.
int pck_kernels_select(int path);
// The same for the calling thread only (PCK_PATH_AUTO: back to the process-wide path); other
// threads, and work the thread hands to a pool, keep the process-wide path. For tests that
// compare paths while other code runs.
int pck_kernels_select_thread(int path);

#ifdef __cplusplus
}
#endif
#endif
