/// The settings of a ``LearningAgent``: the robot (observation size, action box, which observation
/// coordinates are angles, control period), how long it explores, how its model learns and how its
/// planner plans, and how much learning each control step may do.
///
/// The state the agent plans on is the observation itself (n = ``observationDimension``); the
/// planner's goal prior (``PredictiveControllerOptions/goal`` and ``PredictiveControllerOptions/goalPrecision``
/// on its ``PredictiveControllerOptions/outcome``) is the robot's goal on observations.
///
/// Every count is checked against a documented maximum by ``validate()`` before anything is
/// allocated, and ``estimatedMemoryBytes()`` against ``AgentLimits/maximumMemoryBytes``.
///
/// ```swift
/// let options = try LearningAgentOptions(observationDimension: 2, actionLower: [-2], actionUpper: [2],
///                                        angleIndices: [0], controlPeriod: 0.05, planner: .pendulumSwingUp)
/// ```
public struct LearningAgentOptions: Sendable, Equatable, Codable {
    /// The largest ``explorationSteps``: 1,000,000.
    public static let maximumExplorationSteps = 1_000_000
    /// The largest ``explorationHoldSteps``: 1000.
    public static let maximumHoldSteps = 1000
    /// The largest ``batchesPerStep``: 1000.
    public static let maximumBatchesPerStep = 1000
    /// The largest ``learningInterval`` and ``swapInterval``: 1,000,000 steps.
    public static let maximumInterval = 1_000_000
    /// The largest ``learningTimeBudget``: 1 s.
    public static let maximumLearningTimeBudget = 1.0

    /// n, the number of values an observation holds (= the state dimension), 1…``AgentLimits/maximumDimension``.
    public var observationDimension: Int
    /// Lower action bounds, (m), finite; m = 1…``AgentLimits/maximumDimension``. Babbling draws inside them.
    public var actionLower: [Double]
    /// Upper action bounds, (m), finite, each above its lower bound.
    public var actionUpper: [Double]
    /// Observation coordinates that are angles (radians), ascending, below n: the model sees them as
    /// (cos, sin) and wraps their change to (−π, π].
    public var angleIndices: [Int]
    /// Duration of one control step, s, finite and > 0 (the learned model's time step).
    public var controlPeriod: Double
    /// Steps of motor babbling before the agent plans, 1…``maximumExplorationSteps`` (default 1000).
    public var explorationSteps: Int
    /// Steps each babbled action is held, 1…``maximumHoldSteps`` (default 2).
    public var explorationHoldSteps: Int
    /// Seed of the babbling generator (mixed with the seed of ``LearningAgent/reset(seed:)``) (default 0).
    public var seed: UInt64
    /// The model learner. Its stateDimension, actionDimension, angleIndices, action bounds and
    /// timeStep must equal the robot's fields above (the convenience initialiser builds it so).
    public var learner: ModelLearnerOptions
    /// The planner; its goal prior is the robot's goal on observations. Its observation layout must
    /// be the identity on n coordinates (observation = state).
    public var planner: PredictiveControllerOptions
    /// Training batches learned per learning step, 1…``maximumBatchesPerStep`` (default 2): the
    /// bound on the learning any one ``LearningAgent/step(_:action:)`` does.
    public var batchesPerStep: Int
    /// Learn on every k-th step, 1…``maximumInterval`` (default 1): the other steps do no learning.
    public var learningInterval: Int
    /// Optional wall-clock cap on one step's learning, s, in (0, ``maximumLearningTimeBudget``]
    /// (default nil: none). The slice stops before a batch once it is exceeded (at least one batch
    /// runs). With a budget set, how many batches run depends on the machine, so runs are no
    /// longer reproducible bit for bit.
    public var learningTimeBudget: Double?
    /// While controlling, the planner's model is replaced by the newly trained one every k-th
    /// step, 1…``maximumInterval`` (default 50); each swap increments ``LearningAgent/modelVersion``.
    public var swapInterval: Int

    /// Creates options; `learner` defaults to a ``ModelLearnerOptions`` built from the robot's
    /// fields with hidden layers `hiddenSizes`.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public init(observationDimension: Int, actionLower: [Double], actionUpper: [Double], angleIndices: [Int] = [],
                controlPeriod: Double, explorationSteps: Int = 1000, explorationHoldSteps: Int = 2, seed: UInt64 = 0,
                learner: ModelLearnerOptions? = nil, hiddenSizes: [Int] = [32], planner: PredictiveControllerOptions,
                batchesPerStep: Int = 2, learningInterval: Int = 1, learningTimeBudget: Double? = nil,
                swapInterval: Int = 50) throws {
        try Self.checkRobot(observationDimension: observationDimension, actionLower: actionLower, actionUpper: actionUpper,
                            angleIndices: angleIndices, controlPeriod: controlPeriod)
        self.observationDimension = observationDimension
        self.actionLower = actionLower
        self.actionUpper = actionUpper
        self.angleIndices = angleIndices
        self.controlPeriod = controlPeriod
        self.explorationSteps = explorationSteps
        self.explorationHoldSteps = explorationHoldSteps
        self.seed = seed
        self.learner = try learner ?? ModelLearnerOptions(
            stateDimension: observationDimension, actionDimension: actionLower.count, timeStep: controlPeriod,
            angleIndices: angleIndices, actionLower: actionLower, actionUpper: actionUpper,
            observation: ObservationLayout(stateDimension: observationDimension), hiddenSizes: hiddenSizes, seed: seed)
        self.planner = planner
        self.batchesPerStep = batchesPerStep
        self.learningInterval = learningInterval
        self.learningTimeBudget = learningTimeBudget
        self.swapInterval = swapInterval
        try validate()
    }

    /// m, the number of values an action holds.
    public var actionDimension: Int { actionLower.count }

    /// Checks every field, then the memory estimate.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field and what would be accepted.
    public func validate() throws {
        try Self.checkRobot(observationDimension: observationDimension, actionLower: actionLower, actionUpper: actionUpper,
                            angleIndices: angleIndices, controlPeriod: controlPeriod)
        try Validate.within(explorationSteps, 1, Self.maximumExplorationSteps, "explorationSteps")
        try Validate.within(explorationHoldSteps, 1, Self.maximumHoldSteps, "explorationHoldSteps")
        try Validate.within(batchesPerStep, 1, Self.maximumBatchesPerStep, "batchesPerStep")
        try Validate.within(learningInterval, 1, Self.maximumInterval, "learningInterval")
        try Validate.within(swapInterval, 1, Self.maximumInterval, "swapInterval")
        if let budget = learningTimeBudget {
            try Validate.positive(budget, "learningTimeBudget")
            try Validate.atMost(budget, Self.maximumLearningTimeBudget, "learningTimeBudget")
        }
        // The learner must describe the same robot.
        try learner.validate()
        guard learner.stateDimension == observationDimension else {
            throw AgentConfigurationError.invalidValue(field: "learner.stateDimension", value: "\(learner.stateDimension)",
                                                      requirement: "must equal observationDimension \(observationDimension)")
        }
        guard learner.actionDimension == actionDimension else {
            throw AgentConfigurationError.invalidValue(field: "learner.actionDimension", value: "\(learner.actionDimension)",
                                                      requirement: "must equal the number of action bounds \(actionDimension)")
        }
        guard learner.angleIndices == angleIndices else {
            throw AgentConfigurationError.invalidValue(field: "learner.angleIndices", value: "\(learner.angleIndices)",
                                                      requirement: "must equal angleIndices \(angleIndices)")
        }
        guard learner.actionLower == actionLower, learner.actionUpper == actionUpper else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.actionLower, learner.actionUpper", value: "\(learner.actionLower), \(learner.actionUpper)",
                requirement: "must equal actionLower \(actionLower) and actionUpper \(actionUpper)")
        }
        guard learner.timeStep == controlPeriod else {
            throw AgentConfigurationError.invalidValue(field: "learner.timeStep", value: "\(learner.timeStep)",
                                                      requirement: "must equal controlPeriod \(controlPeriod)")
        }
        let identity = try ObservationLayout(stateDimension: observationDimension)
        guard learner.observation == identity else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.observation", value: "a layout of \(learner.observation.observationDimension) values",
                requirement: "must be the identity layout on observationDimension \(observationDimension) values (observation = state; no angleIndices)")
        }
        try planner.validate(stateDimension: observationDimension, actionDimension: actionDimension)
        guard planner.observation == identity else {
            throw AgentConfigurationError.invalidValue(
                field: "planner.observation", value: "a layout of \(planner.observation.observationDimension) values",
                requirement: "must be the identity layout on observationDimension \(observationDimension) values (observation = state; no angleIndices)")
        }
        let bytes = estimatedMemoryBytes()
        guard bytes <= AgentLimits.maximumMemoryBytes else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.capacity, learner.hiddenSizes, planner.horizon", value: "\(bytes) bytes",
                requirement: "the agent must fit in \(AgentLimits.maximumMemoryBytes) bytes; lower the capacity, the widths or the horizon")
        }
    }

    /// The robot's own fields (checked before the default learner options are built from them).
    static func checkRobot(observationDimension: Int, actionLower: [Double], actionUpper: [Double], angleIndices: [Int],
                           controlPeriod: Double) throws {
        try Validate.within(observationDimension, 1, AgentLimits.maximumDimension, "observationDimension")
        try Validate.within(actionLower.count, 1, AgentLimits.maximumDimension, "actionLower.count")
        try Validate.count(actionUpper, actionLower.count, "actionUpper")
        try Validate.finite(actionLower, "actionLower")
        try Validate.finite(actionUpper, "actionUpper")
        for j in actionLower.indices where !(actionLower[j] < actionUpper[j]) {
            throw AgentConfigurationError.invalidValue(field: "actionUpper[\(j)]", value: "\(actionUpper[j])",
                                                      requirement: "must exceed actionLower[\(j)] = \(actionLower[j])")
        }
        for (k, i) in angleIndices.enumerated() {
            guard (0..<observationDimension).contains(i), k == 0 || angleIndices[k - 1] < i else {
                throw AgentConfigurationError.invalidValue(
                    field: "angleIndices", value: "\(angleIndices)",
                    requirement: "must be ascending indices below observationDimension \(observationDimension)")
            }
        }
        try Validate.positive(controlPeriod, "controlPeriod")
    }

    /// An upper bound on the bytes a ``LearningAgent`` with these options holds: the learner's
    /// (``ModelLearnerOptions/estimatedMemoryBytes()``, its memories reserved at full capacity), the
    /// planner's workspace, the learned model's parameter copy and the agent's buffers. Never traps.
    /// - Returns: bytes.
    public func estimatedMemoryBytes() -> Int {
        let learnerBytes = Double(learner.estimatedMemoryBytes())
        let plannerBytes = Double(planner.estimatedMemoryBytes(stateDimension: max(observationDimension, 0),
                                                               actionDimension: max(actionDimension, 0)))
        // The frozen model holds one more copy of the parameters (at most a fifth of the learner's 5 copies).
        let bytes = learnerBytes + plannerBytes + learnerBytes / 5 + 8 * Double(4 * (max(observationDimension, 0) + max(actionDimension, 0))) + 1024
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }
}

extension LearningAgentOptions {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case observationDimension, actionLower, actionUpper, angleIndices, controlPeriod, explorationSteps
        case explorationHoldSteps, seed, learner, planner, batchesPerStep, learningInterval, learningTimeBudget, swapInterval
    }

    /// Decodes; `observationDimension`, `actionLower`, `actionUpper`, `controlPeriod` and `planner` are
    /// required, `learner` defaults to one built from the robot's fields (hidden layer [32]), any
    /// other field left out takes its default. An unknown key is refused with the closest known key;
    /// then every field is validated.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let n = try c.decodeInteger(.observationDimension, maximum: AgentLimits.maximumDimension)
        let lower = try c.decode([Double].self, forKey: .actionLower)
        let upper = try c.decode([Double].self, forKey: .actionUpper)
        let angles = try c.decodeIntegersIfPresent(.angleIndices) ?? []
        let period = try c.decode(Double.self, forKey: .controlPeriod)
        let seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        try self.init(
            observationDimension: n, actionLower: lower, actionUpper: upper, angleIndices: angles, controlPeriod: period,
            explorationSteps: try c.decodeIntegerIfPresent(.explorationSteps, maximum: Self.maximumExplorationSteps) ?? 1000,
            explorationHoldSteps: try c.decodeIntegerIfPresent(.explorationHoldSteps, maximum: Self.maximumHoldSteps) ?? 2,
            seed: seed,
            learner: try c.decodeIfPresent(ModelLearnerOptions.self, forKey: .learner),
            planner: try c.decode(PredictiveControllerOptions.self, forKey: .planner),
            batchesPerStep: try c.decodeIntegerIfPresent(.batchesPerStep, maximum: Self.maximumBatchesPerStep) ?? 2,
            learningInterval: try c.decodeIntegerIfPresent(.learningInterval, maximum: Self.maximumInterval) ?? 1,
            learningTimeBudget: try c.decodeIfPresent(Double.self, forKey: .learningTimeBudget),
            swapInterval: try c.decodeIntegerIfPresent(.swapInterval, maximum: Self.maximumInterval) ?? 50)
    }
}
