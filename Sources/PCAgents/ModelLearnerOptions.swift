import PCCore
import PCNumerics

/// The settings of a ``ModelLearner``: what the state looks like, the network that predicts its
/// change, and how the network learns.
///
/// The learner predicts the state change Δx = x′ − x (angles wrapped to (−π, π]) from the features
/// of (x, u): each angle xᵢ enters as (cos xᵢ, sin xᵢ), every other coordinate as itself, then the
/// action clipped to its bounds; inputs and targets are standardised (``ModelLearner``).
///
/// **History.** With ``history`` k ≥ 2 the state stacks the last k observations (o values each) and
/// the k − 1 actions between them, newest first:
/// ```text
/// x_t = (o_t, o_{t−1}, …, o_{t−k+1}, a_{t−1}, …, a_{t−k+1}),   n = k·o + (k−1)·m
/// ```
/// The network then predicts only the newest observation's change Δo = o_{t+1} − o_t (the first o
/// coordinates, ``predictedDimension``); the rest of x_{t+1} is an exact shift,
/// (o_t, …, o_{t−k+2}, clip(u_t), a_{t−1}, …, a_{t−k+2}) (``LearnedDynamics``). With k = 1 (the
/// default) o = n and the state is the observation.
///
/// ```swift
/// let options = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05,
///                                       angleIndices: [0], actionLower: [-2], actionUpper: [2])
/// ```
public struct ModelLearnerOptions: Sendable, Equatable, Codable {
    /// The largest number of hidden layers: 16.
    public static let maximumHiddenLayers = 16
    /// The largest hidden-layer width: 4096.
    public static let maximumHiddenSize = 4096
    /// The largest ``batchSize``: 4096.
    public static let maximumBatchSize = 4096
    /// The largest ``capacity`` (and ``heldOutEvery``): 1,000,000 transitions per set.
    public static let maximumCapacity = 1_000_000
    /// The largest ``history``: 16 observations.
    public static let maximumHistory = 16

    /// Dimension n of the state x, 1…``AgentLimits/maximumDimension`` (as is m).
    public var stateDimension: Int
    /// Dimension m of the action u.
    public var actionDimension: Int
    /// Duration of one environment step, s (reported by the learned model; not used in learning).
    public var timeStep: Double
    /// State coordinates that are angles, ascending: they enter as (cos, sin) and their change is wrapped.
    public var angleIndices: [Int]
    /// Lower action bounds, (actionDimension); actions are clipped to them before they enter the network.
    public var actionLower: [Double]
    /// Upper action bounds, (actionDimension).
    public var actionUpper: [Double]
    /// How observations encode the state (default: the in-place layout with `angleIndices`);
    /// used by ``ModelLearner/record(observation:action:nextObservation:)``.
    public var observation: ObservationLayout
    /// Widths of the hidden layers, at most ``maximumHiddenLayers`` of 1…``maximumHiddenSize`` each (default [64, 64]).
    public var hiddenSizes: [Int]
    /// φ of the hidden layers (default tanh; gelu is not supported by the learned model's Jacobian).
    public var activation: Activation
    /// The PC learning rule, its inference settings and optimiser (default IL: γ = 0.1, T = 20, then one
    /// Adam step with α = 1e-3).
    public var learning: LearningOptions
    /// Transitions per learning batch, 1…``maximumBatchSize`` (default 64).
    public var batchSize: Int
    /// Every k-th recorded transition is held out of training to measure generalisation (default 10).
    public var heldOutEvery: Int
    /// Transitions remembered, batchSize…``maximumCapacity``; the oldest are overwritten beyond it (default 10,000, per set).
    public var capacity: Int
    /// Seed of the generator that draws the initial weights and the batches (default 0).
    public var seed: UInt64
    /// k, the number of observations the state stacks, 1…``maximumHistory`` (default 1: the state is
    /// the observation). With k ≥ 2, stateDimension must be k·o + (k − 1)·actionDimension for a whole
    /// o ≥ 1 (``predictedDimension``), and ``angleIndices`` list the angles of every observation copy.
    public var history: Int
    /// β, the decay of an exponential moving average of the network's parameters, 0 ≤ β ≤
    /// ``maximumAveragingDecay`` (default 0: no average). With β > 0 the learner keeps, besides the
    /// network it trains, the average θ̄ ← β θ̄ + (1 − β) θ updated after every batch (θ̄ starts at θ
    /// at the first batch), and ``ModelLearner/dynamics`` (and so a ``LearningAgent``'s planner and
    /// its saved snapshot) is built from θ̄ instead of θ: the planner then uses a model averaged over
    /// the last ≈ 1/(1 − β) batches rather than the noisy last iterate of the optimiser. Training
    /// itself is unchanged. Costs one pass over the parameters per batch and one parameter copy.
    public var averagingDecay: Double
    /// K, the number of networks the learner trains side by side, 1…``maximumEnsembleSize``
    /// (default 1). With K ≥ 2 member k starts from its own seeded initial weights, the batches go
    /// to the members in turn (batch b trains member b mod K, so K members cost what one does per
    /// batch and each learns 1/K of the batches), and ``ModelLearner/dynamics`` predicts the
    /// members' mean, Δx = d + s ⊙ (1/K) Σₖ x_L⁽ᵏ⁾ — an ensemble whose average is less sensitive to
    /// any one member's fitting error than a single network is. The model evaluates the members as one
    /// network whose hidden layers hold the K members' units side by side (``LearnedDynamics``), so a
    /// planner step costs about K times a single member's. Must be 1 when ``averagingDecay`` > 0.
    public var ensembleSize: Int

    /// - Throws: ``AgentConfigurationError`` naming the first field that is out of range.
    public init(stateDimension: Int, actionDimension: Int, timeStep: Double, angleIndices: [Int] = [],
                actionLower: [Double], actionUpper: [Double], observation: ObservationLayout? = nil,
                hiddenSizes: [Int] = [64, 64], activation: Activation = .tanh,
                learning: LearningOptions? = nil, batchSize: Int = 64, heldOutEvery: Int = 10,
                capacity: Int = 10_000, seed: UInt64 = 0, history: Int = 1,
                averagingDecay: Double = 0, ensembleSize: Int = 1) throws {
        self.stateDimension = stateDimension
        self.actionDimension = actionDimension
        self.timeStep = timeStep
        self.angleIndices = angleIndices
        self.actionLower = actionLower
        self.actionUpper = actionUpper
        self.observation = try observation ?? ObservationLayout(stateDimension: max(stateDimension, 0), angleIndices: angleIndices)
        self.hiddenSizes = hiddenSizes
        self.activation = activation
        self.learning = try learning ?? LearningOptions(rule: .il)
        self.batchSize = batchSize
        self.heldOutEvery = heldOutEvery
        self.capacity = capacity
        self.seed = seed
        self.history = history
        self.averagingDecay = averagingDecay
        self.ensembleSize = ensembleSize
        try validate()
    }

    /// The largest ``ensembleSize``: 8 networks.
    public static let maximumEnsembleSize = 8
    /// The largest ``averagingDecay``: 0.99999 (an average over ≈ 100,000 batches).
    public static let maximumAveragingDecay = 0.99999

    /// Number of network inputs: n + (number of angles) + m.
    public var featureDimension: Int { stateDimension + angleIndices.count + actionDimension }

    /// o = (n − (k − 1)·m) / k, the size of one observation in the stacked state: the number of
    /// coordinates the network predicts (= n when ``history`` is 1). Meaningful once validated.
    public var predictedDimension: Int {
        guard (2...Self.maximumHistory).contains(history), (0...AgentLimits.maximumDimension).contains(actionDimension) else {
            return stateDimension
        }
        return (stateDimension - (history - 1) * actionDimension) / history
    }

    /// Throws unless 1 ≤ `history` ≤ ``maximumHistory``, naming the range.
    static func checkHistoryRange(_ history: Int, _ field: String) throws {
        guard (1...maximumHistory).contains(history) else {
            throw AgentConfigurationError.invalidValue(
                field: field, value: "\(history)",
                requirement: "must be within 1…\(maximumHistory) (observations stacked in the state; 1: the state is the observation)")
        }
    }

    /// Checks every field.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public func validate() throws {
        try Validate.within(stateDimension, 1, AgentLimits.maximumDimension, "stateDimension")
        try Validate.within(actionDimension, 1, AgentLimits.maximumDimension, "actionDimension")
        try Validate.positive(timeStep, "timeStep")
        try Self.checkHistoryRange(history, "history")
        if history > 1 {
            let observations = stateDimension - (history - 1) * actionDimension
            guard observations >= history, observations % history == 0 else {
                throw AgentConfigurationError.invalidValue(
                    field: "stateDimension", value: "\(stateDimension)",
                    requirement: "must be history·o + (history − 1)·actionDimension = \(history)·o + \((history - 1) * actionDimension) for a whole observation size o ≥ 1")
            }
        }
        for (k, i) in angleIndices.enumerated() {
            guard (0..<stateDimension).contains(i), k == 0 || angleIndices[k - 1] < i else {
                throw AgentConfigurationError.invalidValue(field: "angleIndices", value: "\(angleIndices)",
                                                          requirement: "must be ascending indices below stateDimension \(stateDimension)")
            }
        }
        try Validate.count(actionLower, actionDimension, "actionLower")
        try Validate.count(actionUpper, actionDimension, "actionUpper")
        try Validate.finite(actionLower, "actionLower")
        try Validate.finite(actionUpper, "actionUpper")
        for j in 0..<actionDimension where !(actionLower[j] < actionUpper[j]) {
            throw AgentConfigurationError.invalidValue(field: "actionUpper[\(j)]", value: "\(actionUpper[j])",
                                                      requirement: "must exceed actionLower[\(j)] = \(actionLower[j])")
        }
        guard observation.stateDimension == stateDimension else {
            throw AgentConfigurationError.dimensionMismatch(field: "observation.stateDimension", expected: stateDimension,
                                                            got: observation.stateDimension)
        }
        try Validate.atMost(hiddenSizes.count, Self.maximumHiddenLayers, "hiddenSizes.count")
        for (k, width) in hiddenSizes.enumerated() { try Validate.within(width, 1, Self.maximumHiddenSize, "hiddenSizes[\(k)]") }
        if case .gelu = activation {
            throw AgentConfigurationError.invalidValue(field: "activation", value: "gelu",
                                                      requirement: "must be identity, tanh, sigmoid, relu, leakyReLU or softplus")
        }
        try Validate.within(batchSize, 1, Self.maximumBatchSize, "batchSize")
        try Validate.within(heldOutEvery, 2, Self.maximumCapacity, "heldOutEvery")
        try Validate.within(capacity, batchSize, Self.maximumCapacity, "capacity")
        guard averagingDecay >= 0, averagingDecay <= Self.maximumAveragingDecay else {
            throw AgentConfigurationError.invalidValue(
                field: "averagingDecay", value: "\(averagingDecay)",
                requirement: "must be within 0…\(Self.maximumAveragingDecay) (0: no parameter average)")
        }
        try Validate.within(ensembleSize, 1, Self.maximumEnsembleSize, "ensembleSize")
        if ensembleSize > 1 && averagingDecay > 0 {
            throw AgentConfigurationError.invalidValue(
                field: "averagingDecay", value: "\(averagingDecay)",
                requirement: "must be 0 when ensembleSize is \(ensembleSize) (an ensemble's members are not averaged; use one or the other)")
        }
    }
}

extension ModelLearnerOptions {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case stateDimension, actionDimension, timeStep, angleIndices, actionLower, actionUpper, observation
        case hiddenSizes, activation, learning, batchSize, heldOutEvery, capacity, seed, history, averagingDecay
        case ensembleSize
    }

    /// Decodes every field (all are required, as they are encoded, except `history`,
    /// `averagingDecay` and `ensembleSize`: files written before they existed load with 1, 0 and 1), refuses an unknown
    /// key, and validates.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stateDimension = try c.decodeInteger(.stateDimension, maximum: AgentLimits.maximumDimension)
        actionDimension = try c.decodeInteger(.actionDimension, maximum: AgentLimits.maximumDimension)
        timeStep = try c.decode(Double.self, forKey: .timeStep)
        angleIndices = try c.decodeIntegers(.angleIndices)
        actionLower = try c.decode([Double].self, forKey: .actionLower)
        actionUpper = try c.decode([Double].self, forKey: .actionUpper)
        observation = try c.decode(ObservationLayout.self, forKey: .observation)
        hiddenSizes = try c.decodeIntegers(.hiddenSizes)
        activation = try c.decode(Activation.self, forKey: .activation)
        learning = try c.decode(LearningOptions.self, forKey: .learning)
        batchSize = try c.decodeInteger(.batchSize, maximum: Self.maximumBatchSize)
        heldOutEvery = try c.decodeInteger(.heldOutEvery, maximum: Self.maximumCapacity)
        capacity = try c.decodeInteger(.capacity, maximum: Self.maximumCapacity)
        seed = try c.decode(UInt64.self, forKey: .seed)
        history = try c.decodeIntegerIfPresent(.history, maximum: Self.maximumHistory) ?? 1
        averagingDecay = try c.decodeIfPresent(Double.self, forKey: .averagingDecay) ?? 0
        ensembleSize = try c.decodeIntegerIfPresent(.ensembleSize, maximum: Self.maximumEnsembleSize) ?? 1
        try validate()
    }

    /// An upper bound on the bytes a ``ModelLearner`` with these options holds once its transition
    /// memories are full: the network's weights and biases with four copies for the optimiser
    /// (gradients, Adam moments), eight batch-sized activity buffers per layer for PC inference,
    /// the batch matrices and both transition memories (capacity × (n + m + o) each, o = ``predictedDimension``).
    ///
    /// An estimate for refusing sessions above a memory budget (PCCore's learner may use less). Never traps.
    /// - Returns: bytes, ≥ 16 × capacity × (stateDimension + actionDimension + o).
    public func estimatedMemoryBytes() -> Int {
        let n = Double(max(stateDimension, 0)), m = Double(max(actionDimension, 0))
        let o = Double(max(min(predictedDimension, stateDimension), 0))
        let features = n + Double(angleIndices.count) + m
        let widths = [features] + hiddenSizes.map { Double(max($0, 0)) } + [o]
        var parameters = 0.0, activities = 0.0
        for k in 1..<widths.count {
            parameters += widths[k - 1] * widths[k] + widths[k]
            activities += widths[k - 1] + widths[k]
        }
        let batch = Double(max(batchSize, 0)), memory = 2 * Double(max(capacity, 0)) * (n + o + m)
        // Per member: the parameters with four optimiser copies (+ the parameter average).
        let members = Double(min(max(ensembleSize, 1), Self.maximumEnsembleSize))
        let copies = (averagingDecay > 0 ? 6.0 : 5.0) * members
        // An ensemble's planner models (the current one and its spare, each with a transposed copy)
        // hold the members side by side: hidden widths K·h, so a hidden-to-hidden layer holds K²·h²
        // values (block-diagonal), and the saved snapshot one more copy of every member.
        var merged = 0.0
        if members > 1 {
            let wide = widths.indices.map { $0 == 0 || $0 == widths.count - 1 ? widths[$0] : members * widths[$0] }
            for k in 1..<wide.count { merged += wide[k - 1] * wide[k] + wide[k] }
            merged = 4 * merged + members * parameters
        }
        let doubles = copies * parameters + merged + 8 * members * batch * activities + batch * (widths[0] + o) + memory + 4 * n
        let bytes = 8 * doubles + 4096
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }
}

/// Why a ``ModelLearner`` refused a request.
public enum ModelLearnerError: Error, Equatable, CustomStringConvertible {
    /// A transition's vector had the wrong number of values.
    case dimensionMismatch(what: String, expected: Int, got: Int)
    /// A transition held a NaN or an infinity (it was not recorded).
    case nonFiniteTransition(what: String, index: Int)
    /// Training needs at least one batch of training transitions.
    case insufficientData(required: Int, available: Int)
    /// The PC core failed while learning (its error, described).
    case learningFailed(String)

    public var description: String {
        switch self {
        case let .dimensionMismatch(what, expected, got): "\(what): expected \(expected) values, got \(got)"
        case let .nonFiniteTransition(what, index): "\(what)[\(index)] is not finite"
        case let .insufficientData(required, available):
            "training needs at least \(required) training transitions (have \(available))"
        case let .learningFailed(reason): "PC learning failed: \(reason)"
        }
    }
}
