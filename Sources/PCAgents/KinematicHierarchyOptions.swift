/// Options of the ``KinematicHierarchy`` (<doc:KinematicReaching>), for an N-link planar arm.
///
/// Lengths are in any unit (the reference arm uses pixels); internally every position is divided by
/// the total length L = Σ l (<doc:KinematicReaching#Beliefs>), so the
/// precisions and gains below are unit-free.
public struct KinematicHierarchyOptions: Sendable, Equatable, Codable {
    /// The largest number of links N: 256.
    public static let maximumLinkCount = 256
    /// The largest ``inferenceSteps``: 100,000 (``AgentLimits/maximumIterations``).
    public static let maximumInferenceSteps = AgentLimits.maximumIterations

    /// l_ℓ, link lengths, (N), N in 1…``maximumLinkCount``.
    public var lengths: [Double]
    /// Joint limits, (N) rad each; `nil` for none.
    public var lowerLimits: [Double]?
    public var upperLimits: [Double]?
    /// φ₀, the base orientation, rad (default 0).
    public var baseOrientation: Double = 0
    /// dt, the time step of belief and action (the plant's period; reference 0.3).
    public var timeStep: Double = 0.3
    /// Perception (generalized-coordinate Euler) steps per control step, 1…``maximumInferenceSteps``; the action is taken after the last (default 1).
    public var inferenceSteps: Int = 1
    /// κ, the perception gain, in (0, 10⁶] (default 1); every precision below is at most 10¹², every gain at most 10⁶.
    public var perceptionGain: Double = 1
    /// π_ext, precision of the kinematic errors ε_ext,ℓ = μ_ext,ℓ − g_ext (default 1).
    public var extrinsicPrecision: Double = 1
    /// π_prop, precision of the proprioceptive angles (default 1).
    public var proprioceptivePrecision: Double = 1
    /// π_vis, precision of the seen end-effector position (default 0: no vision in the observation).
    public var visualPrecision: Double = 0
    /// k_ext, the gain of the extrinsic intention f = k_ext(i − p_N) (default 1).
    public var intentionGain: Double = 1
    /// π_μ, precision of the intention's dynamics error (default 1).
    public var intentionPrecision: Double = 1
    /// k_lim, the gain of the joint-limit attractor f = k_lim(clamp(θ) − θ) on the intrinsic level (default 1).
    public var limitGain: Double = 1
    /// π_lim, precision of the intrinsic dynamics error (default 1).
    public var intrinsicPrecision: Double = 1
    /// k_a, gain of the reflex that cancels the proprioceptive error (default 0.5).
    public var actionGain: Double = 0.5
    /// a_max, the joint-velocity bound, rad per unit time (default 10).
    public var maximumVelocity: Double = 10

    public init(lengths: [Double], lowerLimits: [Double]? = nil, upperLimits: [Double]? = nil) {
        self.lengths = lengths
        self.lowerLimits = lowerLimits
        self.upperLimits = upperLimits
    }

    /// The 4-link reference arm (PCSims article Tasks, section Kinematic arm; lengths 50, 70, 90, 20 px; limits in degrees
    /// (−5, 10), (−5, 130), (−5, 130), (−90, 90)), dt = 0.3, tuned here: κ = 1, π_ext = 1,
    /// π_prop = 0.02, 40 inference steps per control step (one step per control step reaches
    /// 2 of 30 targets in 500 steps: the kinematic errors spread slowly down the chain).
    public static var referenceArm: KinematicHierarchyOptions {
        let degree = Double.pi / 180
        var options = KinematicHierarchyOptions(lengths: [50, 70, 90, 20],
                                                lowerLimits: [-5, -5, -5, -90].map { $0 * degree },
                                                upperLimits: [10, 130, 130, 90].map { $0 * degree })
        options.inferenceSteps = 40
        options.proprioceptivePrecision = 0.02
        return options
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case lengths, lowerLimits, upperLimits, baseOrientation, timeStep, inferenceSteps, perceptionGain
        case extrinsicPrecision, proprioceptivePrecision, visualPrecision, intentionGain, intentionPrecision
        case limitGain, intrinsicPrecision, actionGain, maximumVelocity
    }

    /// Decodes; only `lengths` is required, any other field left out takes its default, an unknown key is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(lengths: try c.decode([Double].self, forKey: .lengths),
                  lowerLimits: try c.decodeIfPresent([Double].self, forKey: .lowerLimits),
                  upperLimits: try c.decodeIfPresent([Double].self, forKey: .upperLimits))
        func read(_ key: CodingKeys, _ value: inout Double) throws {
            if let v = try c.decodeIfPresent(Double.self, forKey: key) { value = v }
        }
        try read(.baseOrientation, &baseOrientation); try read(.timeStep, &timeStep)
        try read(.perceptionGain, &perceptionGain); try read(.extrinsicPrecision, &extrinsicPrecision)
        try read(.proprioceptivePrecision, &proprioceptivePrecision); try read(.visualPrecision, &visualPrecision)
        try read(.intentionGain, &intentionGain); try read(.intentionPrecision, &intentionPrecision)
        try read(.limitGain, &limitGain); try read(.intrinsicPrecision, &intrinsicPrecision)
        try read(.actionGain, &actionGain); try read(.maximumVelocity, &maximumVelocity)
        if let v = try c.decodeIntegerIfPresent(.inferenceSteps, maximum: Self.maximumInferenceSteps) { inferenceSteps = v }
    }

    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public func validate() throws {
        try Validate.within(lengths.count, 1, Self.maximumLinkCount, "lengths.count")
        try Validate.allPositive(lengths, "lengths")
        if let lowerLimits { try Validate.count(lowerLimits, lengths.count, "lowerLimits") }
        if let upperLimits { try Validate.count(upperLimits, lengths.count, "upperLimits") }
        guard (lowerLimits == nil) == (upperLimits == nil) else {
            throw AgentConfigurationError.invalidValue(field: "upperLimits", value: upperLimits == nil ? "null" : "set",
                                                       requirement: "must be given together with lowerLimits")
        }
        if let lowerLimits, let upperLimits {
            for i in lengths.indices where !(lowerLimits[i] < upperLimits[i]) {
                throw AgentConfigurationError.invalidValue(field: "lowerLimits[\(i)]", value: "\(lowerLimits[i])",
                                                           requirement: "must be below upperLimits[\(i)] = \(upperLimits[i])")
            }
        }
        try Validate.finite([baseOrientation], "baseOrientation")
        try Validate.positive(timeStep, "timeStep")
        try Validate.positive(perceptionGain, "perceptionGain")
        try Validate.within(inferenceSteps, 1, Self.maximumInferenceSteps, "inferenceSteps")
        for (name, gain) in [("perceptionGain", perceptionGain), ("intentionGain", intentionGain), ("limitGain", limitGain),
                             ("actionGain", actionGain)] {
            try Validate.atMost(gain, AgentLimits.maximumStepSize, name)
        }
        for (name, precision) in [("extrinsicPrecision", extrinsicPrecision), ("proprioceptivePrecision", proprioceptivePrecision),
                                  ("visualPrecision", visualPrecision), ("intentionPrecision", intentionPrecision),
                                  ("intrinsicPrecision", intrinsicPrecision)] {
            try Validate.atMost(precision, AgentLimits.maximumPrecision, name)
        }
        try Validate.positive(extrinsicPrecision, "extrinsicPrecision")
        try Validate.positive(proprioceptivePrecision, "proprioceptivePrecision")
        try Validate.nonNegative(visualPrecision, "visualPrecision")
        try Validate.nonNegative(intentionGain, "intentionGain")
        try Validate.nonNegative(intentionPrecision, "intentionPrecision")
        try Validate.nonNegative(limitGain, "limitGain")
        try Validate.positive(intrinsicPrecision, "intrinsicPrecision")
        try Validate.positive(actionGain, "actionGain")
        try Validate.positive(maximumVelocity, "maximumVelocity")
    }
}

extension KinematicHierarchyOptions {
    /// An upper bound on the bytes building a ``KinematicHierarchy`` with these options allocates:
    /// the intrinsic beliefs and gradients (6 N Doubles) and the extrinsic ones (4 · 3(N + 1)).
    ///
    /// An estimate for refusing sessions above a memory budget. Never traps.
    /// - Returns: bytes, ≥ 8 × (6 N + 12 (N + 1)).
    public func estimatedMemoryBytes() -> Int {
        let links = Double(lengths.count)
        return Int(8 * (6 * links + 12 * (links + 1)) + 1024)
    }
}
