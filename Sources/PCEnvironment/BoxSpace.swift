/// A box in ℝⁿ: elementwise bounds `low ≤ x ≤ high` (Gymnasium's `Box`).
///
/// Unbounded coordinates use `-.infinity`/`.infinity`. Bounds are validated once, at construction.
public struct BoxSpace: Sendable, Equatable, Codable {
    /// Lower bounds, (dimension).
    public let low: [Double]
    /// Upper bounds, (dimension).
    public let high: [Double]

    /// Creates a box.
    /// - Throws: ``EnvironmentError/invalidSpace(_:)`` when the lengths differ, a bound is NaN,
    ///   or some `low[i] > high[i]`.
    public init(low: [Double], high: [Double]) throws {
        guard low.count == high.count else {
            throw EnvironmentError.invalidSpace("low has \(low.count) bounds, high has \(high.count)")
        }
        for i in low.indices {
            guard !low[i].isNaN, !high[i].isNaN else {
                throw EnvironmentError.invalidSpace("bound \(i) is NaN")
            }
            guard low[i] <= high[i] else {
                throw EnvironmentError.invalidSpace("low[\(i)] = \(low[i]) exceeds high[\(i)] = \(high[i])")
            }
        }
        self.low = low
        self.high = high
    }

    /// A box with the same bounds on every coordinate.
    public init(dimension: Int, low: Double, high: Double) throws {
        try self.init(low: Array(repeating: low, count: dimension), high: Array(repeating: high, count: dimension))
    }

    /// Number of coordinates.
    public var dimension: Int { low.count }

    /// Whether every coordinate of `x` is finite-or-bounded inside the box (NaN is never inside).
    public func contains(_ x: [Double]) -> Bool {
        guard x.count == dimension else { return false }
        for i in x.indices where !(x[i] >= low[i] && x[i] <= high[i]) { return false }
        return true
    }

    /// Clips `x` into the box coordinate by coordinate, in place.
    public func clip(_ x: inout [Double]) {
        precondition(x.count == dimension, "BoxSpace.clip: expected \(dimension) values, got \(x.count)")
        for i in x.indices { x[i] = Swift.min(Swift.max(x[i], low[i]), high[i]) }
    }

    /// The value of coordinate `i` clipped into the box.
    @inlinable
    public func clip(_ value: Double, at i: Int) -> Double {
        Swift.min(Swift.max(value, low[i]), high[i])
    }
}
