import _PCKernels

extension Double: PCScalar {
    public static func _gemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) -> Int32 {
        pck_gemm_f64(tA ? 1 : 0, tB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func _gemv(_ tA: Bool, _ m: Int, _ n: Int, _ alpha: Double, _ a: UnsafePointer<Double>,
                             _ lda: Int, _ x: UnsafePointer<Double>, _ beta: Double, _ y: UnsafeMutablePointer<Double>) -> Int32 {
        pck_gemv_f64(tA ? 1 : 0, m, n, alpha, a, lda, x, beta, y)
    }
    public static func _linearActivation(_ act: Int32, _ slope: Double, _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int,
                                         _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>,
                                         _ ldb: Int, _ bias: UnsafePointer<Double>?, _ pre: UnsafeMutablePointer<Double>?,
                                         _ out: UnsafeMutablePointer<Double>, _ ldout: Int) -> Int32 {
        pck_linear_activation_f64(act, slope, tA ? 1 : 0, tB ? 1 : 0, m, n, k, a, lda, b, ldb, bias, pre, out, ldout)
    }
    public static func _activation(_ act: Int32, _ slope: Double, _ n: Int, _ x: UnsafePointer<Double>,
                                   _ y: UnsafeMutablePointer<Double>) -> Int32 {
        pck_activation_f64(act, slope, n, x, y)
    }
    public static func _activationDerivative(_ act: Int32, _ slope: Double, _ n: Int, _ x: UnsafePointer<Double>,
                                             _ dy: UnsafeMutablePointer<Double>) -> Int32 {
        pck_activation_derivative_f64(act, slope, n, x, dy)
    }
    public static func _softmaxRows(_ r: Int, _ c: Int, _ x: UnsafePointer<Double>, _ ldx: Int,
                                    _ y: UnsafeMutablePointer<Double>, _ ldy: Int) -> Int32 {
        pck_softmax_rows_f64(r, c, x, ldx, y, ldy)
    }
    public static func _axpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) -> Int32 {
        pck_axpy_f64(n, alpha, x, y)
    }
    public static func _scale(_ n: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>) -> Int32 {
        pck_scale_f64(n, alpha, x)
    }
    public static func _elementwise(_ op: ElementwiseOperation, _ n: Int, _ a: UnsafePointer<Double>,
                                    _ b: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) -> Int32 {
        switch op {
        case .multiply: pck_mul_f64(n, a, b, out)
        case .subtract: pck_sub_f64(n, a, b, out)
        case .add: pck_add_f64(n, a, b, out)
        }
    }
    public static func _sumRows(_ r: Int, _ c: Int, _ a: UnsafePointer<Double>, _ lda: Int, _ alpha: Double,
                                _ beta: Double, _ out: UnsafeMutablePointer<Double>) -> Int32 {
        pck_sum_rows_f64(r, c, a, lda, alpha, beta, out)
    }
    public static func _sumColumns(_ r: Int, _ c: Int, _ a: UnsafePointer<Double>, _ lda: Int, _ alpha: Double,
                                   _ beta: Double, _ out: UnsafeMutablePointer<Double>) -> Int32 {
        pck_sum_columns_f64(r, c, a, lda, alpha, beta, out)
    }
    public static func _im2col(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ x: UnsafePointer<Double>, _ cols: UnsafeMutablePointer<Double>) -> Int32 {
        pck_im2col_f64(b, c, h, w, kh, kw, s, p, x, cols)
    }
    public static func _col2im(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ cols: UnsafePointer<Double>, _ beta: Double, _ x: UnsafeMutablePointer<Double>) -> Int32 {
        pck_col2im_f64(b, c, h, w, kh, kw, s, p, cols, beta, x)
    }
    public static func _permuteChannels(_ d: Int32, _ b: Int, _ px: Int, _ c: Int, _ alpha: Double,
                                        _ input: UnsafePointer<Double>, _ beta: Double, _ out: UnsafeMutablePointer<Double>) -> Int32 {
        pck_permute_channels_f64(d, b, px, c, alpha, input, beta, out)
    }
    public static func _poolForward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                    _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ am: UnsafeMutablePointer<Int32>?) -> Int32 {
        pck_pool_forward_f64(m, b, c, h, w, win, s, x, y, am)
    }
    public static func _poolBackward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                     _ dy: UnsafePointer<Double>, _ am: UnsafePointer<Int32>?, _ beta: Double,
                                     _ dx: UnsafeMutablePointer<Double>) -> Int32 {
        pck_pool_backward_f64(m, b, c, h, w, win, s, dy, am, beta, dx)
    }
    public static func _cholesky(_ n: Int, _ a: UnsafeMutablePointer<Double>, _ lda: Int) -> Int32 {
        pck_cholesky_f64(n, a, lda)
    }
    public static func _choleskySolve(_ n: Int, _ nrhs: Int, _ l: UnsafePointer<Double>, _ ldl: Int,
                                      _ b: UnsafeMutablePointer<Double>, _ ldb: Int) -> Int32 {
        pck_cholesky_solve_f64(n, nrhs, l, ldl, b, ldb)
    }
}
