/// The agent's model of an action-dependent sensor: y = x − p + v, v ~ N(0, σ(x, p)² I) in 2-D,
/// with x the hidden target and p the sensor position (<doc:ActiveSensing#Why-the-noise-must-depend-on-the-action>: information gain needs
/// R(a) to depend on the action).
public enum SensorNoiseModel: Sendable, Equatable, Codable {
    /// σ = base + slope·|p_x − stripX|: a light strip at p_x = stripX (light-dark; PCSims article Tasks, section Light-dark).
    case lightStrip(base: Double, slope: Double, stripX: Double)
    /// σ = base + slope·‖x − p‖: noise grows with the distance to the target (the counter-check).
    case distance(base: Double, slope: Double)
    /// σ constant: the epistemic value of every action is the same (<doc:ActiveSensing#Why-the-noise-must-depend-on-the-action>).
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

extension SensorNoiseModel {
    private enum ModelKeys: String, CodingKey, CaseIterable { case lightStrip, distance, constant }
    private enum LightStripKeys: String, CodingKey, CaseIterable { case base, slope, stripX }
    private enum DistanceKeys: String, CodingKey, CaseIterable { case base, slope }
    private enum ConstantKeys: String, CodingKey, CaseIterable { case sigma = "_0" }

    /// Decodes `{"lightStrip": {"base", "slope", "stripX"}}`, `{"distance": {"base", "slope"}}` or
    /// `{"constant": {"_0": σ}}`; an unknown key is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(ModelKeys.self)
        let c = try decoder.container(keyedBy: ModelKeys.self)
        guard c.allKeys.count == 1, let kind = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a noise model needs exactly one of `lightStrip`, `distance`, `constant`"))
        }
        let inner = try c.superDecoder(forKey: kind)
        switch kind {
        case .lightStrip:
            try inner.rejectUnknownKeys(LightStripKeys.self)
            let v = try inner.container(keyedBy: LightStripKeys.self)
            self = .lightStrip(base: try v.decode(Double.self, forKey: .base), slope: try v.decode(Double.self, forKey: .slope),
                               stripX: try v.decode(Double.self, forKey: .stripX))
        case .distance:
            try inner.rejectUnknownKeys(DistanceKeys.self)
            let v = try inner.container(keyedBy: DistanceKeys.self)
            self = .distance(base: try v.decode(Double.self, forKey: .base), slope: try v.decode(Double.self, forKey: .slope))
        case .constant:
            try inner.rejectUnknownKeys(ConstantKeys.self)
            self = .constant(try inner.container(keyedBy: ConstantKeys.self).decode(Double.self, forKey: .sigma))
        }
    }
}
