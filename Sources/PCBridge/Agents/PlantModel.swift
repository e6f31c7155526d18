import PCAgents

/// A model of a robot's dynamics that PCKit agents can plan with, under a task name that hellos
/// refer to (`"task": "pendulum"`).
///
/// PCBridge does not know any plant itself (it must not import the simulator); the catalog is
/// handed to ``PCAgentFactory`` by the program that serves, e.g. `PCKit`'s built-in models.
/// The model is type-erased here but not in the agent: each session's ``PredictiveController`` is
/// specialised for the concrete model type.
public struct PlantModel: Sendable {
    /// x, the model's state dimension.
    public let stateDimension: Int
    /// u, the model's action dimension.
    public let actionDimension: Int
    /// Δt, the model's step in seconds (one latent step of the planner).
    public let timeStep: Double
    /// The robot's control period, s: a hello's `control_period` must match it. Equal to
    /// ``timeStep``, or a fraction of it for a model that plans with each action held for several
    /// robot steps (its preset then replans every `timeStep / controlPeriod` steps).
    public let controlPeriod: Double
    /// The ``PredictiveController`` options a hello gets when it names the task but no options.
    public let predictiveControllerPreset: PredictiveControllerOptions?
    /// The physical parameters a hello may set (`"parameters": {"mass": 1.3}`); empty: none.
    public let parameters: [PlantParameter]
    private let makePredictive: @Sendable (PredictiveControllerOptions, [String: Double]) throws -> any BridgeAgent

    /// - Parameters:
    ///   - preset: the task's default predictive-controller options, if it has any.
    ///   - make: builds the model (called once here and once per session).
    public init<Model: LinearizableModel>(predictiveControllerPreset preset: PredictiveControllerOptions? = nil,
                                          _ make: @escaping @Sendable () -> Model) {
        self.init(predictiveControllerPreset: preset, parameters: []) { _ in make() }
    }

    /// A model with settable physical parameters.
    /// - Parameters:
    ///   - preset: the task's default predictive-controller options, if it has any.
    ///   - parameters: the parameters a hello may set, with defaults and ranges.
    ///   - make: builds the model from a value for every parameter (called once here with the
    ///     defaults, and once per session); it may throw for combinations it refuses.
    ///   - controlPeriod: the robot's control period, s (default: the model's time step).
    public init<Model: LinearizableModel>(predictiveControllerPreset preset: PredictiveControllerOptions? = nil,
                                          parameters: [PlantParameter], controlPeriod: Double? = nil,
                                          _ make: @escaping @Sendable ([String: Double]) throws -> Model) {
        let defaults = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.defaultValue) })
        guard let model = try? make(defaults) else { preconditionFailure("PlantModel: the defaults must build a model") }
        stateDimension = model.stateDimension
        actionDimension = model.actionDimension
        timeStep = model.timeStep
        self.controlPeriod = controlPeriod ?? model.timeStep
        predictiveControllerPreset = preset
        self.parameters = parameters
        makePredictive = { options, values in
            let controller = try PredictiveController(model: make(defaults.merging(values) { $1 }), options: options)
            return AgentAdapter(controller, beliefDimension: controller.model.stateDimension) { agent, beliefs in
                agent.writeBelief(into: beliefs)
            }
        }
    }

    /// Checks a hello's parameters by name and range.
    /// - Throws: ``AgentRequestError/invalidOptions(_:)`` naming an unknown parameter (with the
    ///   closest known one) or a value outside its range.
    public func checkParameters(_ values: [String: Double]) throws {
        let known = parameters.map(\.name)
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let parameter = parameters.first(where: { $0.name == name }) else {
                guard !known.isEmpty else {
                    throw AgentRequestError.invalidOptions("this task has no settable parameters (got `\(name)`)")
                }
                throw AgentRequestError.invalidOptions("parameters: \(AgentConfigurationError.unknownKey(name, at: "parameters", known: known))")
            }
            guard value.isFinite, parameter.range.contains(value) else {
                throw AgentRequestError.invalidOptions(
                    "parameters.\(name) = \(value) must be in \(parameter.range.lowerBound)…\(parameter.range.upperBound) \(parameter.unit)")
            }
        }
    }

    /// A predictive controller planning with this model, wrapped for a bridge session.
    /// - Parameters:
    ///   - parameters: physical parameters by name (checked with ``checkParameters(_:)``); the rest keep their defaults.
    /// - Throws: PCAgents' ``PCAgents/AgentConfigurationError`` when the options do not fit the model.
    public func makePredictiveController(options: PredictiveControllerOptions,
                                         parameters values: [String: Double] = [:]) throws -> any BridgeAgent {
        try checkParameters(values)
        return try makePredictive(options, values)
    }
}

/// A physical parameter of a ``PlantModel`` that a robot's hello may set.
public struct PlantParameter: Sendable, Equatable {
    public let name: String
    public let defaultValue: Double
    /// The accepted values, inclusive.
    public let range: ClosedRange<Double>
    /// The unit, for messages and help (e.g. "kg").
    public let unit: String

    public init(name: String, defaultValue: Double, range: ClosedRange<Double>, unit: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.range = range
        self.unit = unit
    }
}
