/// A robot's goal as a robotics user writes it: prior preferences on its observations, from which a
/// whole ``LearningAgentOptions`` is built once the robot's spaces and control period are known
/// (a bridge hello's `{"agent": "learning", "goal": {…}}`, or `pcctl run` with a goal-only config).
///
/// The planner's energy per step is ½ Σᵢ Πᵢ e(oᵢ, o*ᵢ)² + ½ Π_u Σⱼ uⱼ², with e the difference
/// (wrapped to (−π, π] for the coordinates in ``angleIndices``), and the last step's goal term
/// weighted by ``terminalWeight``.
///
/// ```json
/// {"agent": "learning",
///  "goal": {"target": [0.5, 0], "precision": [10, 0.1], "controlCost": 0.01}}
/// ```
/// For a robot that reports positions but not velocities, add `"history": 2` (or more): the agent
/// then plans on the last ``history`` observations and the actions between them
/// (``LearningAgentOptions/history``); ``target`` and ``precision`` stay per observation
/// coordinate and the history part of the state gets zero precision.
///
/// Every other setting takes the documented default below: shooting-mode planning, 20 iterations
/// per step, a 1–32–… network (hidden layer of 32; `"ensembleSize": K` trains K of them and plans
/// on their mean), 2 learning batches per step, a model swap every 50 steps. For more control write the full ``LearningAgentOptions`` instead.
public struct LearningGoal: Sendable, Equatable, Codable {
    /// The largest ``controlCost`` and ``terminalWeight``: 1e6.
    public static let maximumWeight = 1e6

    /// o*, the preferred observation, (n) finite values.
    public var target: [Double]
    /// Π, the precision of each preference, (n) values ≥ 0 and ≤ ``AgentLimits/maximumPrecision``
    /// (0: that coordinate is free).
    public var precision: [Double]
    /// Observation coordinates that are angles (radians; their error is wrapped), ascending, below n (default none).
    public var angleIndices: [Int] = []
    /// Π_u, the cost of action on every action coordinate, in (0, 1e6] (default 0.01).
    public var controlCost: Double = 0.01
    /// Weight of the goal on the horizon's last step relative to the others, in [0, 1e6] (default 1).
    public var terminalWeight: Double = 1
    /// Planning horizon in control periods, 1…``AgentLimits/maximumHorizon`` (default 20).
    public var horizon: Int = 20
    /// Steps of motor babbling before the agent plans, 1…``LearningAgentOptions/maximumExplorationSteps`` (default 1000).
    public var explorationSteps: Int = 1000
    /// Samples of the sampled proposal per step, 0…``AgentLimits/maximumSamples`` (default 0: none). Give
    /// some (e.g. 64) for tasks a local gradient cannot solve from rest (a car that must back up first).
    public var samples: Int = 0
    /// Observations (and actions between them) the agent's state stacks, 1…``LearningAgentOptions/maximumHistory``
    /// (default 1: the state is the observation; ``LearningAgentOptions/history``).
    public var history: Int = 1
    /// Networks the learner trains and the planner averages, 1…``ModelLearnerOptions/maximumEnsembleSize``
    /// (default 1; ``ModelLearnerOptions/ensembleSize``). More members make the learned model less
    /// dependent on any one network's fit (PCKit's reacher uses 6) at about that many times the
    /// planner's cost per step; learning costs the same.
    public var ensembleSize: Int = 1

    public init(target: [Double], precision: [Double], angleIndices: [Int] = [], controlCost: Double = 0.01,
                terminalWeight: Double = 1, horizon: Int = 20, explorationSteps: Int = 1000, samples: Int = 0,
                history: Int = 1, ensembleSize: Int = 1) throws {
        self.target = target
        self.precision = precision
        self.angleIndices = angleIndices
        self.controlCost = controlCost
        self.terminalWeight = terminalWeight
        self.horizon = horizon
        self.explorationSteps = explorationSteps
        self.samples = samples
        self.history = history
        self.ensembleSize = ensembleSize
        try validate()
    }

    /// Checks every field against its documented range.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field (`goal.…`).
    public func validate() throws {
        try Validate.within(target.count, 1, AgentLimits.maximumDimension, "goal.target.count")
        try Validate.finite(target, "goal.target")
        try Validate.count(precision, target.count, "goal.precision")
        try Validate.allNonNegative(precision, "goal.precision")
        try Validate.allAtMost(precision, AgentLimits.maximumPrecision, "goal.precision")
        for i in angleIndices where !(0..<target.count).contains(i) {
            throw AgentConfigurationError.invalidValue(field: "goal.angleIndices", value: "\(i)",
                                                       requirement: "must lie in 0..<\(target.count) (observation coordinates)")
        }
        guard angleIndices == angleIndices.sorted(), Set(angleIndices).count == angleIndices.count else {
            throw AgentConfigurationError.invalidValue(field: "goal.angleIndices", value: "\(angleIndices)",
                                                       requirement: "must be ascending without repeats")
        }
        try Validate.positive(controlCost, "goal.controlCost")
        try Validate.atMost(controlCost, Self.maximumWeight, "goal.controlCost")
        try Validate.nonNegative(terminalWeight, "goal.terminalWeight")
        try Validate.atMost(terminalWeight, Self.maximumWeight, "goal.terminalWeight")
        try Validate.within(horizon, 1, PredictiveControllerOptions.maximumHorizon, "goal.horizon")
        try Validate.within(explorationSteps, 1, LearningAgentOptions.maximumExplorationSteps, "goal.explorationSteps")
        try Validate.within(samples, 0, PredictiveControllerOptions.ProposalOptions.maximumSamples, "goal.samples")
        try ModelLearnerOptions.checkHistoryRange(history, "goal.history")
        try Validate.within(ensembleSize, 1, ModelLearnerOptions.maximumEnsembleSize, "goal.ensembleSize")
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case target, precision, angleIndices, controlCost, terminalWeight, horizon, explorationSteps, samples, history, ensembleSize
    }

    /// Decodes and validates; an unknown key is refused with the closest known one.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode([Double].self, forKey: .target)
        precision = try c.decode([Double].self, forKey: .precision)
        angleIndices = try c.decodeIntegersIfPresent(.angleIndices) ?? []
        controlCost = try c.decodeIfPresent(Double.self, forKey: .controlCost) ?? 0.01
        terminalWeight = try c.decodeIfPresent(Double.self, forKey: .terminalWeight) ?? 1
        horizon = try c.decodeIntegerIfPresent(.horizon, maximum: PredictiveControllerOptions.maximumHorizon) ?? 20
        explorationSteps = try c.decodeIntegerIfPresent(.explorationSteps, maximum: LearningAgentOptions.maximumExplorationSteps) ?? 1000
        samples = try c.decodeIntegerIfPresent(.samples, maximum: PredictiveControllerOptions.ProposalOptions.maximumSamples) ?? 0
        history = try c.decodeIntegerIfPresent(.history, maximum: LearningAgentOptions.maximumHistory) ?? 1
        ensembleSize = try c.decodeIntegerIfPresent(.ensembleSize, maximum: ModelLearnerOptions.maximumEnsembleSize) ?? 1
        try validate()
    }
}

extension LearningAgentOptions {
    /// A learning agent for a robot with this goal: observation = state (n = the goal's dimension),
    /// or with the goal's ``LearningGoal/history`` k ≥ 2 the stacked state of n = k·o + (k − 1)·m
    /// values, whose planner goal is the goal's target and precision on the newest observation and
    /// zero precision on the rest (its target there: the older observation copies repeat the target,
    /// the actions sit at the control prior); the robot's action box and control period, everything
    /// else at the defaults ``LearningGoal`` documents.
    /// - Parameters:
    ///   - goal: the robot's goal (validated).
    ///   - actionLower: lower action bounds, (m), finite.
    ///   - actionUpper: upper action bounds, (m), finite, each above its lower bound.
    ///   - controlPeriod: seconds between steps, > 0.
    ///   - seed: seed of the babbling generator and the learner.
    /// - Throws: ``AgentConfigurationError`` naming what does not fit.
    public init(goal: LearningGoal, actionLower: [Double], actionUpper: [Double], controlPeriod: Double, seed: UInt64 = 0) throws {
        try goal.validate()
        let n = goal.target.count, m = actionLower.count
        guard actionUpper.count == m, (actionLower + actionUpper).allSatisfy(\.isFinite) else {
            throw AgentConfigurationError.invalidValue(
                field: "actionSpace", value: "low \(actionLower), high \(actionUpper)",
                requirement: "a learning agent babbles inside the action box: every bound must be finite")
        }
        // The control prior: the middle of the box (0 when the box is symmetric).
        let middle = zip(actionLower, actionUpper).map { ($0 + $1) / 2 }
        try Self.checkHistory(goal.history, observationDimension: n, actionDimension: m)
        let k = goal.history, states = Self.stateDimension(observationDimension: n, actionDimension: m, history: k)
        // The goal on the newest observation; zero precision on the history part of the state.
        var target = goal.target, precision = goal.precision
        if k > 1 {
            for _ in 1..<k { target += goal.target; precision += [Double](repeating: 0, count: n) }
            for _ in 1..<k { target += middle; precision += [Double](repeating: 0, count: m) }
        }
        var planner = PredictiveControllerOptions(
            modelPrecision: [Double](repeating: 1e3, count: states), goal: target, goalPrecision: precision,
            controlPrior: middle, controlPrecision: [Double](repeating: goal.controlCost, count: m),
            controlLower: actionLower, controlUpper: actionUpper,
            outcome: try .identity(stateDimension: states,
                                   angleIndices: Self.stateAngleIndices(goal.angleIndices, observationDimension: n, history: k)),
            observation: try ObservationLayout(stateDimension: states))
        planner.mode = .shooting
        planner.horizon = goal.horizon
        planner.iterations = 20
        planner.controlStepSize = 1
        planner.terminalGoalScale = goal.terminalWeight
        planner.proposal = .init(samples: goal.samples, noiseScale: zip(actionLower, actionUpper).map { ($1 - $0) / 2 },
                                 temperature: 0.1)
        try self.init(observationDimension: n, actionLower: actionLower, actionUpper: actionUpper, angleIndices: goal.angleIndices,
                      controlPeriod: controlPeriod, explorationSteps: goal.explorationSteps, seed: seed, planner: planner,
                      history: k)
        learner.ensembleSize = goal.ensembleSize
        try validate()
    }
}
