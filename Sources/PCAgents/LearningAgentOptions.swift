/// The settings of a ``LearningAgent``: the robot (observation size, action box, which observation
/// coordinates are angles, control period), how long it explores, how its model learns and how its
/// planner plans, and how much learning each control step may do.
///
/// The state the agent plans on is the observation itself (n = ``observationDimension``) by
/// default; the planner's goal prior (``PredictiveControllerOptions/goal`` and
/// ``PredictiveControllerOptions/goalPrecision`` on its ``PredictiveControllerOptions/outcome``) is
/// the robot's goal on observations.
///
/// **History**, for a robot whose observation is not its full state (e.g. positions only): with
/// ``history`` k ≥ 2 the state stacks the last k observations (o = ``observationDimension`` values
/// each) and the k − 1 actions between them, newest first,
/// ```text
/// s_t = (o_t, o_{t−1}, …, o_{t−k+1}, a_{t−1}, …, a_{t−k+1}),   n = ``stateDimension`` = k·o + (k−1)·m
/// ```
/// (actions as clipped to the bounds), so velocities are differences the model can see. The
/// learner predicts o_{t+1} − o_t; the rest of s_{t+1} is an exact shift (``LearnedDynamics``).
/// The planner then works on n coordinates: its goal, goal precision, outcome map and model
/// precision are over s (give zero precision to the history part to prefer only the newest
/// observation, as ``init(goal:actionLower:actionUpper:controlPeriod:seed:)`` does), and its
/// observation layout is the identity on n. ``angleIndices`` are observation coordinates; the
/// learner and the planner's outcome use them in every observation copy (``stateAngleIndices``).
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
    /// The largest ``history``: 16 observations (``ModelLearnerOptions/maximumHistory``).
    public static let maximumHistory = ModelLearnerOptions.maximumHistory

    /// o, the number of values an observation holds (= the state dimension unless ``history`` > 1), 1…``AgentLimits/maximumDimension``.
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
    /// The model learner. Its stateDimension (``stateDimension``), actionDimension, angleIndices
    /// (``stateAngleIndices``), action bounds, timeStep and history must equal the robot's fields
    /// (the convenience initialiser builds it so).
    public var learner: ModelLearnerOptions
    /// The planner, on the state s (``stateDimension`` n coordinates); its goal prior is the robot's
    /// goal on s (with ``history`` 1, on observations). Its observation layout must be the identity on
    /// n coordinates (it perceives the stacked state).
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
    /// k, the observations (and k − 1 actions) the state stacks, 1…``maximumHistory`` (default 1:
    /// the state is the observation). Use 2 or more for a robot that reports positions but not
    /// velocities. ``stateDimension`` must stay ≤ ``AgentLimits/maximumDimension``.
    public var history: Int
    /// α, the gain of the agent's disturbance estimate, in [0, 1] (default 0: off). While
    /// controlling, after each step the agent compares the newest observation o′ with what its
    /// planning model predicted, f(x, u) (the correction included), and updates a correction c added
    /// to every predicted change, c ← c + α (o′ − f(x, u)) (angles wrapped): the model's local bias
    /// near where the robot is, estimated as in offset-free model-predictive control. It runs
    /// frozen too (it is state estimation, not learning), and restarts at zero each episode
    /// (``LearningAgent/reset(seed:)``).
    public var disturbanceGain: Double = 0

    /// Creates options; `learner` defaults to a ``ModelLearnerOptions`` built from the robot's
    /// fields with hidden layers `hiddenSizes`.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public init(observationDimension: Int, actionLower: [Double], actionUpper: [Double], angleIndices: [Int] = [],
                controlPeriod: Double, explorationSteps: Int = 1000, explorationHoldSteps: Int = 2, seed: UInt64 = 0,
                learner: ModelLearnerOptions? = nil, hiddenSizes: [Int] = [32], planner: PredictiveControllerOptions,
                batchesPerStep: Int = 2, learningInterval: Int = 1, learningTimeBudget: Double? = nil,
                swapInterval: Int = 50, history: Int = 1) throws {
        try Self.checkRobot(observationDimension: observationDimension, actionLower: actionLower, actionUpper: actionUpper,
                            angleIndices: angleIndices, controlPeriod: controlPeriod)
        try Self.checkHistory(history, observationDimension: observationDimension, actionDimension: actionLower.count)
        self.history = history
        self.observationDimension = observationDimension
        self.actionLower = actionLower
        self.actionUpper = actionUpper
        self.angleIndices = angleIndices
        self.controlPeriod = controlPeriod
        self.explorationSteps = explorationSteps
        self.explorationHoldSteps = explorationHoldSteps
        self.seed = seed
        let n = Self.stateDimension(observationDimension: observationDimension, actionDimension: actionLower.count, history: history)
        let angles = Self.stateAngleIndices(angleIndices, observationDimension: observationDimension, history: history)
        self.learner = try learner ?? ModelLearnerOptions(
            stateDimension: n, actionDimension: actionLower.count, timeStep: controlPeriod,
            angleIndices: angles, actionLower: actionLower, actionUpper: actionUpper,
            observation: ObservationLayout(stateDimension: n), hiddenSizes: hiddenSizes, seed: seed, history: history)
        self.planner = planner
        self.batchesPerStep = batchesPerStep
        self.learningInterval = learningInterval
        self.learningTimeBudget = learningTimeBudget
        self.swapInterval = swapInterval
        try validate()
    }

    /// m, the number of values an action holds.
    public var actionDimension: Int { actionLower.count }

    /// n = k·o + (k − 1)·m, the dimension of the state the learner models and the planner plans on
    /// (= ``observationDimension`` when ``history`` is 1).
    public var stateDimension: Int {
        Self.stateDimension(observationDimension: observationDimension, actionDimension: actionDimension, history: history)
    }

    /// ``angleIndices`` in every observation copy of the state: i + c·o for c = 0…k − 1, ascending.
    public var stateAngleIndices: [Int] {
        Self.stateAngleIndices(angleIndices, observationDimension: observationDimension, history: history)
    }

    /// (Int.max for values beyond their maxima, so that it never traps.)
    static func stateDimension(observationDimension: Int, actionDimension: Int, history: Int) -> Int {
        if history <= 1 { return observationDimension }
        let limit = AgentLimits.maximumDimension
        guard history <= maximumHistory, (0...limit).contains(observationDimension), (0...limit).contains(actionDimension) else {
            return Int.max
        }
        return history * observationDimension + (history - 1) * actionDimension
    }

    static func stateAngleIndices(_ angles: [Int], observationDimension: Int, history: Int) -> [Int] {
        history <= 1 || history > maximumHistory ? angles : (0..<history).flatMap { copy in angles.map { $0 + copy * observationDimension } }
    }

    /// ``history`` within 1…``maximumHistory`` and a state within ``AgentLimits/maximumDimension``.
    static func checkHistory(_ history: Int, observationDimension: Int, actionDimension: Int) throws {
        try ModelLearnerOptions.checkHistoryRange(history, "history")
        let n = stateDimension(observationDimension: observationDimension, actionDimension: actionDimension, history: history)
        guard n <= AgentLimits.maximumDimension else {
            throw AgentConfigurationError.invalidValue(
                field: "history", value: "\(history)",
                requirement: "the stacked state history·\(observationDimension) + (history − 1)·\(actionDimension) values must be at most \(AgentLimits.maximumDimension)")
        }
    }

    /// Checks every field, then the memory estimate.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field and what would be accepted.
    public func validate() throws {
        try Self.checkRobot(observationDimension: observationDimension, actionLower: actionLower, actionUpper: actionUpper,
                            angleIndices: angleIndices, controlPeriod: controlPeriod)
        try Self.checkHistory(history, observationDimension: observationDimension, actionDimension: actionDimension)
        try Validate.within(explorationSteps, 1, Self.maximumExplorationSteps, "explorationSteps")
        try Validate.within(explorationHoldSteps, 1, Self.maximumHoldSteps, "explorationHoldSteps")
        try Validate.within(batchesPerStep, 1, Self.maximumBatchesPerStep, "batchesPerStep")
        try Validate.within(learningInterval, 1, Self.maximumInterval, "learningInterval")
        try Validate.within(swapInterval, 1, Self.maximumInterval, "swapInterval")
        guard disturbanceGain >= 0 && disturbanceGain <= 1 else {
            throw AgentConfigurationError.invalidValue(field: "disturbanceGain", value: "\(disturbanceGain)",
                                                      requirement: "must be within [0, 1] (0: no disturbance estimate)")
        }
        if let budget = learningTimeBudget {
            try Validate.positive(budget, "learningTimeBudget")
            try Validate.atMost(budget, Self.maximumLearningTimeBudget, "learningTimeBudget")
        }
        // The learner must describe the same robot.
        try learner.validate()
        let n = stateDimension
        guard learner.history == history else {
            throw AgentConfigurationError.invalidValue(field: "learner.history", value: "\(learner.history)",
                                                      requirement: "must equal history \(history)")
        }
        guard learner.stateDimension == n else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.stateDimension", value: "\(learner.stateDimension)",
                requirement: history == 1 ? "must equal observationDimension \(observationDimension)"
                    : "must equal history·observationDimension + (history − 1)·actionDimension = \(n)")
        }
        guard learner.actionDimension == actionDimension else {
            throw AgentConfigurationError.invalidValue(field: "learner.actionDimension", value: "\(learner.actionDimension)",
                                                      requirement: "must equal the number of action bounds \(actionDimension)")
        }
        guard learner.angleIndices == stateAngleIndices else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.angleIndices", value: "\(learner.angleIndices)",
                requirement: history == 1 ? "must equal angleIndices \(angleIndices)"
                    : "must equal angleIndices in every observation copy, \(stateAngleIndices)")
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
        let identity = try ObservationLayout(stateDimension: n)
        let described = history == 1 ? "observationDimension \(observationDimension) values (observation = state; no angleIndices)"
            : "the stacked state's \(n) values (no angleIndices)"
        guard learner.observation == identity else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.observation", value: "a layout of \(learner.observation.observationDimension) values",
                requirement: "must be the identity layout on " + described)
        }
        try planner.validate(stateDimension: n, actionDimension: actionDimension)
        guard planner.observation == identity else {
            throw AgentConfigurationError.invalidValue(
                field: "planner.observation", value: "a layout of \(planner.observation.observationDimension) values",
                requirement: "must be the identity layout on " + described)
        }
        let bytes = estimatedMemoryBytes()
        guard bytes <= AgentLimits.maximumMemoryBytes else {
            throw AgentConfigurationError.invalidValue(
                field: "learner.capacity, learner.hiddenSizes, learner.ensembleSize, planner.horizon", value: "\(bytes) bytes",
                requirement: "the agent must fit in \(AgentLimits.maximumMemoryBytes) bytes; lower the capacity, the widths, the ensemble or the horizon")
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
    /// planner's workspace and its adjoint tape, the learned model's two parameter copies (the model
    /// in use and its double buffer) and the agent's buffers. Never traps.
    /// - Returns: bytes.
    public func estimatedMemoryBytes() -> Int {
        let learnerBytes = Double(learner.estimatedMemoryBytes())
        let n = max(history <= 1 ? observationDimension : min(stateDimension, AgentLimits.maximumDimension), 0)
        let plannerBytes = Double(planner.estimatedMemoryBytes(stateDimension: n, actionDimension: max(actionDimension, 0)))
        // The frozen model and its double buffer hold two more copies of the parameters (each at most a
        // fifth of the learner's 5 copies); the planner's adjoint tape holds, per horizon step, the
        // network's activities and rates (Σ n_ℓ each) and its raw features.
        let features = Double(max(learner.featureDimension, 0))
        let units = features + Double(learner.hiddenSizes.reduce(0) { $0 + max($1, 0) }) + Double(n)
        let tapeBytes = 8 * Double(max(planner.horizon, 0)) * (2 * units + features)
        let bytes = learnerBytes + plannerBytes + 2 * learnerBytes / 5 + tapeBytes + 8 * Double(4 * (n + max(actionDimension, 0))) + 1024
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }
}

extension LearningAgentOptions {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case observationDimension, actionLower, actionUpper, angleIndices, controlPeriod, explorationSteps
        case explorationHoldSteps, seed, learner, planner, batchesPerStep, learningInterval, learningTimeBudget, swapInterval
        case history, disturbanceGain
    }

    /// Decodes; `observationDimension`, `actionLower`, `actionUpper`, `controlPeriod` and `planner` are
    /// required, `learner` defaults to one built from the robot's fields (hidden layer [32]), any
    /// other field left out takes its default (`history` 1, so files written before it load unchanged). An unknown key is refused with the closest known key;
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
            swapInterval: try c.decodeIntegerIfPresent(.swapInterval, maximum: Self.maximumInterval) ?? 50,
            history: try c.decodeIntegerIfPresent(.history, maximum: Self.maximumHistory) ?? 1)
        disturbanceGain = try c.decodeIfPresent(Double.self, forKey: .disturbanceGain) ?? 0
        try validate()
    }
}
