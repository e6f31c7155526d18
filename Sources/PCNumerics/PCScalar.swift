import _PCKernels

/// The scalar types PCKit computes with: `Float` (the default for training) and `Double`
/// (control and exactness tests).
///
/// The underscored requirements dispatch to the Eigen kernels of `_PCKernels`; they take raw
/// pointers, perform no shape checks and return the kernel's status code. Use the checked API
/// on ``Matrix`` and ``Vector`` instead.
public protocol PCScalar: BinaryFloatingPoint, Sendable, Codable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int) -> Int32
    static func _gemv(_ transA: Bool, _ m: Int, _ n: Int, _ alpha: Self, _ a: UnsafePointer<Self>,
                      _ lda: Int, _ x: UnsafePointer<Self>, _ beta: Self, _ y: UnsafeMutablePointer<Self>) -> Int32
    static func _linearActivation(_ activation: Int32, _ slope: Self, _ transA: Bool, _ transB: Bool,
                                  _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                                  _ b: UnsafePointer<Self>, _ ldb: Int, _ bias: UnsafePointer<Self>?,
                                  _ preactivation: UnsafeMutablePointer<Self>?,
                                  _ out: UnsafeMutablePointer<Self>, _ ldout: Int) -> Int32
    static func _activation(_ activation: Int32, _ slope: Self, _ n: Int, _ x: UnsafePointer<Self>,
                            _ y: UnsafeMutablePointer<Self>) -> Int32
    static func _activationDerivative(_ activation: Int32, _ slope: Self, _ n: Int,
                                      _ x: UnsafePointer<Self>, _ dy: UnsafeMutablePointer<Self>) -> Int32
    static func _softmaxRows(_ rows: Int, _ cols: Int, _ x: UnsafePointer<Self>, _ ldx: Int,
                             _ y: UnsafeMutablePointer<Self>, _ ldy: Int) -> Int32
    static func _axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>) -> Int32
    static func _scale(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>) -> Int32
    static func _elementwise(_ op: ElementwiseOperation, _ n: Int, _ a: UnsafePointer<Self>,
                             _ b: UnsafePointer<Self>, _ out: UnsafeMutablePointer<Self>) -> Int32
    static func _sumRows(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ alpha: Self,
                         _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32
    static func _sumColumns(_ rows: Int, _ cols: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ alpha: Self,
                            _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32
    static func _cholesky(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32
    static func _im2col(_ batch: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ stride: Int, _ pad: Int,
                        _ x: UnsafePointer<Self>, _ cols: UnsafeMutablePointer<Self>) -> Int32
    static func _col2im(_ batch: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ stride: Int, _ pad: Int,
                        _ cols: UnsafePointer<Self>, _ beta: Self, _ x: UnsafeMutablePointer<Self>) -> Int32
    static func _permuteChannels(_ direction: Int32, _ batch: Int, _ pixels: Int, _ channels: Int, _ alpha: Self,
                                 _ input: UnsafePointer<Self>, _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32
    static func _poolForward(_ mode: Int32, _ batch: Int, _ c: Int, _ h: Int, _ w: Int, _ window: Int, _ stride: Int,
                             _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ argmax: UnsafeMutablePointer<Int32>?) -> Int32
    static func _poolBackward(_ mode: Int32, _ batch: Int, _ c: Int, _ h: Int, _ w: Int, _ window: Int, _ stride: Int,
                              _ dy: UnsafePointer<Self>, _ argmax: UnsafePointer<Int32>?, _ beta: Self,
                              _ dx: UnsafeMutablePointer<Self>) -> Int32
    static func _choleskySolve(_ n: Int, _ nrhs: Int, _ l: UnsafePointer<Self>, _ ldl: Int,
                               _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32
}

/// Binary elementwise operations of the kernel.
public enum ElementwiseOperation: Sendable {
    /// a ⊙ b (Hadamard product)
    case multiply
    /// a − b
    case subtract
    /// a + b
    case add
}

extension Float: PCScalar {
    public static func _gemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) -> Int32 {
        pck_gemm_f32(tA ? 1 : 0, tB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func _gemv(_ tA: Bool, _ m: Int, _ n: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
                             _ lda: Int, _ x: UnsafePointer<Float>, _ beta: Float, _ y: UnsafeMutablePointer<Float>) -> Int32 {
        pck_gemv_f32(tA ? 1 : 0, m, n, alpha, a, lda, x, beta, y)
    }
    public static func _linearActivation(_ act: Int32, _ slope: Float, _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int,
                                         _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                         _ ldb: Int, _ bias: UnsafePointer<Float>?, _ pre: UnsafeMutablePointer<Float>?,
                                         _ out: UnsafeMutablePointer<Float>, _ ldout: Int) -> Int32 {
        pck_linear_activation_f32(act, slope, tA ? 1 : 0, tB ? 1 : 0, m, n, k, a, lda, b, ldb, bias, pre, out, ldout)
    }
    public static func _activation(_ act: Int32, _ slope: Float, _ n: Int, _ x: UnsafePointer<Float>,
                                   _ y: UnsafeMutablePointer<Float>) -> Int32 {
        pck_activation_f32(act, slope, n, x, y)
    }
    public static func _activationDerivative(_ act: Int32, _ slope: Float, _ n: Int, _ x: UnsafePointer<Float>,
                                             _ dy: UnsafeMutablePointer<Float>) -> Int32 {
        pck_activation_derivative_f32(act, slope, n, x, dy)
    }
    public static func _softmaxRows(_ r: Int, _ c: Int, _ x: UnsafePointer<Float>, _ ldx: Int,
                                    _ y: UnsafeMutablePointer<Float>, _ ldy: Int) -> Int32 {
        pck_softmax_rows_f32(r, c, x, ldx, y, ldy)
    }
    public static func _axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) -> Int32 {
        pck_axpy_f32(n, alpha, x, y)
    }
    public static func _scale(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) -> Int32 {
        pck_scale_f32(n, alpha, x)
    }
    public static func _elementwise(_ op: ElementwiseOperation, _ n: Int, _ a: UnsafePointer<Float>,
                                    _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) -> Int32 {
        switch op {
        case .multiply: pck_mul_f32(n, a, b, out)
        case .subtract: pck_sub_f32(n, a, b, out)
        case .add: pck_add_f32(n, a, b, out)
        }
    }
    public static func _sumRows(_ r: Int, _ c: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ alpha: Float,
                                _ beta: Float, _ out: UnsafeMutablePointer<Float>) -> Int32 {
        pck_sum_rows_f32(r, c, a, lda, alpha, beta, out)
    }
    public static func _sumColumns(_ r: Int, _ c: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ alpha: Float,
                                   _ beta: Float, _ out: UnsafeMutablePointer<Float>) -> Int32 {
        pck_sum_columns_f32(r, c, a, lda, alpha, beta, out)
    }
    public static func _im2col(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) -> Int32 {
        pck_im2col_f32(b, c, h, w, kh, kw, s, p, x, cols)
    }
    public static func _col2im(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ cols: UnsafePointer<Float>, _ beta: Float, _ x: UnsafeMutablePointer<Float>) -> Int32 {
        pck_col2im_f32(b, c, h, w, kh, kw, s, p, cols, beta, x)
    }
    public static func _permuteChannels(_ d: Int32, _ b: Int, _ px: Int, _ c: Int, _ alpha: Float,
                                        _ input: UnsafePointer<Float>, _ beta: Float, _ out: UnsafeMutablePointer<Float>) -> Int32 {
        pck_permute_channels_f32(d, b, px, c, alpha, input, beta, out)
    }
    public static func _poolForward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                    _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ am: UnsafeMutablePointer<Int32>?) -> Int32 {
        pck_pool_forward_f32(m, b, c, h, w, win, s, x, y, am)
    }
    public static func _poolBackward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                     _ dy: UnsafePointer<Float>, _ am: UnsafePointer<Int32>?, _ beta: Float,
                                     _ dx: UnsafeMutablePointer<Float>) -> Int32 {
        pck_pool_backward_f32(m, b, c, h, w, win, s, dy, am, beta, dx)
    }
    public static func _cholesky(_ n: Int, _ a: UnsafeMutablePointer<Float>, _ lda: Int) -> Int32 {
        pck_cholesky_f32(n, a, lda)
    }
    public static func _choleskySolve(_ n: Int, _ nrhs: Int, _ l: UnsafePointer<Float>, _ ldl: Int,
                                      _ b: UnsafeMutablePointer<Float>, _ ldb: Int) -> Int32 {
        pck_cholesky_solve_f32(n, nrhs, l, ldl, b, ldb)
    }
}
