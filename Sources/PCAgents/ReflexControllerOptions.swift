/// Options of the ``ReflexController``: the AIC or the unbiased AIC, per joint (<doc:ReflexControl>).
///
/// Every per-joint vector holds `jointCount` values. Precisions are inverse variances Π = 1/σ².
/// Defaults are the 2-DOF simulation tunings of the papers' reference code (AIC: all Π = 1,
/// κ_μ = 200, κ_a = 500; unbiased AIC: K_p = 250, K_d = 100, K_i = 0.05 per tick, I saturated at 1000).
public struct ReflexControllerOptions: Sendable, Equatable, Codable {
    /// Which controller (default ``Variant/aic``).
    public enum Variant: String, Sendable, Codable {
        /// Active inference controller (Pezzato et al. 2020): goal as attractor in the belief, reflex-arc action.
        case aic
        /// Unbiased AIC (Baioumy et al.): goal-free perception, action from the belief by PID.
        case unbiased
    }

    /// The largest ``jointCount``: 512 (the decoded observation (q, q̇) then holds ``AgentLimits/maximumDimension`` values).
    public static let maximumJointCount = AgentLimits.maximumDimension / 2

    /// Which controller (default ``Variant/aic``).
    public var variant: Variant = .aic
    /// Number of joints J, 1…``maximumJointCount``; observations are (q (J), q̇ (J)) after decoding by ``observation``.
    public var jointCount: Int
    /// h, the control period in seconds (Euler step of belief and action), > 0 (default 0.001).
    public var controlPeriod: Double = 0.001
    /// μ_d, the joint-angle goal, (J) rad.
    public var goal: [Double]
    /// Π_q, precision of the angle sensors, (J), each in (0, 10¹²] (as are the other precisions) (default 1).
    public var sensoryPrecision: [Double]
    /// Π_q̇, precision of the velocity sensors, (J) (default 1).
    public var velocitySensoryPrecision: [Double]
    /// Π_μ, precision of the first-order belief dynamics, (J) (default 1).
    public var priorPrecision: [Double]
    /// Π_μ′, precision of the second-order belief dynamics, (J) (default 1).
    public var velocityPriorPrecision: [Double]
    /// k, the gain of the AIC's goal attractor f(μ) = k(μ_d − μ) (<doc:ReflexControl#Generalized-coordinates>; the AIC paper uses k = 1), 1/s, in (0, 10⁶] (default 1).
    public var attractorGain: Double = 1
    /// κ_μ, the perception gain, 1/s, in (0, 10⁶] (default 200).
    public var perceptionGain: Double = 200
    /// κ_a, the action gain of the AIC, (J), each in [0, 10⁶] (as are K_p, K_d, K_i) (default 500).
    public var actionGain: [Double]
    /// K_p of the unbiased AIC, (J) (default 250).
    public var proportionalGain: [Double]
    /// K_d of the unbiased AIC, (J) (default 100).
    public var derivativeGain: [Double]
    /// K_i of the unbiased AIC per tick, (J) (default 0.05).
    public var integralGain: [Double]
    /// |I| ≤ integralLimit for the unbiased AIC, (J) (default 1000).
    public var integralLimit: [Double]
    /// Torque bounds applied to the action, (J) (default ±∞; left out of JSON when unbounded).
    public var actionLower: [Double]
    public var actionUpper: [Double]
    /// How observations encode (q, q̇) (default: (q, q̇) themselves).
    public var observation: ObservationLayout

    /// Options with the defaults above for `jointCount` joints and goal μ_d.
    ///
    /// The per-joint vectors are sized for `jointCount` clamped to 1…``maximumJointCount``, so an
    /// out-of-range count allocates nothing large; ``validate()`` then names it.
    public init(jointCount: Int, goal: [Double], variant: Variant = .aic) {
        let j = min(max(jointCount, 1), Self.maximumJointCount)
        func v(_ x: Double) -> [Double] { [Double](repeating: x, count: j) }
        self.variant = variant
        self.jointCount = jointCount
        self.goal = goal
        sensoryPrecision = v(1); velocitySensoryPrecision = v(1)
        priorPrecision = v(1); velocityPriorPrecision = v(1)
        actionGain = v(500)
        proportionalGain = v(250); derivativeGain = v(100); integralGain = v(0.05); integralLimit = v(1000)
        actionLower = v(-.infinity); actionUpper = v(.infinity)
        observation = (try? ObservationLayout(stateDimension: 2 * j)) ?? (try! ObservationLayout(stateDimension: 2))
    }

    /// The 2-link plant of the unbiased-AIC paper (PCSims article Tasks, section Two-link test plant) at 1 kHz, tuned here to settle a
    /// step within 2 s. AIC: all Π = 1, k = 2.5, κ_μ = 100, κ_a = 4000 (the paper's k = 1 and κ_a = 500
    /// settle in 3.7 s: the attractor's unit rate bounds the belief's speed). Unbiased AIC: Π = 1,
    /// κ_μ = 200, K_p = 2000, K_d = 100, K_i = 4 per tick (the MATLAB gains 250/100/0.05 leave a
    /// 6e-3 rad error at 10 s: the integral's time constant K_p/(1000 K_i) is 5 s).
    public static func twoLinkArm(goal: [Double] = [-0.2, 0.3], variant: Variant) -> ReflexControllerOptions {
        var options = ReflexControllerOptions(jointCount: 2, goal: goal, variant: variant)
        switch variant {
        case .aic:
            options.attractorGain = 2.5
            options.perceptionGain = 100
            options.actionGain = [4000, 4000]
        case .unbiased:
            options.proportionalGain = [2000, 2000]
            options.derivativeGain = [100, 100]
            options.integralGain = [4, 4]
        }
        return options
    }

    /// Holding Gymnasium's Pendulum-v1 upright (state (θ, θ̇), observation (cos θ, sin θ, θ̇),
    /// h = 0.05 s, torque ±2 N·m). AIC: κ_μ = 5, κ_a = 40, k = 1. Unbiased AIC: κ_μ = 8, K_p = 10,
    /// K_d = 2, K_i = 0.05 per tick with |I| ≤ 40. A reflex cannot swing the pendulum up (<doc:ReflexControl#Limits>).
    public static func pendulumHold(variant: Variant) -> ReflexControllerOptions {
        var options = ReflexControllerOptions(jointCount: 1, goal: [0], variant: variant)
        options.observation = try! ObservationLayout(stateDimension: 2, angleIndices: [0])
        options.controlPeriod = 0.05
        options.actionLower = [-2]
        options.actionUpper = [2]
        switch variant {
        case .aic:
            options.perceptionGain = 5
            options.actionGain = [40]
        case .unbiased:
            options.perceptionGain = 8
            options.proportionalGain = [10]
            options.derivativeGain = [2]
            options.integralGain = [0.05]
            options.integralLimit = [40]
        }
        return options
    }

    /// Checks every field.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public func validate() throws {
        try Validate.within(jointCount, 1, Self.maximumJointCount, "jointCount")
        try Validate.positive(controlPeriod, "controlPeriod")
        try Validate.positive(perceptionGain, "perceptionGain")
        try Validate.atMost(perceptionGain, AgentLimits.maximumStepSize, "perceptionGain")
        try Validate.positive(attractorGain, "attractorGain")
        try Validate.atMost(attractorGain, AgentLimits.maximumStepSize, "attractorGain")
        for (name, values) in [("sensoryPrecision", sensoryPrecision), ("velocitySensoryPrecision", velocitySensoryPrecision),
                               ("priorPrecision", priorPrecision), ("velocityPriorPrecision", velocityPriorPrecision)] {
            try Validate.allAtMost(values, AgentLimits.maximumPrecision, name)
        }
        for (name, values) in [("actionGain", actionGain), ("proportionalGain", proportionalGain),
                               ("derivativeGain", derivativeGain), ("integralGain", integralGain)] {
            try Validate.allAtMost(values, AgentLimits.maximumStepSize, name)
        }
        let j = jointCount
        for (name, values) in [("goal", goal), ("sensoryPrecision", sensoryPrecision),
                               ("velocitySensoryPrecision", velocitySensoryPrecision), ("priorPrecision", priorPrecision),
                               ("velocityPriorPrecision", velocityPriorPrecision), ("actionGain", actionGain),
                               ("proportionalGain", proportionalGain), ("derivativeGain", derivativeGain),
                               ("integralGain", integralGain), ("integralLimit", integralLimit),
                               ("actionLower", actionLower), ("actionUpper", actionUpper)] {
            try Validate.count(values, j, name)
        }
        try Validate.finite(goal, "goal")
        try Validate.allPositive(sensoryPrecision, "sensoryPrecision")
        try Validate.allPositive(velocitySensoryPrecision, "velocitySensoryPrecision")
        try Validate.allPositive(priorPrecision, "priorPrecision")
        try Validate.allPositive(velocityPriorPrecision, "velocityPriorPrecision")
        try Validate.allNonNegative(actionGain, "actionGain")
        try Validate.allNonNegative(proportionalGain, "proportionalGain")
        try Validate.allNonNegative(derivativeGain, "derivativeGain")
        try Validate.allNonNegative(integralGain, "integralGain")
        for i in 0..<j where !(integralLimit[i] >= 0) {
            throw AgentConfigurationError.invalidValue(field: "integralLimit[\(i)]", value: "\(integralLimit[i])", requirement: "must be ≥ 0")
        }
        for i in 0..<j where !(actionLower[i] <= actionUpper[i]) {
            throw AgentConfigurationError.invalidValue(field: "actionLower[\(i)]", value: "\(actionLower[i])",
                                                       requirement: "must not exceed actionUpper[\(i)] = \(actionUpper[i])")
        }
        guard observation.stateDimension == 2 * j else {
            throw AgentConfigurationError.dimensionMismatch(field: "observation.stateDimension", expected: 2 * j,
                                                            got: observation.stateDimension)
        }
        // Explicit Euler on the belief is stable only for κ_μ·h·(curvature of F) well below 2; the
        // curvature is bounded by the row sums of the Hessian of F in (μ, μ′, μ″).
        let k = variant == .aic ? attractorGain : 0
        var stiffest = 0.0
        for i in 0..<j {
            let rows = [sensoryPrecision[i] + priorPrecision[i] * (k * k + k),
                        velocitySensoryPrecision[i] + priorPrecision[i] * (1 + k) + velocityPriorPrecision[i] * (k * k + k),
                        velocityPriorPrecision[i] * (1 + k)]
            stiffest = max(stiffest, perceptionGain * controlPeriod * rows.max()!)
        }
        guard stiffest < 2 else {
            throw AgentConfigurationError.invalidValue(field: "perceptionGain", value: "\(perceptionGain)",
                                                       requirement: "κ_μ·h·(largest Hessian row sum of F) must stay below 2 for a stable Euler belief update (is \(stiffest))")
        }
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case variant, jointCount, controlPeriod, goal, sensoryPrecision, velocitySensoryPrecision, priorPrecision
        case velocityPriorPrecision, attractorGain, perceptionGain, actionGain, proportionalGain, derivativeGain, integralGain
        case integralLimit, actionLower, actionUpper, observation
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(variant, forKey: .variant); try c.encode(jointCount, forKey: .jointCount)
        try c.encode(controlPeriod, forKey: .controlPeriod); try c.encode(goal, forKey: .goal)
        try c.encode(sensoryPrecision, forKey: .sensoryPrecision)
        try c.encode(velocitySensoryPrecision, forKey: .velocitySensoryPrecision)
        try c.encode(priorPrecision, forKey: .priorPrecision); try c.encode(velocityPriorPrecision, forKey: .velocityPriorPrecision)
        try c.encode(attractorGain, forKey: .attractorGain); try c.encode(perceptionGain, forKey: .perceptionGain)
        try c.encode(actionGain, forKey: .actionGain); try c.encode(proportionalGain, forKey: .proportionalGain)
        try c.encode(derivativeGain, forKey: .derivativeGain); try c.encode(integralGain, forKey: .integralGain)
        try c.encode(integralLimit, forKey: .integralLimit); try c.encode(observation, forKey: .observation)
        // JSON has no infinity: unbounded torques are left out.
        if actionLower.allSatisfy(\.isFinite) { try c.encode(actionLower, forKey: .actionLower) }
        if actionUpper.allSatisfy(\.isFinite) { try c.encode(actionUpper, forKey: .actionUpper) }
    }

    /// Decodes; `jointCount` and `goal` are required, any other field left out takes its default,
    /// an unknown key or a `jointCount` outside 1…``maximumJointCount`` is refused before anything is sized by it.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let jointCount = try c.decodeInteger(.jointCount, maximum: Self.maximumJointCount)
        try Validate.within(jointCount, 1, Self.maximumJointCount, "jointCount")
        let goal = try c.decode([Double].self, forKey: .goal)
        self.init(jointCount: jointCount, goal: goal)
        if let v = try c.decodeIfPresent(Variant.self, forKey: .variant) { variant = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .controlPeriod) { controlPeriod = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .sensoryPrecision) { sensoryPrecision = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .velocitySensoryPrecision) { velocitySensoryPrecision = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .priorPrecision) { priorPrecision = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .velocityPriorPrecision) { velocityPriorPrecision = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .perceptionGain) { perceptionGain = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .attractorGain) { attractorGain = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .actionGain) { actionGain = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .proportionalGain) { proportionalGain = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .derivativeGain) { derivativeGain = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .integralGain) { integralGain = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .integralLimit) { integralLimit = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .actionLower) { actionLower = v }
        if let v = try c.decodeIfPresent([Double].self, forKey: .actionUpper) { actionUpper = v }
        if let v = try c.decodeIfPresent(ObservationLayout.self, forKey: .observation) { observation = v }
    }
}

extension ReflexControllerOptions {
    /// An upper bound on the bytes building a ``ReflexController`` with these options allocates:
    /// its per-joint belief, action, integral and sensor buffers (7 J Doubles) and their headers.
    ///
    /// An estimate for refusing sessions above a memory budget. Never traps.
    /// - Returns: bytes, ≥ 56 × ``jointCount``.
    public func estimatedMemoryBytes() -> Int {
        let joints = Double(max(jointCount, 0))
        let bytes = 8 * 7 * joints + 512
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }
}
