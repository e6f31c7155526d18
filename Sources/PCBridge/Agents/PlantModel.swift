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
    /// Δt, the model's step in seconds; the robot's control period must match it.
    public let timeStep: Double
    /// The ``PredictiveController`` options a hello gets when it names the task but no options.
    public let predictiveControllerPreset: PredictiveControllerOptions?
    private let makePredictive: @Sendable (PredictiveControllerOptions) throws -> any BridgeAgent

    /// - Parameters:
    ///   - preset: the task's default predictive-controller options, if it has any.
    ///   - make: builds the model (called once here and once per session).
    public init<Model: LinearizableModel>(predictiveControllerPreset preset: PredictiveControllerOptions? = nil,
                                          _ make: @escaping @Sendable () -> Model) {
        let model = make()
        stateDimension = model.stateDimension
        actionDimension = model.actionDimension
        timeStep = model.timeStep
        predictiveControllerPreset = preset
        makePredictive = { options in
            let controller = try PredictiveController(model: make(), options: options)
            return AgentAdapter(controller, beliefDimension: controller.model.stateDimension) { agent, beliefs in
                agent.writeBelief(into: beliefs)
            }
        }
    }

    /// A predictive controller planning with this model, wrapped for a bridge session.
    /// - Throws: PCAgents' ``PCAgents/AgentConfigurationError`` when the options do not fit the model.
    public func makePredictiveController(options: PredictiveControllerOptions) throws -> any BridgeAgent {
        try makePredictive(options)
    }
}
