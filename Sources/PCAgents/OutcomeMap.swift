/// The outcome map g of the predictive controller: the quantities the goal prior is placed on.
///
/// g(x) = C·w(x), where w wraps the state coordinates listed in ``angleIndices`` into [−π, π)
/// (w(x)ᵢ = ((xᵢ + π) mod 2π) − π) and leaves the others alone, and C is a fixed
/// (outcomeDimension × stateDimension) matrix. Its Jacobian is C wherever w is continuous, i.e.
/// away from angles of exactly ±π. With no angles and C = I the goal is on the state itself; the
/// pendulum's goal on wrap(θ) and θ̇ is C = I with angle index 0, which makes the goal energy
/// ½ Π_θ wrap(θ)² + ½ Π_θ̇ θ̇², Gymnasium's cost up to the factor ½Π.
///
/// Optionally (``reach``) two nonlinear rows come first: the tip of a planar chain minus a target,
/// tip = Σ_k l_k (cos φ_k, sin φ_k), φ_k = q₁ + … + q_k, read from state coordinates, so a goal
/// o* = 0 on them means "fingertip on the target" (without target indices the rows are the tip
/// itself and o* is a fixed target). Their Jacobian is analytic:
/// ∂tip/∂q_j = Σ_{k ≥ j} l_k (−sin φ_k, cos φ_k), ∂/∂target = −I. (sin and cos are `fastSinCos`,
/// within a few ulp of the C library's and about 4× faster: a planner evaluates g at every step of
/// every rollout, and the C library's calls were 8% of the acrobot's learned control step.)
public struct OutcomeMap: Sendable, Equatable, Codable {
    /// A planar chain's fingertip-minus-target outcome.
    public struct PlanarReach: Sendable, Equatable, Codable {
        /// Link lengths l_k, (links).
        public var lengths: [Double]
        /// State index of q₁; the joint angles are the next `lengths.count` coordinates.
        public var firstAngleIndex: Int
        /// State indices of the target's (x, y); empty: the rows are the tip itself, and a fixed
        /// target is the goal prior's o* on them (e.g. an acrobot's tip straight up).
        public var targetIndices: [Int]
        public init(lengths: [Double], firstAngleIndex: Int, targetIndices: [Int]) {
            self.lengths = lengths
            self.firstAngleIndex = firstAngleIndex
            self.targetIndices = targetIndices
        }
    }
    /// The optional nonlinear reach rows (first two outcome coordinates).
    public let reach: PlanarReach?
    /// Dimension of the state x, 1…``AgentLimits/maximumDimension``.
    public let stateDimension: Int
    /// Dimension of the outcome o = g(x) (at most ``AgentLimits/maximumDimension`` + 2).
    public let outcomeDimension: Int
    /// C, (outcomeDimension × stateDimension), row-major.
    public let matrix: [Double]
    /// State coordinates that are angles and are wrapped before C is applied.
    public let angleIndices: [Int]

    /// Creates g(x) = C·w(x).
    /// - Throws: ``AgentConfigurationError`` when C has the wrong size or an angle index is out of range.
    public init(stateDimension: Int, matrix: [Double], angleIndices: [Int] = [], reach: PlanarReach? = nil) throws {
        try Validate.within(stateDimension, 1, AgentLimits.maximumDimension, "outcome.stateDimension")
        if let reach {
            try Validate.allPositive(reach.lengths, "outcome.reach.lengths")
            guard reach.firstAngleIndex >= 0, reach.firstAngleIndex <= stateDimension - reach.lengths.count else {
                throw AgentConfigurationError.invalidValue(field: "outcome.reach.firstAngleIndex", value: "\(reach.firstAngleIndex)",
                                                           requirement: "the joint angles must lie within the state")
            }
            guard reach.targetIndices.isEmpty || reach.targetIndices.count == 2,
                  reach.targetIndices.allSatisfy({ (0..<stateDimension).contains($0) }) else {
                throw AgentConfigurationError.invalidValue(field: "outcome.reach.targetIndices", value: "\(reach.targetIndices)",
                                                           requirement: "must be two state indices, or empty for a fixed target given by the goal")
            }
        }
        guard matrix.count % stateDimension == 0, !matrix.isEmpty || reach != nil else {
            throw AgentConfigurationError.invalidValue(
                field: "outcome.matrix", value: "\(matrix.count) entries",
                requirement: "must hold a positive multiple of stateDimension = \(stateDimension) entries")
        }
        try Validate.atMost(matrix.count / stateDimension, AgentLimits.maximumDimension, "outcome.matrix rows")
        try Validate.finite(matrix, "outcome.matrix")
        // Each listed angle is wrapped on every evaluation: no more of them than coordinates.
        try Validate.atMost(angleIndices.count, stateDimension, "outcome.angleIndices.count")
        for i in angleIndices where !(0..<stateDimension).contains(i) {
            throw AgentConfigurationError.invalidValue(field: "outcome.angleIndices", value: "\(i)",
                                                       requirement: "must lie in 0..<\(stateDimension)")
        }
        self.stateDimension = stateDimension
        self.outcomeDimension = matrix.count / stateDimension + (reach == nil ? 0 : 2)
        self.matrix = matrix
        self.angleIndices = angleIndices
        self.reach = reach
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
        var row = 0
        if let reach {
            var phi = 0.0, x = 0.0, y = 0.0
            for k in 0..<reach.lengths.count {
                phi += state[reach.firstAngleIndex + k]
                let (sine, cosine) = fastSinCos(phi)
                x += reach.lengths[k] * cosine
                y += reach.lengths[k] * sine
            }
            let moving = reach.targetIndices.count == 2
            outcome[0] = moving ? x - state[reach.targetIndices[0]] : x
            outcome[1] = moving ? y - state[reach.targetIndices[1]] : y
            row = 2
        }
        for j in 0..<n { wrapped[j] = state[j] }
        // Index loops: iterating an array in unspecialised (debug) code allocates an iterator box.
        for k in 0..<angleIndices.count { wrapped[angleIndices[k]] = wrapAngle(state[angleIndices[k]]) }
        let rows = matrix.count / n
        matrix.withUnsafeBufferPointer { c in
            for i in 0..<rows {
                var s = 0.0
                for j in 0..<n { s += c[i * n + j] * wrapped[j] }
                outcome[row + i] = s
            }
        }
    }

    /// Writes ∂g/∂x at `state`, (outcomeDimension × stateDimension), row-major.
    func jacobian(_ state: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) {
        let n = stateDimension
        var row = 0
        if let reach {
            for j in 0..<(2 * n) { jacobian[j] = 0 }
            // Suffix sums of l_k (−sin φ_k, cos φ_k) give the columns of the joint angles.
            let links = reach.lengths.count
            var phi = 0.0
            for k in 0..<links {
                phi += state[reach.firstAngleIndex + k]
                let (sine, cosine) = fastSinCos(phi)
                let dx = -reach.lengths[k] * sine, dy = reach.lengths[k] * cosine
                for j in 0...k {
                    jacobian[reach.firstAngleIndex + j] += dx
                    jacobian[n + reach.firstAngleIndex + j] += dy
                }
            }
            if reach.targetIndices.count == 2 {
                jacobian[reach.targetIndices[0]] -= 1
                jacobian[n + reach.targetIndices[1]] -= 1
            }
            row = 2
        }
        matrix.withUnsafeBufferPointer { c in
            for k in 0..<c.count { jacobian[row * n + k] = c[k] }
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
    enum CodingKeys: String, CodingKey, CaseIterable { case stateDimension, matrix, angleIndices, reach }
    /// Decodes and validates (a bad matrix or index, or an unknown key, throws ``AgentConfigurationError``).
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(stateDimension: try c.decodeInteger(.stateDimension, maximum: AgentLimits.maximumDimension),
                      matrix: try c.decode([Double].self, forKey: .matrix),
                      angleIndices: try c.decodeIntegersIfPresent(.angleIndices) ?? [],
                      reach: try c.decodeIfPresent(PlanarReach.self, forKey: .reach))
    }
}

extension OutcomeMap.PlanarReach {
    enum CodingKeys: String, CodingKey, CaseIterable { case lengths, firstAngleIndex, targetIndices }
    /// Decodes; an unknown key is refused (the ranges are checked by ``OutcomeMap``).
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(lengths: try c.decode([Double].self, forKey: .lengths),
                  firstAngleIndex: try c.decodeInteger(.firstAngleIndex),
                  targetIndices: try c.decodeIntegers(.targetIndices))
    }
}
