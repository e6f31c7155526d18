import _PCKernels

/// The kernel family of a scalar type: the `pck_*_f32` or the `pck_*_f64` entry points.
@usableFromInline
package enum KernelPrecision: Sendable {
    case single, double
}

// The Float/Double dispatch, written once: every kernel below switches on `kernelPrecision` and
// reinterprets its generic arguments as the chosen type's (a no-op once the branch is known).
// Inlinable, so that a caller specialised for Float or Double calls the C entry point directly
// (the switch folds away), as the protocol witnesses these replace did. The functions take raw pointers, perform no shape
// checks and return the kernel's status code: callers are the checked APIs of Matrix and Vector.
extension PCScalar {
    /// `.single` for Float, `.double` for Double.
    @inlinable
    package static var kernelPrecision: KernelPrecision {
        if Self.self == Float.self { return .single }
        precondition(Self.self == Double.self, "PCScalar: the kernels exist for Float and Double only, not \(Self.self)")
        return .double
    }

    @inlinable var f32: Float { unsafeBitCast(self, to: Float.self) }
    @inlinable var f64: Double { unsafeBitCast(self, to: Double.self) }

    @inlinable
    package static func gemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
                             _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                             _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int) -> Int32 {
        switch kernelPrecision {
        case .single: pck_gemm_f32(tA.flag, tB.flag, m, n, k, alpha.f32, a.f32, lda, b.f32, ldb, beta.f32, c.f32, ldc)
        case .double: pck_gemm_f64(tA.flag, tB.flag, m, n, k, alpha.f64, a.f64, lda, b.f64, ldb, beta.f64, c.f64, ldc)
        }
    }

    @inlinable
    package static func gemv(_ tA: Bool, _ m: Int, _ n: Int, _ alpha: Self, _ a: UnsafePointer<Self>,
                             _ lda: Int, _ x: UnsafePointer<Self>, _ beta: Self, _ y: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_gemv_f32(tA.flag, m, n, alpha.f32, a.f32, lda, x.f32, beta.f32, y.f32)
        case .double: pck_gemv_f64(tA.flag, m, n, alpha.f64, a.f64, lda, x.f64, beta.f64, y.f64)
        }
    }

    @inlinable
    package static func linearActivation(_ act: Int32, _ slope: Self, _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int,
                                         _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>,
                                         _ ldb: Int, _ bias: UnsafePointer<Self>?, _ pre: UnsafeMutablePointer<Self>?,
                                         _ out: UnsafeMutablePointer<Self>, _ ldout: Int) -> Int32 {
        switch kernelPrecision {
        case .single:
            pck_linear_activation_f32(act, slope.f32, tA.flag, tB.flag, m, n, k, a.f32, lda, b.f32, ldb, bias?.f32, pre?.f32, out.f32, ldout)
        case .double:
            pck_linear_activation_f64(act, slope.f64, tA.flag, tB.flag, m, n, k, a.f64, lda, b.f64, ldb, bias?.f64, pre?.f64, out.f64, ldout)
        }
    }

    @inlinable
    package static func activation(_ act: Int32, _ slope: Self, _ n: Int, _ x: UnsafePointer<Self>,
                                   _ y: UnsafeMutablePointer<Self>) -> Int32 {
        elementwiseActivation(pck_activation_f32, pck_activation_f64, act, slope, n, x, y)
    }

    @inlinable
    package static func activationDerivative(_ act: Int32, _ slope: Self, _ n: Int, _ x: UnsafePointer<Self>,
                                             _ dy: UnsafeMutablePointer<Self>) -> Int32 {
        elementwiseActivation(pck_activation_derivative_f32, pck_activation_derivative_f64, act, slope, n, x, dy)
    }

    /// φ or φ′ of `n` values: the two activation kernels share this signature.
    @inlinable
    static func elementwiseActivation(
        _ f32: @convention(c) (Int32, Float, Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Int32,
        _ f64: @convention(c) (Int32, Double, Int, UnsafePointer<Double>?, UnsafeMutablePointer<Double>?) -> Int32,
        _ act: Int32, _ slope: Self, _ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>
    ) -> Int32 {
        switch kernelPrecision {
        case .single: f32(act, slope.f32, n, x.f32, y.f32)
        case .double: f64(act, slope.f64, n, x.f64, y.f64)
        }
    }

    @inlinable
    package static func softmaxRows(_ r: Int, _ c: Int, _ x: UnsafePointer<Self>, _ ldx: Int,
                                    _ y: UnsafeMutablePointer<Self>, _ ldy: Int) -> Int32 {
        switch kernelPrecision {
        case .single: pck_softmax_rows_f32(r, c, x.f32, ldx, y.f32, ldy)
        case .double: pck_softmax_rows_f64(r, c, x.f64, ldx, y.f64, ldy)
        }
    }

    @inlinable
    package static func axpy(_ n: Int, _ alpha: Self, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_axpy_f32(n, alpha.f32, x.f32, y.f32)
        case .double: pck_axpy_f64(n, alpha.f64, x.f64, y.f64)
        }
    }

    @inlinable
    package static func scale(_ n: Int, _ alpha: Self, _ x: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_scale_f32(n, alpha.f32, x.f32)
        case .double: pck_scale_f64(n, alpha.f64, x.f64)
        }
    }

    @inlinable
    package static func elementwise(_ op: ElementwiseOperation, _ n: Int, _ a: UnsafePointer<Self>,
                                    _ b: UnsafePointer<Self>, _ out: UnsafeMutablePointer<Self>) -> Int32 {
        switch (kernelPrecision, op) {
        case (.single, .multiply): pck_mul_f32(n, a.f32, b.f32, out.f32)
        case (.single, .subtract): pck_sub_f32(n, a.f32, b.f32, out.f32)
        case (.single, .add): pck_add_f32(n, a.f32, b.f32, out.f32)
        case (.double, .multiply): pck_mul_f64(n, a.f64, b.f64, out.f64)
        case (.double, .subtract): pck_sub_f64(n, a.f64, b.f64, out.f64)
        case (.double, .add): pck_add_f64(n, a.f64, b.f64, out.f64)
        }
    }

    @inlinable
    package static func sumRows(_ r: Int, _ c: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ alpha: Self,
                                _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32 {
        reduction(pck_sum_rows_f32, pck_sum_rows_f64, r, c, a, lda, alpha, beta, out)
    }

    @inlinable
    package static func sumColumns(_ r: Int, _ c: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ alpha: Self,
                                   _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32 {
        reduction(pck_sum_columns_f32, pck_sum_columns_f64, r, c, a, lda, alpha, beta, out)
    }

    /// out ← α·(sums of a's rows or columns) + β·out: the two sum kernels share this signature.
    @inlinable
    static func reduction(
        _ f32: @convention(c) (Int, Int, UnsafePointer<Float>?, Int, Float, Float, UnsafeMutablePointer<Float>?) -> Int32,
        _ f64: @convention(c) (Int, Int, UnsafePointer<Double>?, Int, Double, Double, UnsafeMutablePointer<Double>?) -> Int32,
        _ r: Int, _ c: Int, _ a: UnsafePointer<Self>, _ lda: Int, _ alpha: Self, _ beta: Self, _ out: UnsafeMutablePointer<Self>
    ) -> Int32 {
        switch kernelPrecision {
        case .single: f32(r, c, a.f32, lda, alpha.f32, beta.f32, out.f32)
        case .double: f64(r, c, a.f64, lda, alpha.f64, beta.f64, out.f64)
        }
    }

    @inlinable
    package static func im2col(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ x: UnsafePointer<Self>, _ cols: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_im2col_f32(b, c, h, w, kh, kw, s, p, x.f32, cols.f32)
        case .double: pck_im2col_f64(b, c, h, w, kh, kw, s, p, x.f64, cols.f64)
        }
    }

    @inlinable
    package static func col2im(_ b: Int, _ c: Int, _ h: Int, _ w: Int, _ kh: Int, _ kw: Int, _ s: Int, _ p: Int,
                               _ cols: UnsafePointer<Self>, _ beta: Self, _ x: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_col2im_f32(b, c, h, w, kh, kw, s, p, cols.f32, beta.f32, x.f32)
        case .double: pck_col2im_f64(b, c, h, w, kh, kw, s, p, cols.f64, beta.f64, x.f64)
        }
    }

    @inlinable
    package static func permuteChannels(_ d: Int32, _ b: Int, _ px: Int, _ c: Int, _ alpha: Self,
                                        _ input: UnsafePointer<Self>, _ beta: Self, _ out: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_permute_channels_f32(d, b, px, c, alpha.f32, input.f32, beta.f32, out.f32)
        case .double: pck_permute_channels_f64(d, b, px, c, alpha.f64, input.f64, beta.f64, out.f64)
        }
    }

    @inlinable
    package static func poolForward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                    _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ am: UnsafeMutablePointer<Int32>?) -> Int32 {
        switch kernelPrecision {
        case .single: pck_pool_forward_f32(m, b, c, h, w, win, s, x.f32, y.f32, am)
        case .double: pck_pool_forward_f64(m, b, c, h, w, win, s, x.f64, y.f64, am)
        }
    }

    @inlinable
    package static func poolBackward(_ m: Int32, _ b: Int, _ c: Int, _ h: Int, _ w: Int, _ win: Int, _ s: Int,
                                     _ dy: UnsafePointer<Self>, _ am: UnsafePointer<Int32>?, _ beta: Self,
                                     _ dx: UnsafeMutablePointer<Self>) -> Int32 {
        switch kernelPrecision {
        case .single: pck_pool_backward_f32(m, b, c, h, w, win, s, dy.f32, am, beta.f32, dx.f32)
        case .double: pck_pool_backward_f64(m, b, c, h, w, win, s, dy.f64, am, beta.f64, dx.f64)
        }
    }

    @inlinable
    package static func cholesky(_ n: Int, _ a: UnsafeMutablePointer<Self>, _ lda: Int) -> Int32 {
        switch kernelPrecision {
        case .single: pck_cholesky_f32(n, a.f32, lda)
        case .double: pck_cholesky_f64(n, a.f64, lda)
        }
    }

    @inlinable
    package static func choleskySolve(_ n: Int, _ nrhs: Int, _ l: UnsafePointer<Self>, _ ldl: Int,
                                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int) -> Int32 {
        switch kernelPrecision {
        case .single: pck_cholesky_solve_f32(n, nrhs, l.f32, ldl, b.f32, ldb)
        case .double: pck_cholesky_solve_f64(n, nrhs, l.f64, ldl, b.f64, ldb)
        }
    }
}

extension Bool {
    /// 1 or 0, the kernels' boolean.
    @inlinable var flag: Int32 { self ? 1 : 0 }
}

// The pointer reinterpretations behind the dispatch; valid because the branch has established
// that the pointee type is Float (or Double) already.
extension UnsafePointer where Pointee: PCScalar {
    @inlinable var f32: UnsafePointer<Float> { UnsafeRawPointer(self).assumingMemoryBound(to: Float.self) }
    @inlinable var f64: UnsafePointer<Double> { UnsafeRawPointer(self).assumingMemoryBound(to: Double.self) }
}

extension UnsafeMutablePointer where Pointee: PCScalar {
    @inlinable var f32: UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Float.self) }
    @inlinable var f64: UnsafeMutablePointer<Double> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: Double.self) }
}
