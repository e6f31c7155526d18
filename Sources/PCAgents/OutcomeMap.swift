/// The outcome map g of the predictive controller: the quantities the goal prior is placed on.
///
/// g(x) = C·w(x), where w wraps the state coordinates listed in ``angleIndices`` into [−π, π)
/// (w(x)ᵢ = ((xᵢ + π) mod 2π) − π) and leaves the others alone, and C is a fixed
/// (outcomeDimension × stateDimension) matrix. Its Jacobian is C wherever w is continuous, i.e.
/// away from angles of exactly ±π. With no angles and C = I the goal is on the state itself; the
/// pendulum's goal on wrap(θ) and θ̇ is C = I with angle index 0, which makes the goal energy
/// ½ Π_θ wrap(θ)² + ½ Π_θ̇ θ̇², Gymnasium's cost up to the factor ½Π.
public struct OutcomeMap: Sendable, Equatable, Codable {
    /// Dimension of the state x.
    public let stateDimension: Int
    /// Dimension of the outcome o = g(x).
    public let outcomeDimension: Int
    /// C, (outcomeDimension × stateDimension), row-major.
    public let matrix: [Double]
    /// State coordinates that are angles and are wrapped before C is applied.
    public let angleIndices: [Int]

    /// Creates g(x) = C·w(x).
    /// - Throws: ``AgentConfigurationError`` when C has the wrong size or an angle index is out of range.
    public init(stateDimension: Int, matrix: [Double], angleIndices: [Int] = []) throws {
        try Validate.atLeast(stateDimension, 1, "outcome.stateDimension")
        guard matrix.count % stateDimension == 0, !matrix.isEmpty else {
            throw AgentConfigurationError.invalidValue(
                field: "outcome.matrix", value: "\(matrix.count) entries",
                requirement: "must hold a positive multiple of stateDimension = \(stateDimension) entries")
        }
        try Validate.finite(matrix, "outcome.matrix")
        for i in angleIndices where !(0..<stateDimension).contains(i) {
            throw AgentConfigurationError.invalidValue(field: "outcome.angleIndices", value: "\(i)",
                                                       requirement: "must lie in 0..<\(stateDimension)")
        }
        self.stateDimension = stateDimension
        self.outcomeDimension = matrix.count / stateDimension
        self.matrix = matrix
        self.angleIndices = angleIndices
    }

    /// g(x) = x with the listed angles wrapped (C = I).
    public static func identity(stateDimension n: Int, angleIndices: [Int] = []) throws -> OutcomeMap {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { c[i * n + i] = 1 }
        return try OutcomeMap(stateDimension: n, matrix: c, angleIndices: angleIndices)
    }

    /// Writes o = g(x).
    /// - Parameters:
    ///   - state: x, (stateDimension).
    ///   - outcome: receives o, (outcomeDimension).
    @inline(__always)
    func apply(_ state: UnsafePointer<Double>, into outcome: UnsafeMutablePointer<Double>,
               wrapped: UnsafeMutablePointer<Double>) {
        let n = stateDimension
        for j in 0..<n { wrapped[j] = state[j] }
        // Index loops: iterating an array in unspecialised (debug) code allocates an iterator box.
        for k in 0..<angleIndices.count { wrapped[angleIndices[k]] = wrapAngle(state[angleIndices[k]]) }
        matrix.withUnsafeBufferPointer { c in
            for i in 0..<outcomeDimension {
                var s = 0.0
                for j in 0..<n { s += c[i * n + j] * wrapped[j] }
                outcome[i] = s
            }
        }
    }
}

/// wrap(x) = ((x + π) mod 2π) − π, in [−π, π) (Gymnasium's `angle_normalize`).
@inline(__always)
public func wrapAngle(_ x: Double) -> Double {
    let twoPi = 2 * Double.pi
    var r = (x + Double.pi).truncatingRemainder(dividingBy: twoPi)
    if r < 0 { r += twoPi }
    return r - Double.pi
}

extension OutcomeMap {
    enum CodingKeys: String, CodingKey { case stateDimension, matrix, angleIndices }
    /// Decodes and validates (a bad matrix or index throws ``AgentConfigurationError``).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(stateDimension: try c.decode(Int.self, forKey: .stateDimension),
                      matrix: try c.decode([Double].self, forKey: .matrix),
                      angleIndices: try c.decodeIfPresent([Int].self, forKey: .angleIndices) ?? [])
    }
}
