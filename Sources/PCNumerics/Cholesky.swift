/// The Cholesky factorisation A = L·Lᵀ of a small symmetric positive-definite matrix, and
/// solves with it. For precisions, covariances and the controllers' normal equations.
public struct Cholesky<Scalar: PCScalar>: Sendable {
    /// The lower-triangular factor L, (n × n); entries above the diagonal are zero.
    public private(set) var factor: Matrix<Scalar>

    /// Factorises `matrix` (only its lower triangle is read).
    /// - Throws: ``NumericsError/shapeMismatch(operation:expected:got:)`` for a non-square matrix,
    ///   ``NumericsError/notPositiveDefinite(dimension:)`` when a pivot is ≤ 0 or NaN.
    public init(_ matrix: Matrix<Scalar>) throws {
        guard matrix.rows == matrix.columns else {
            throw NumericsError.shapeMismatch(operation: "Cholesky", expected: Shape(matrix.rows, matrix.rows), got: matrix.shape)
        }
        factor = matrix
        let n = matrix.rows
        let status = factor.withUnsafeMutableStorage { p, ld in Scalar.cholesky(n, p, ld) }
        if status == 2 { throw NumericsError.notPositiveDefinite(dimension: n) }
        try checkStatus(status, "cholesky")
    }

    /// Solves A·X = B in place (B becomes X).
    /// - Parameter b: B, (n × nrhs).
    public func solve(_ b: inout Matrix<Scalar>) throws {
        let n = factor.rows
        guard b.rows == n else {
            throw NumericsError.shapeMismatch(operation: "Cholesky.solve", expected: Shape(n, b.columns), got: b.shape)
        }
        let nrhs = b.columns
        let status = factor.withUnsafeStorage { pl, ldl in b.withUnsafeMutableStorage { pb, ldb in Scalar.choleskySolve(n, nrhs, pl, ldl, pb, ldb) } }
        try checkStatus(status, "cholesky_solve")
    }

    /// Solves A·x = b in place.
    public func solve(_ b: inout Vector<Scalar>) throws {
        let n = factor.rows
        guard b.count == n else {
            throw NumericsError.shapeMismatch(operation: "Cholesky.solve", expected: Shape(n, 1), got: Shape(b.count, 1))
        }
        let status = factor.withUnsafeStorage { pl, ldl in b.withUnsafeMutableBufferPointer { Scalar.choleskySolve(n, 1, pl, ldl, $0.baseAddress!, 1) } }
        try checkStatus(status, "cholesky_solve")
    }

    /// ln det A = 2 Σ ln Lᵢᵢ.
    public var logDeterminant: Scalar {
        var s: Scalar = 0
        for i in 0..<factor.rows { s += Scalar(_log(Double(factor[i, i]))) }
        return 2 * s
    }
}
