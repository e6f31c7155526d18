/// The shape of a matrix: rows × columns (a vector of n values is n × 1).
public struct Shape: Sendable, Hashable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int
    public init(_ rows: Int, _ columns: Int) { self.rows = rows; self.columns = columns }
    public var description: String { "\(rows)×\(columns)" }
}

/// Why a numerics operation refused its input. Every case carries what was expected and what
/// arrived; the operation's outputs are untouched when one is thrown.
public enum NumericsError: Error, Equatable, CustomStringConvertible {
    /// Operand shapes do not fit the operation (e.g. inner dimensions of a product differ).
    case shapeMismatch(operation: String, expected: Shape, got: Shape)
    /// A matrix or vector with no elements was requested; PCKit's operands are never empty.
    case emptyShape(operation: String, shape: Shape)
    /// An element array's length does not match the requested shape.
    case elementCount(expected: Int, got: Int)
    /// Cholesky factorisation met a non-positive (or NaN) pivot.
    case notPositiveDefinite(dimension: Int)
    /// An argument is outside its domain (described).
    case invalidArgument(String)
    /// The kernel reported a failure it should not have (a bug or an allocation failure).
    case kernelFailure(function: String, status: Int32)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, got): "\(op): expected shape \(expected), got \(got)"
        case let .emptyShape(op, shape): "\(op): empty shape \(shape); sizes must be positive"
        case let .elementCount(expected, got): "expected \(expected) elements, got \(got)"
        case let .notPositiveDefinite(n): "the \(n)×\(n) matrix is not positive definite"
        case let .invalidArgument(why): "invalid argument: \(why)"
        case let .kernelFailure(function, status): "kernel \(function) failed with status \(status)"
        }
    }
}

/// Turns a kernel status into a thrown error.
@usableFromInline
func checkStatus(_ status: Int32, _ function: StaticString) throws {
    if status != 0 { throw NumericsError.kernelFailure(function: "\(function)", status: status) }
}
