import PCNumerics

/// A read-only view of a contiguous block of a matrix's columns, sharing its storage: the time step
/// u_t = x₀[:, t·n … (t+1)·n) of a sequence stored as one row per sample. Products read it through
/// the leading dimension, so making it copies nothing.
struct ColumnBlock<Scalar: PCScalar>: MatrixOperand, Sendable {
    /// The matrix viewed.
    let base: Matrix<Scalar>
    /// The first column of the block.
    let start: Int
    /// Columns in the block.
    let columns: Int

    var rows: Int { base.rows }

    func withUnsafeStorage<R>(_ body: (UnsafePointer<Scalar>, Int) throws -> R) rethrows -> R {
        try base.withUnsafeStorage { pointer, ld in try body(pointer + start, ld) }
    }
}
