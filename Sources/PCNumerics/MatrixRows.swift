/// Anything that can be read as a row-major matrix with a leading dimension: a ``Matrix`` or a
/// ``MatrixRows`` view. Products and elementwise operations accept either.
public protocol MatrixOperand<Scalar> {
    associatedtype Scalar: PCScalar
    /// Number of rows.
    var rows: Int { get }
    /// Number of columns.
    var columns: Int { get }
    /// Calls `body` with a pointer to element (0, 0) and the leading dimension (elements between
    /// the starts of consecutive rows).
    func withUnsafeStorage<R>(_ body: (UnsafePointer<Scalar>, Int) throws -> R) rethrows -> R
}

extension Matrix: MatrixOperand {}

/// A read-only view of a contiguous range of a matrix's rows (e.g. a mini-batch), sharing the
/// matrix's storage: making it copies nothing.
public struct MatrixRows<Scalar: PCScalar>: MatrixOperand, Sendable {
    /// The matrix viewed.
    public let base: Matrix<Scalar>
    /// The rows of `base` in the view.
    public let range: Range<Int>

    /// Number of rows in the view.
    public var rows: Int { range.count }
    /// Number of columns (those of `base`).
    public var columns: Int { base.columns }

    public func withUnsafeStorage<R>(_ body: (UnsafePointer<Scalar>, Int) throws -> R) rethrows -> R {
        try base.withUnsafeStorage { pointer, ld in try body(pointer + range.lowerBound * ld, ld) }
    }

    /// Copies the viewed rows into a new matrix.
    public func copy() -> Matrix<Scalar> {
        try! Matrix(rows: rows, columns: columns,
                    elements: Array(base.storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }
}

extension Matrix {
    /// A view of rows `range` (shares storage).
    /// - Throws: ``NumericsError/invalidArgument(_:)`` when the range is empty or out of bounds.
    public func rows(_ range: Range<Int>) throws -> MatrixRows<Scalar> {
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= rows else {
            throw NumericsError.invalidArgument("row range \(range) is empty or outside 0..<\(rows)")
        }
        return MatrixRows(base: self, range: range)
    }

    /// Copies rows `indices` of `source`, in order, into this matrix's first `indices.count` rows
    /// (a shuffled mini-batch, without allocating).
    /// - Throws: ``NumericsError`` when the columns differ, there are more indices than rows, or an
    ///   index is out of range.
    public mutating func gatherRows<C: Collection>(from source: Matrix, indices: C) throws where C.Element == Int {
        guard source.columns == columns else {
            throw NumericsError.shapeMismatch(operation: "Matrix.gatherRows", expected: Shape(indices.count, columns),
                                              got: Shape(indices.count, source.columns))
        }
        guard indices.count <= rows else {
            throw NumericsError.invalidArgument("gatherRows: \(indices.count) indices for \(rows) rows")
        }
        for index in indices where index < 0 || index >= source.rows {
            throw NumericsError.invalidArgument("gatherRows: row \(index) outside 0..<\(source.rows)")
        }
        let n = columns
        source.storage.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                for (r, index) in indices.enumerated() {
                    (dst.baseAddress! + r * n).update(from: src.baseAddress! + index * n, count: n)
                }
            }
        }
    }
}
