import PCCore
import PCNumerics

/// The settings of a ``ModelLearner``: what the state looks like, the network that predicts its
/// change, and how the network learns.
///
/// The learner predicts the state change Δx = x′ − x (angles wrapped to (−π, π]) from the features
/// of (x, u): each angle xᵢ enters as (cos xᵢ, sin xᵢ), every other coordinate as itself, then the
/// action clipped to its bounds; inputs and targets are standardised (``ModelLearner``).
///
/// ```swift
/// let options = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05,
///                                       angleIndices: [0], actionLower: [-2], actionUpper: [2])
/// ```
public struct ModelLearnerOptions: Sendable, Equatable, Codable {
    /// Dimension n of the state x.
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
    /// Widths of the hidden layers (default [64, 64]).
    public var hiddenSizes: [Int]
    /// φ of the hidden layers (default tanh; gelu is not supported by the learned model's Jacobian).
    public var activation: Activation
    /// The PC learning rule, its inference settings and optimiser (default IL: γ = 0.1, T = 20, then one
    /// Adam step with α = 1e-3).
    public var learning: LearningOptions
    /// Transitions per learning batch (default 64).
    public var batchSize: Int
    /// Every k-th recorded transition is held out of training to measure generalisation (default 10).
    public var heldOutEvery: Int
    /// Transitions remembered; the oldest are overwritten beyond it (default 10,000, per set).
    public var capacity: Int
    /// Seed of the generator that draws the initial weights and the batches (default 0).
    public var seed: UInt64

    /// - Throws: ``AgentConfigurationError`` naming the first field that is out of range.
    public init(stateDimension: Int, actionDimension: Int, timeStep: Double, angleIndices: [Int] = [],
                actionLower: [Double], actionUpper: [Double], observation: ObservationLayout? = nil,
                hiddenSizes: [Int] = [64, 64], activation: Activation = .tanh,
                learning: LearningOptions? = nil, batchSize: Int = 64, heldOutEvery: Int = 10,
                capacity: Int = 10_000, seed: UInt64 = 0) throws {
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
        try validate()
    }

    /// Number of network inputs: n + (number of angles) + m.
    public var featureDimension: Int { stateDimension + angleIndices.count + actionDimension }

    /// Checks every field.
    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public func validate() throws {
        try Validate.atLeast(stateDimension, 1, "stateDimension")
        try Validate.atLeast(actionDimension, 1, "actionDimension")
        try Validate.positive(timeStep, "timeStep")
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
        for (k, width) in hiddenSizes.enumerated() { try Validate.atLeast(width, 1, "hiddenSizes[\(k)]") }
        if case .gelu = activation {
            throw AgentConfigurationError.invalidValue(field: "activation", value: "gelu",
                                                      requirement: "must be identity, tanh, sigmoid, relu, leakyReLU or softplus")
        }
        try Validate.atLeast(batchSize, 1, "batchSize")
        try Validate.atLeast(heldOutEvery, 2, "heldOutEvery")
        try Validate.atLeast(capacity, batchSize, "capacity")
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
