extension Matrix {
    /// General matrix product into a preallocated output: C = α·op(A)·op(B) + β·C.
    ///
    /// op(X) is X or Xᵀ. With β = 0, C's previous contents are ignored (NaN included).
    /// Runs on Eigen's blocked GEMM; allocates nothing.
    /// - Parameters:
    ///   - a: A, stored (m × k), or (k × m) when `transposeA`.
    ///   - b: B, stored (k × n), or (n × k) when `transposeB`.
    ///   - c: C, (m × n).
    /// - Throws: ``NumericsError/shapeMismatch(operation:expected:got:)`` when the shapes do not fit.
    @inlinable
    public static func multiply<A: MatrixOperand, B: MatrixOperand>(
        _ a: A, transposeA: Bool = false, _ b: B, transposeB: Bool = false,
        alpha: Scalar = 1, beta: Scalar = 0, into c: inout Matrix
    ) throws where A.Scalar == Scalar, B.Scalar == Scalar {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        guard k == kb else {
            throw NumericsError.shapeMismatch(operation: "multiply (inner dimension)",
                                              expected: Shape(k, n), got: Shape(kb, n))
        }
        guard c.rows == m, c.columns == n else {
            throw NumericsError.shapeMismatch(operation: "multiply (output)", expected: Shape(m, n), got: c.shape)
        }
        let status = a.withUnsafeStorage { pa, lda in
            b.withUnsafeStorage { pb, ldb in
                c.withUnsafeMutableStorage { pc, ldc in
                    Scalar.gemm(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc)
                }
            }
        }
        try checkStatus(status, "gemm")
    }

    /// The product op(self)·op(other) as a new matrix (allocates).
    public func multiplied<B: MatrixOperand>(by other: B, transposeSelf: Bool = false,
                                             transposeOther: Bool = false) throws -> Matrix where B.Scalar == Scalar {
        var c = try Matrix(rows: transposeSelf ? columns : rows,
                           columns: transposeOther ? other.rows : other.columns)
        try Matrix.multiply(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: &c)
        return c
    }

    /// Matrix–vector product into a preallocated output: y = α·op(A)·x + β·y.
    ///
    /// Systems up to 8×8 take a plain loop in the kernel (the controllers' sizes); larger ones Eigen's GEMV.
    /// - Parameters:
    ///   - a: A, stored (m × n).
    ///   - x: (n), or (m) when `transpose`.
    ///   - y: (m), or (n) when `transpose`.
    /// - Throws: ``NumericsError/shapeMismatch(operation:expected:got:)``.
    @inlinable
    public static func multiply<A: MatrixOperand>(
        _ a: A, transpose: Bool = false, vector x: Vector<Scalar>, alpha: Scalar = 1, beta: Scalar = 0,
        into y: inout Vector<Scalar>
    ) throws where A.Scalar == Scalar {
        let inCount = transpose ? a.rows : a.columns
        let outCount = transpose ? a.columns : a.rows
        guard x.count == inCount else {
            throw NumericsError.shapeMismatch(operation: "matrix-vector product (input)",
                                              expected: Shape(inCount, 1), got: Shape(x.count, 1))
        }
        guard y.count == outCount else {
            throw NumericsError.shapeMismatch(operation: "matrix-vector product (output)",
                                              expected: Shape(outCount, 1), got: Shape(y.count, 1))
        }
        // Controller-sized systems: an inlined loop avoids the call and the kernel's dispatch.
        if a.rows <= 8 && a.columns <= 8 {
            a.withUnsafeStorage { pa, lda in
                x.withUnsafeBufferPointer { px in
                    y.withUnsafeMutableBufferPointer { py in
                        smallMatrixVector(transpose, a.rows, a.columns, alpha, pa, lda, px.baseAddress!, beta, py.baseAddress!)
                    }
                }
            }
            return
        }
        let status = a.withUnsafeStorage { pa, lda in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Scalar.gemv(transpose, a.rows, a.columns, alpha, pa, lda, px.baseAddress!, beta, py.baseAddress!)
                }
            }
        }
        try checkStatus(status, "gemv")
    }

    /// Accumulates a batch of outer products: W += α·Σᵢ aᵢ bᵢᵀ = α·AᵀB.
    ///
    /// This is the Hebbian weight gradient of predictive coding (error × presynaptic rate).
    /// - Parameters:
    ///   - a: A, (batch × n), e.g. the prediction errors.
    ///   - b: B, (batch × k), e.g. the presynaptic rates.
    ///   - w: W, (n × k).
    @inlinable
    public static func accumulateOuterProducts<A: MatrixOperand, B: MatrixOperand>(
        _ a: A, _ b: B, alpha: Scalar = 1, into w: inout Matrix
    ) throws where A.Scalar == Scalar, B.Scalar == Scalar {
        try multiply(a, transposeA: true, b, alpha: alpha, beta: 1, into: &w)
    }

    /// Fused dense layer: out = act(op(A)·op(B) + bias), bias broadcast over rows.
    ///
    /// For a batch X (batch × in) and weights W (out × in), `linear(x, transposeB: true, w, bias:)`
    /// gives act(X·Wᵀ + b).
    /// - Parameters:
    ///   - bias: (n) or `nil`.
    ///   - preactivation: receives op(A)·op(B) + bias, (m × n), when given.
    ///   - output: (m × n).
    public static func linear<A: MatrixOperand, B: MatrixOperand>(
        _ a: A, transposeA: Bool = false, _ b: B, transposeB: Bool = false, bias: Vector<Scalar>?,
        activation: Activation, preactivation: UnsafeMutablePointer<Matrix>? = nil, into output: inout Matrix
    ) throws where A.Scalar == Scalar, B.Scalar == Scalar {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        guard k == kb else {
            throw NumericsError.shapeMismatch(operation: "linear (inner dimension)", expected: Shape(k, n), got: Shape(kb, n))
        }
        guard output.rows == m, output.columns == n else {
            throw NumericsError.shapeMismatch(operation: "linear (output)", expected: Shape(m, n), got: output.shape)
        }
        if let bias, bias.count != n {
            throw NumericsError.shapeMismatch(operation: "linear (bias)", expected: Shape(n, 1), got: Shape(bias.count, 1))
        }
        if let preactivation, preactivation.pointee.shape != output.shape {
            throw NumericsError.shapeMismatch(operation: "linear (preactivation)", expected: Shape(m, n),
                                              got: preactivation.pointee.shape)
        }
        let (code, slope) = activation.code(Scalar.self)
        let status = a.withUnsafeStorage { pa, lda in
            b.withUnsafeStorage { pb, ldb in
                output.withUnsafeMutableStorage { po, ldo in
                    withOptionalBias(bias) { pbias in
                        if let preactivation {
                            return preactivation.pointee.withUnsafeMutableStorage { pp, _ in
                                Scalar.linearActivation(code, slope, transposeA, transposeB, m, n, k, pa, lda, pb, ldb,
                                                         pbias, pp, po, ldo)
                            }
                        }
                        return Scalar.linearActivation(code, slope, transposeA, transposeB, m, n, k, pa, lda, pb, ldb,
                                                        pbias, nil, po, ldo)
                    }
                }
            }
        }
        try checkStatus(status, "linear_activation")
    }
}

@usableFromInline
func withOptionalBias<Scalar: PCScalar, R>(_ bias: Vector<Scalar>?, _ body: (UnsafePointer<Scalar>?) -> R) -> R {
    guard let bias else { return body(nil) }
    return bias.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// y = α·op(A)·x + β·y for A up to 8×8 (β = 0 ignores y's previous contents).
@inlinable @inline(__always)
func smallMatrixVector<Scalar: PCScalar>(_ transpose: Bool, _ m: Int, _ n: Int, _ alpha: Scalar,
                                         _ a: UnsafePointer<Scalar>, _ lda: Int, _ x: UnsafePointer<Scalar>,
                                         _ beta: Scalar, _ y: UnsafeMutablePointer<Scalar>) {
    let outCount = transpose ? n : m
    let inCount = transpose ? m : n
    for i in 0..<outCount {
        var s: Scalar = 0
        if transpose {
            for j in 0..<inCount { s += a[j * lda + i] * x[j] }
        } else {
            let row = a + i * lda
            for j in 0..<inCount { s += row[j] * x[j] }
        }
        y[i] = beta == 0 ? alpha * s : alpha * s + beta * y[i]
    }
}
