/// A dense row-major matrix of `Float` or `Double` that owns its storage.
///
/// `Matrix` has value semantics with copy-on-write: copies share storage until one is mutated.
/// Batches are rows (`[batch, features]`, as in PyTorch and JAX). Element (i, j) is stored at
/// `storage[i * columns + j]`. Shapes are positive in both dimensions; constructors and operations
/// check shapes and throw ``NumericsError`` rather than crash.
///
/// Operations come in two forms: allocating conveniences that return a new matrix, and in-place
/// forms that write into a preallocated `inout` output (`into:`), which allocate nothing once the
/// output is uniquely owned — use those in hot loops.
///
/// ```swift
/// let a = try Matrix<Double>([[1, 2], [3, 4]])
/// var c = try Matrix<Double>(rows: 2, columns: 2)
/// try Matrix.multiply(a, a, into: &c)          // c = a·a
/// ```
public struct Matrix<Scalar: PCScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements in row-major order, (rows · columns).
    @inlinable public var elements: [Scalar] { storage }
    @usableFromInline var storage: [Scalar]

    /// A matrix of the given shape filled with `value`.
    /// - Throws: ``NumericsError/emptyShape(operation:shape:)`` if a dimension is not positive.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) throws {
        guard rows > 0, columns > 0 else {
            throw NumericsError.emptyShape(operation: "Matrix.init", shape: Shape(rows, columns))
        }
        self.rows = rows
        self.columns = columns
        self.storage = [Scalar](repeating: value, count: rows * columns)
    }

    /// A matrix from row-major storage.
    /// - Throws: ``NumericsError/emptyShape(operation:shape:)`` or ``NumericsError/elementCount(expected:got:)``.
    public init(rows: Int, columns: Int, elements: [Scalar]) throws {
        guard rows > 0, columns > 0 else {
            throw NumericsError.emptyShape(operation: "Matrix.init", shape: Shape(rows, columns))
        }
        guard elements.count == rows * columns else {
            throw NumericsError.elementCount(expected: rows * columns, got: elements.count)
        }
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix from nested rows; every row must have the same positive length.
    public init(_ nestedRows: [[Scalar]]) throws {
        let columns = nestedRows.first?.count ?? 0
        for (i, row) in nestedRows.enumerated() where row.count != columns {
            throw NumericsError.shapeMismatch(operation: "Matrix.init(rows \(i))",
                                              expected: Shape(1, columns), got: Shape(1, row.count))
        }
        try self.init(rows: nestedRows.count, columns: columns, elements: nestedRows.flatMap { $0 })
    }

    /// The n×n identity.
    public static func identity(_ n: Int) throws -> Matrix {
        var m = try Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// The shape rows × columns.
    @inlinable public var shape: Shape { Shape(rows, columns) }
    /// Number of storage.
    @inlinable public var count: Int { rows * columns }

    /// Element (row, column). Indices are checked (a programmer error traps).
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for \(shape)")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for \(shape)")
            storage[row * columns + column] = newValue
        }
    }

    /// Row `i` as an array (allocates).
    public func row(_ i: Int) -> [Scalar] {
        precondition(i >= 0 && i < rows, "Matrix row \(i) out of range 0..<\(rows)")
        return Array(storage[(i * columns)..<((i + 1) * columns)])
    }

    /// The transpose (allocates).
    public var transposed: Matrix {
        var t = try! Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t.storage[j * rows + i] = storage[i * columns + j] } }
        return t
    }

    /// Read access to the storage: (pointer to element (0, 0), leading dimension).
    @inlinable
    public func withUnsafeStorage<R>(_ body: (UnsafePointer<Scalar>, Int) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { try body($0.baseAddress!, columns) }
    }

    /// Write access to the storage: (pointer to element (0, 0), leading dimension). Makes the
    /// storage unique first (copy-on-write).
    @inlinable
    public mutating func withUnsafeMutableStorage<R>(_ body: (UnsafeMutablePointer<Scalar>, Int) throws -> R) rethrows -> R {
        let ld = columns
        return try storage.withUnsafeMutableBufferPointer { try body($0.baseAddress!, ld) }
    }

    /// Sets every element to `value`, in place.
    @inlinable
    public mutating func fill(_ value: Scalar) {
        storage.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = value }
        }
    }

    /// Copies `source`'s elements into this matrix.
    /// - Throws: ``NumericsError/shapeMismatch(operation:expected:got:)`` if shapes differ.
    public mutating func assign(_ source: Matrix) throws {
        guard source.shape == shape else {
            throw NumericsError.shapeMismatch(operation: "Matrix.assign", expected: shape, got: source.shape)
        }
        source.storage.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
    }

    /// Whether every element is finite (no NaN, no infinity).
    public var isFinite: Bool {
        storage.withUnsafeBufferPointer { b in
            var ok = true
            for x in b where !x.isFinite { ok = false; break }
            return ok
        }
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = (0..<Swift.min(rows, 8)).map { i in
            "[" + (0..<Swift.min(columns, 8)).map { "\(storage[i * columns + $0])" }.joined(separator: ", ")
                + (columns > 8 ? ", …" : "") + "]"
        }.joined(separator: "\n ")
        return "Matrix<\(Scalar.self)> \(shape)\n[" + shown + (rows > 8 ? "\n …" : "") + "]"
    }
}
