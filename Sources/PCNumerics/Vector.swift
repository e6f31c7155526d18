/// A dense vector of `Float` or `Double` that owns its storage (value semantics, copy-on-write).
///
/// Vectors are never empty; constructors throw ``NumericsError`` rather than crash.
public struct Vector<Scalar: PCScalar>: Sendable, Equatable {
    /// The elements, (count).
    @inlinable public var elements: [Scalar] { storage }
    @usableFromInline var storage: [Scalar]

    /// A vector of `count` copies of `value`.
    /// - Throws: ``NumericsError/emptyShape(operation:shape:)`` when `count` is not positive.
    public init(count: Int, repeating value: Scalar = 0) throws {
        guard count > 0 else { throw NumericsError.emptyShape(operation: "Vector.init", shape: Shape(count, 1)) }
        storage = [Scalar](repeating: value, count: count)
    }

    /// A vector holding `elements`.
    /// - Throws: ``NumericsError/emptyShape(operation:shape:)`` when `elements` is empty.
    public init(_ elements: [Scalar]) throws {
        guard !elements.isEmpty else { throw NumericsError.emptyShape(operation: "Vector.init", shape: Shape(0, 1)) }
        self.storage = elements
    }

    /// Number of storage.
    @inlinable public var count: Int { storage.count }

    public subscript(i: Int) -> Scalar {
        get { storage[i] }
        set { storage[i] = newValue }
    }

    /// Read access to the storage.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Write access to the storage (made unique first).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Sets every element to `value`.
    @inlinable
    public mutating func fill(_ value: Scalar) {
        storage.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = value } }
    }

    /// Copies `source` into this vector.
    /// - Throws: ``NumericsError/shapeMismatch(operation:expected:got:)`` if the counts differ.
    public mutating func assign(_ source: Vector) throws {
        guard source.count == count else {
            throw NumericsError.shapeMismatch(operation: "Vector.assign", expected: Shape(count, 1), got: Shape(source.count, 1))
        }
        for i in 0..<count { storage[i] = source.storage[i] }
    }

    /// The Euclidean dot product.
    public func dot(_ other: Vector) throws -> Scalar {
        guard other.count == count else {
            throw NumericsError.shapeMismatch(operation: "Vector.dot", expected: Shape(count, 1), got: Shape(other.count, 1))
        }
        var s: Scalar = 0
        for i in 0..<count { s += storage[i] * other.storage[i] }
        return s
    }
}
