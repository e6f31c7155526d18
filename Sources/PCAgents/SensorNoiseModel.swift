/// The agent's model of an action-dependent sensor: y = x − p + v, v ~ N(0, σ(x, p)² I) in 2-D,
/// with x the hidden target and p the sensor position (ALGORITHMS.md B8: information gain needs
/// R(a) to depend on the action).
public enum SensorNoiseModel: Sendable, Equatable, Codable {
    /// σ = base + slope·|p_x − stripX|: a light strip at p_x = stripX (light-dark, TASKS.md §8).
    case lightStrip(base: Double, slope: Double, stripX: Double)
    /// σ = base + slope·‖x − p‖: noise grows with the distance to the target (the counter-check).
    case distance(base: Double, slope: Double)
    /// σ constant: the epistemic value of every action is the same (B8 test (i)).
    case constant(Double)

    /// σ at target (x₁, x₂) and sensor (p₁, p₂).
    @inline(__always)
    public func standardDeviation(targetX: Double, targetY: Double, sensorX: Double, sensorY: Double) -> Double {
        switch self {
        case let .lightStrip(base, slope, stripX): base + slope * abs(sensorX - stripX)
        case let .distance(base, slope):
            base + slope * ((targetX - sensorX) * (targetX - sensorX) + (targetY - sensorY) * (targetY - sensorY)).squareRoot()
        case let .constant(sigma): sigma
        }
    }

    /// Whether σ depends on the sensor only (then the likelihood's normaliser is constant over the grid).
    public var dependsOnTarget: Bool {
        if case .distance = self { return true }
        return false
    }

    func validate() throws {
        switch self {
        case let .lightStrip(base, slope, stripX):
            try Validate.positive(base, "noise.base"); try Validate.nonNegative(slope, "noise.slope")
            try Validate.finite([stripX], "noise.stripX")
        case let .distance(base, slope):
            try Validate.positive(base, "noise.base"); try Validate.nonNegative(slope, "noise.slope")
        case let .constant(sigma):
            try Validate.positive(sigma, "noise.constant")
        }
    }
}
