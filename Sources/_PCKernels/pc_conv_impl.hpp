// Convolution and pooling helpers: im2col/col2im, channel permutations, pooling and its adjoint.
// A convolution is then one GEMM over the unfolded patches (see PCNumerics' Convolution2D).
// Not a translation unit: included per instruction set by pc_variant.hpp (see pc_kernels_impl.hpp).
#include "include/pc_kernels.h"

#include <limits>

namespace {

inline ptrdiff_t outputSize(ptrdiff_t in, ptrdiff_t k, ptrdiff_t stride, ptrdiff_t pad) {
    return (in + 2 * pad - k) / stride + 1;
}

inline bool validGeometry(ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh,
                          ptrdiff_t kw, ptrdiff_t stride, ptrdiff_t pad) {
    return batch >= 0 && c > 0 && h > 0 && w > 0 && kh > 0 && kw > 0 && stride > 0 && pad >= 0 &&
           h + 2 * pad >= kh && w + 2 * pad >= kw;
}

template <class T>
int im2col(ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh, ptrdiff_t kw,
           ptrdiff_t stride, ptrdiff_t pad, const T *x, T *cols) {
    if (!validGeometry(batch, c, h, w, kh, kw, stride, pad) || (batch > 0 && (!x || !cols)))
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t oh = outputSize(h, kh, stride, pad), ow = outputSize(w, kw, stride, pad);
    const ptrdiff_t patch = c * kh * kw;
    for (ptrdiff_t b = 0; b < batch; ++b) {
        const T *xb = x + b * c * h * w;
        for (ptrdiff_t oy = 0; oy < oh; ++oy)
            for (ptrdiff_t ox = 0; ox < ow; ++ox) {
                T *row = cols + ((b * oh + oy) * ow + ox) * patch;
                for (ptrdiff_t ch = 0; ch < c; ++ch)
                    for (ptrdiff_t ky = 0; ky < kh; ++ky) {
                        const ptrdiff_t iy = oy * stride + ky - pad;
                        for (ptrdiff_t kx = 0; kx < kw; ++kx) {
                            const ptrdiff_t ix = ox * stride + kx - pad;
                            *row++ = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? xb[(ch * h + iy) * w + ix] : T(0);
                        }
                    }
            }
    }
    return PCK_OK;
}

template <class T>
int col2im(ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh, ptrdiff_t kw,
           ptrdiff_t stride, ptrdiff_t pad, const T *cols, T beta, T *x) {
    if (!validGeometry(batch, c, h, w, kh, kw, stride, pad) || (batch > 0 && (!x || !cols)))
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t oh = outputSize(h, kh, stride, pad), ow = outputSize(w, kw, stride, pad);
    const ptrdiff_t patch = c * kh * kw;
    for (ptrdiff_t i = 0; i < batch * c * h * w; ++i) x[i] = beta == T(0) ? T(0) : beta * x[i];
    for (ptrdiff_t b = 0; b < batch; ++b) {
        T *xb = x + b * c * h * w;
        for (ptrdiff_t oy = 0; oy < oh; ++oy)
            for (ptrdiff_t ox = 0; ox < ow; ++ox) {
                const T *row = cols + ((b * oh + oy) * ow + ox) * patch;
                for (ptrdiff_t ch = 0; ch < c; ++ch)
                    for (ptrdiff_t ky = 0; ky < kh; ++ky) {
                        const ptrdiff_t iy = oy * stride + ky - pad;
                        for (ptrdiff_t kx = 0; kx < kw; ++kx, ++row) {
                            const ptrdiff_t ix = ox * stride + kx - pad;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) xb[(ch * h + iy) * w + ix] += *row;
                        }
                    }
            }
    }
    return PCK_OK;
}

template <class T>
int permuteChannels(int direction, ptrdiff_t batch, ptrdiff_t pixels, ptrdiff_t channels, T alpha,
                    const T *in, T beta, T *out) {
    if (batch < 0 || pixels <= 0 || channels <= 0 || (batch > 0 && (!in || !out)) || (direction != 0 && direction != 1))
        return PCK_ERR_ARGUMENT;
    for (ptrdiff_t b = 0; b < batch; ++b)
        for (ptrdiff_t p = 0; p < pixels; ++p)
            for (ptrdiff_t ch = 0; ch < channels; ++ch) {
                const ptrdiff_t pixelMajor = (b * pixels + p) * channels + ch;
                const ptrdiff_t channelMajor = (b * channels + ch) * pixels + p;
                const ptrdiff_t src = direction == 0 ? pixelMajor : channelMajor;
                const ptrdiff_t dst = direction == 0 ? channelMajor : pixelMajor;
                out[dst] = beta == T(0) ? alpha * in[src] : alpha * in[src] + beta * out[dst];
            }
    return PCK_OK;
}

template <class T>
int poolForward(int mode, ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t window,
                ptrdiff_t stride, const T *x, T *y, int *argmax) {
    if (!validGeometry(batch, c, h, w, window, window, stride, 0) || (mode != 0 && mode != 1) ||
        (batch > 0 && (!x || !y)) || (mode == 1 && batch > 0 && !argmax))
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t oh = outputSize(h, window, stride, 0), ow = outputSize(w, window, stride, 0);
    const T inv = T(1) / T(window * window);
    for (ptrdiff_t bc = 0; bc < batch * c; ++bc) {
        const T *plane = x + bc * h * w;
        for (ptrdiff_t oy = 0; oy < oh; ++oy)
            for (ptrdiff_t ox = 0; ox < ow; ++ox) {
                const ptrdiff_t o = (bc * oh + oy) * ow + ox;
                if (mode == 0) {
                    T s = T(0);
                    for (ptrdiff_t ky = 0; ky < window; ++ky)
                        for (ptrdiff_t kx = 0; kx < window; ++kx) s += plane[(oy * stride + ky) * w + ox * stride + kx];
                    y[o] = s * inv;
                } else {
                    // The first maximum wins; a NaN in the window makes the output NaN (IEEE propagation).
                    ptrdiff_t best = (oy * stride) * w + ox * stride;
                    T bestValue = plane[best];
                    for (ptrdiff_t ky = 0; ky < window; ++ky)
                        for (ptrdiff_t kx = 0; kx < window; ++kx) {
                            const ptrdiff_t i = (oy * stride + ky) * w + ox * stride + kx;
                            const T v = plane[i];
                            if (v != v) { best = i; bestValue = v; ky = window; break; }
                            if (v > bestValue) { best = i; bestValue = v; }
                        }
                    y[o] = bestValue;
                    argmax[o] = int(best);
                }
            }
    }
    return PCK_OK;
}

template <class T>
int poolBackward(int mode, ptrdiff_t batch, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t window,
                 ptrdiff_t stride, const T *dy, const int *argmax, T beta, T *dx) {
    if (!validGeometry(batch, c, h, w, window, window, stride, 0) || (mode != 0 && mode != 1) ||
        (batch > 0 && (!dy || !dx)) || (mode == 1 && batch > 0 && !argmax))
        return PCK_ERR_ARGUMENT;
    const ptrdiff_t oh = outputSize(h, window, stride, 0), ow = outputSize(w, window, stride, 0);
    for (ptrdiff_t i = 0; i < batch * c * h * w; ++i) dx[i] = beta == T(0) ? T(0) : beta * dx[i];
    const T inv = T(1) / T(window * window);
    for (ptrdiff_t bc = 0; bc < batch * c; ++bc) {
        T *plane = dx + bc * h * w;
        for (ptrdiff_t oy = 0; oy < oh; ++oy)
            for (ptrdiff_t ox = 0; ox < ow; ++ox) {
                const ptrdiff_t o = (bc * oh + oy) * ow + ox;
                if (mode == 0) {
                    for (ptrdiff_t ky = 0; ky < window; ++ky)
                        for (ptrdiff_t kx = 0; kx < window; ++kx)
                            plane[(oy * stride + ky) * w + ox * stride + kx] += dy[o] * inv;
                } else {
                    plane[argmax[o]] += dy[o];
                }
            }
    }
    return PCK_OK;
}

}  // namespace

#define PCK_DEFINE_CONV(T, S)                                                                      \
    int pck_im2col_##S(ptrdiff_t b, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh,           \
                       ptrdiff_t kw, ptrdiff_t s, ptrdiff_t p, const T *x, T *cols) {              \
        return im2col<T>(b, c, h, w, kh, kw, s, p, x, cols);                                       \
    }                                                                                              \
    int pck_col2im_##S(ptrdiff_t b, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh,           \
                       ptrdiff_t kw, ptrdiff_t s, ptrdiff_t p, const T *cols, T beta, T *x) {      \
        return col2im<T>(b, c, h, w, kh, kw, s, p, cols, beta, x);                                 \
    }                                                                                              \
    int pck_permute_channels_##S(int d, ptrdiff_t b, ptrdiff_t px, ptrdiff_t c, T alpha,           \
                                 const T *in, T beta, T *out) {                                    \
        return permuteChannels<T>(d, b, px, c, alpha, in, beta, out);                              \
    }                                                                                              \
    int pck_pool_forward_##S(int m, ptrdiff_t b, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,            \
                             ptrdiff_t win, ptrdiff_t s, const T *x, T *y, int *am) {              \
        return poolForward<T>(m, b, c, h, w, win, s, x, y, am);                                    \
    }                                                                                              \
    int pck_pool_backward_##S(int m, ptrdiff_t b, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,           \
                              ptrdiff_t win, ptrdiff_t s, const T *dy, const int *am, T beta,      \
                              T *dx) {                                                             \
        return poolBackward<T>(m, b, c, h, w, win, s, dy, am, beta, dx);                           \
    }

PCK_DEFINE_CONV(float, f32)
PCK_DEFINE_CONV(double, f64)
