extension Matrix {
    /// Elementwise out = a ∘ b for ∘ in ``ElementwiseOperation`` (⊙, −, +); all three the same shape.
    /// `out` may be a copy of `a` or `b` (pass the result back in place with `into: &a`).
    @inlinable
    public static func elementwise(_ operation: ElementwiseOperation, _ a: Matrix, _ b: Matrix,
                                   into out: inout Matrix) throws {
        guard a.shape == b.shape else {
            throw NumericsError.shapeMismatch(operation: "elementwise \(operation)", expected: a.shape, got: b.shape)
        }
        guard out.shape == a.shape else {
            throw NumericsError.shapeMismatch(operation: "elementwise \(operation) (output)", expected: a.shape, got: out.shape)
        }
        let n = a.count
        let status = a.withUnsafeStorage { pa, _ in
            b.withUnsafeStorage { pb, _ in out.withUnsafeMutableStorage { po, _ in Scalar.elementwise(operation, n, pa, pb, po) } }
        }
        try checkStatus(status, "elementwise")
    }

    /// self += α·x (AXPY).
    @inlinable
    public mutating func add(_ x: Matrix, scaledBy alpha: Scalar = 1) throws {
        guard x.shape == shape else {
            throw NumericsError.shapeMismatch(operation: "add(scaledBy:)", expected: shape, got: x.shape)
        }
        let n = count
        let status = x.withUnsafeStorage { px, _ in withUnsafeMutableStorage { py, _ in Scalar.axpy(n, alpha, px, py) } }
        try checkStatus(status, "axpy")
    }

    /// self *= α.
    @inlinable
    public mutating func scale(by alpha: Scalar) {
        let n = count
        let status = withUnsafeMutableStorage { p, _ in Scalar.scale(n, alpha, p) }
        precondition(status == 0, "scale: kernel status \(status)")
    }

    /// out (rows) = α·(sum of each row) + β·out.
    public func sumRows(alpha: Scalar = 1, beta: Scalar = 0, into out: inout Vector<Scalar>) throws {
        guard out.count == rows else {
            throw NumericsError.shapeMismatch(operation: "sumRows", expected: Shape(rows, 1), got: Shape(out.count, 1))
        }
        let (r, c) = (rows, columns)
        let status = withUnsafeStorage { pa, lda in out.withUnsafeMutableBufferPointer { Scalar.sumRows(r, c, pa, lda, alpha, beta, $0.baseAddress!) } }
        try checkStatus(status, "sum_rows")
    }

    /// out (columns) = α·(sum of each column) + β·out. With α = 1/batch this is the batch mean,
    /// e.g. the bias gradient of a layer.
    public func sumColumns(alpha: Scalar = 1, beta: Scalar = 0, into out: inout Vector<Scalar>) throws {
        guard out.count == columns else {
            throw NumericsError.shapeMismatch(operation: "sumColumns", expected: Shape(columns, 1), got: Shape(out.count, 1))
        }
        let (r, c) = (rows, columns)
        let status = withUnsafeStorage { pa, lda in out.withUnsafeMutableBufferPointer { Scalar.sumColumns(r, c, pa, lda, alpha, beta, $0.baseAddress!) } }
        try checkStatus(status, "sum_columns")
    }

    /// Σ of squares of all elements (½ of it is the unit-precision energy of an error matrix).
    public var sumOfSquares: Scalar {
        withUnsafeStorage { p, _ in
            var s: Scalar = 0
            for i in 0..<count { s += p[i] * p[i] }
            return s
        }
    }
}

extension Vector {
    /// self += α·x (AXPY).
    public mutating func add(_ x: Vector, scaledBy alpha: Scalar = 1) throws {
        guard x.count == count else {
            throw NumericsError.shapeMismatch(operation: "Vector.add", expected: Shape(count, 1), got: Shape(x.count, 1))
        }
        let n = count
        let status = x.withUnsafeBufferPointer { px in withUnsafeMutableBufferPointer { Scalar.axpy(n, alpha, px.baseAddress!, $0.baseAddress!) } }
        try checkStatus(status, "axpy")
    }

    /// self *= α.
    public mutating func scale(by alpha: Scalar) {
        let n = count
        _ = withUnsafeMutableBufferPointer { Scalar.scale(n, alpha, $0.baseAddress!) }
    }
}
