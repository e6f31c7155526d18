/// Options of the ``PredictiveController``: the horizon energy's precisions, the inference budget
/// and the optional sampled proposal. Decodable from JSON; any field left out takes its default.
///
/// Precisions are cost weights (<doc:PredictiveControl#Precisions-as-cost-weights>): Π_g ↔ Q, Π_u ↔ R, and Π_x is the trust in the
/// model (Π_x → ∞ is shooting, finite Π_x collocation). Vectors are diagonals; their lengths are
/// checked against the model by ``validate(stateDimension:actionDimension:)``.
public struct PredictiveControllerOptions: Sendable, Equatable, Codable {
    /// H, the number of future steps planned, 1…``maximumHorizon`` (default 20).
    public var horizon: Int = 20
    /// N_it, inference iterations per control step, 0…``maximumIterations`` (default 30).
    public var iterations: Int = 30
    /// η_x, the step size of the preconditioned state updates, in (0, 10⁶] (default 0.5).
    public var stateStepSize: Double = 0.5
    /// η_u, the step size of the preconditioned control updates, in (0, 10⁶] (default 0.5).
    public var controlStepSize: Double = 0.5
    /// Stopping rule: inference stops when every preconditioned step |∇/d| is below this (default 1e-6).
    public var tolerance: Double = 1e-6
    /// Divide each gradient by its Gauss–Newton diagonal (default true; collocation only).
    public var preconditioned: Bool = true
    /// Collocation (finite Π_x, states free) or shooting (Π_x → ∞, errors at equilibrium) (default collocation).
    public var mode: InferenceMode = .collocation

    /// How the horizon's states are treated during inference (<doc:PredictiveControl#Collocation-and-shooting>).
    public enum InferenceMode: String, Sendable, Codable {
        /// States are free latents with dynamics precision Π_x; each iteration updates x and u.
        case collocation
        /// Π_x → ∞: states follow the rollout, the dynamics errors settle to their equilibrium
        /// (a backward sweep), and each iteration updates u; `modelPrecision` is then unused.
        case shooting
    }
    /// Π_x, the dynamics precision, (stateDimension), each in (0, 10¹²].
    public var modelPrecision: [Double]
    /// o*, the goal prior's mean on the outcome g(x), (outcomeDimension).
    public var goal: [Double]
    /// Π_g, the goal precision, (outcomeDimension), each in [0, 10¹²].
    public var goalPrecision: [Double]
    /// Π_g,H = terminalGoalScale · Π_g on the last step, in (0, 10⁶] (default 1: no ramp).
    public var terminalGoalScale: Double = 1
    /// ū, the control prior's mean, (actionDimension); also the safe action.
    public var controlPrior: [Double]
    /// Π_u, the control prior's precision, (actionDimension), each in (0, 10¹²].
    public var controlPrecision: [Double]
    /// Lower control bounds, (actionDimension).
    public var controlLower: [Double]
    /// Upper control bounds, (actionDimension).
    public var controlUpper: [Double]
    /// g, the outcome map the goal is placed on.
    public var outcome: OutcomeMap
    /// How observations encode the state (perception inverts it).
    public var observation: ObservationLayout
    /// The sampled proposal that seeds inference (default: none).
    public var proposal: ProposalOptions = ProposalOptions()
    /// After inference, keep the proposal instead if it has the lower hard-dynamics energy (default true).
    public var keepBetterProposal: Bool = true
    /// Plan on every k-th step and hold the action in between, 1…``maximumReplanInterval`` (default 1). Pair with a model that
    /// holds each action for k environment steps (``ActionRepeat``), so one latent step is one decision.
    public var replanInterval: Int = 1

    /// Options of the MPPI-style proposal (``SampledProposal``); `samples = 0` turns it off.
    public struct ProposalOptions: Sendable, Equatable, Codable {
        /// The largest `samples`: 4096.
        public static let maximumSamples = 4096
        /// K, candidate sequences per step, the warm start included, 0…4096 (default 0: off).
        public var samples: Int = 0
        /// σ, the exploration noise per control coordinate, (actionDimension) (default [1]).
        public var noiseScale: [Double] = [1]
        /// λ, the softmin temperature, in energy units (default 0.1).
        public var temperature: Double = 0.1

        public init(samples: Int = 0, noiseScale: [Double] = [1], temperature: Double = 0.1) {
            self.samples = samples
            self.noiseScale = noiseScale
            self.temperature = temperature
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case samples, noiseScale, temperature }

        /// Decodes; any field left out takes its default, an unknown key is refused.
        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = ProposalOptions()
            samples = try c.decodeIntegerIfPresent(.samples, maximum: Self.maximumSamples) ?? d.samples
            noiseScale = try c.decodeIfPresent([Double].self, forKey: .noiseScale) ?? d.noiseScale
            temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? d.temperature
        }
    }

    /// Creates options; the dimension-dependent fields have no defaults.
    public init(modelPrecision: [Double], goal: [Double], goalPrecision: [Double],
                controlPrior: [Double], controlPrecision: [Double],
                controlLower: [Double], controlUpper: [Double],
                outcome: OutcomeMap, observation: ObservationLayout) {
        self.modelPrecision = modelPrecision
        self.goal = goal
        self.goalPrecision = goalPrecision
        self.controlPrior = controlPrior
        self.controlPrecision = controlPrecision
        self.controlLower = controlLower
        self.controlUpper = controlUpper
        self.outcome = outcome
        self.observation = observation
    }

    /// Checks every field against the model's dimensions.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    /// The counts and sizes are checked first (``validateBounds()``), then the dimensions, then the
    /// workspace's ``estimatedMemoryBytes(stateDimension:actionDimension:)`` against
    /// ``AgentLimits/maximumMemoryBytes`` — all before anything is allocated.
    public func validate(stateDimension n: Int, actionDimension m: Int) throws {
        try validateBounds()
        try Validate.within(n, 1, AgentLimits.maximumDimension, "stateDimension (of the model)")
        try Validate.within(m, 1, AgentLimits.maximumDimension, "actionDimension (of the model)")
        guard outcome.stateDimension == n else {
            throw AgentConfigurationError.dimensionMismatch(field: "outcome.stateDimension", expected: n, got: outcome.stateDimension)
        }
        guard observation.stateDimension == n else {
            throw AgentConfigurationError.dimensionMismatch(field: "observation.stateDimension", expected: n, got: observation.stateDimension)
        }
        let p = outcome.outcomeDimension
        try Validate.count(modelPrecision, n, "modelPrecision")
        try Validate.allPositive(modelPrecision, "modelPrecision")
        try Validate.count(goal, p, "goal")
        try Validate.finite(goal, "goal")
        try Validate.count(goalPrecision, p, "goalPrecision")
        try Validate.allNonNegative(goalPrecision, "goalPrecision")
        try Validate.count(controlPrior, m, "controlPrior")
        try Validate.finite(controlPrior, "controlPrior")
        try Validate.count(controlPrecision, m, "controlPrecision")
        try Validate.allPositive(controlPrecision, "controlPrecision")
        try Validate.count(controlLower, m, "controlLower")
        try Validate.count(controlUpper, m, "controlUpper")
        for j in 0..<m {
            guard !controlLower[j].isNaN, !controlUpper[j].isNaN, controlLower[j] <= controlUpper[j] else {
                throw AgentConfigurationError.invalidValue(
                    field: "controlLower[\(j)]", value: "\(controlLower[j])",
                    requirement: "must not exceed controlUpper[\(j)] = \(controlUpper[j])")
            }
        }
        if proposal.samples > 0 {
            try Validate.count(proposal.noiseScale, m, "proposal.noiseScale")
            try Validate.allNonNegative(proposal.noiseScale, "proposal.noiseScale")
            try Validate.positive(proposal.temperature, "proposal.temperature")
        }
        try checkMemory(stateDimension: n, actionDimension: m)
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case horizon, iterations, stateStepSize, controlStepSize, tolerance, preconditioned, mode
        case modelPrecision, goal, goalPrecision, terminalGoalScale, controlPrior, controlPrecision
        case controlLower, controlUpper, outcome, observation, proposal, keepBetterProposal, replanInterval
    }

    /// Decodes; the dimension-dependent fields are required, any other left out takes its default,
    /// an unknown key is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelPrecision = try c.decode([Double].self, forKey: .modelPrecision)
        goal = try c.decode([Double].self, forKey: .goal)
        goalPrecision = try c.decode([Double].self, forKey: .goalPrecision)
        controlPrior = try c.decode([Double].self, forKey: .controlPrior)
        controlPrecision = try c.decode([Double].self, forKey: .controlPrecision)
        controlLower = try c.decode([Double].self, forKey: .controlLower)
        controlUpper = try c.decode([Double].self, forKey: .controlUpper)
        outcome = try c.decode(OutcomeMap.self, forKey: .outcome)
        observation = try c.decode(ObservationLayout.self, forKey: .observation)
        if let v = try c.decodeIntegerIfPresent(.horizon, maximum: Self.maximumHorizon) { horizon = v }
        if let v = try c.decodeIntegerIfPresent(.iterations, maximum: Self.maximumIterations) { iterations = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .stateStepSize) { stateStepSize = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .controlStepSize) { controlStepSize = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .tolerance) { tolerance = v }
        if let v = try c.decodeIfPresent(Bool.self, forKey: .preconditioned) { preconditioned = v }
        if let v = try c.decodeIfPresent(InferenceMode.self, forKey: .mode) { mode = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .terminalGoalScale) { terminalGoalScale = v }
        if let v = try c.decodeIfPresent(ProposalOptions.self, forKey: .proposal) { proposal = v }
        if let v = try c.decodeIfPresent(Bool.self, forKey: .keepBetterProposal) { keepBetterProposal = v }
        if let v = try c.decodeIntegerIfPresent(.replanInterval, maximum: Self.maximumReplanInterval) { replanInterval = v }
    }
}
