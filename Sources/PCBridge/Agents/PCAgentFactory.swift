#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PCAgents
import PCWire

/// Builds PCKit agents (PCAgents) for robots, from the same JSON configuration files the CLI
/// reads (``PCAgents/AgentConfiguration``), plus the task whose model the agent plans with:
///
/// ```json
/// { "agent": "predictiveController", "task": "pendulum",
///   "predictiveController": { "horizon": 20, … } }
/// ```
/// The options block may be left out when the task has a preset (``PlantModel/predictiveControllerPreset``).
/// A configuration with `type` instead of `agent` goes to the fallback factory (by default the
/// bridge's reference controllers); one with neither is refused with ``AgentRequestError/missingAgent``.
///
/// The hello's spaces and control period are checked against the agent: observation dimension
/// against the options' observation layout, action dimension against the model, control period
/// against the model's time step (relative tolerance 10⁻⁶). Each session gets its own agent in an
/// ``AgentAdapter``; its step allocates nothing after warm-up.
public struct PCAgentFactory: BridgeAgentFactory {
    /// Plant models by task name.
    public let models: [String: PlantModel]
    /// The factory for configurations with `type` instead of `agent` (nil: refuse them).
    public let fallback: (any BridgeAgentFactory)?

    /// - Parameters:
    ///   - models: the plant models by task name (e.g. `PlantModel.builtIn` from `PCKit`).
    ///   - fallback: the factory for configurations with `type` instead of `agent` (default: the reference controllers).
    public init(models: [String: PlantModel], fallback: (any BridgeAgentFactory)? = ReferenceAgentFactory()) {
        self.models = models
        self.fallback = fallback
    }

    /// An upper bound on the bytes the hello's agent needs, from its options alone; options beyond
    /// their maxima, unknown keys and unknown agents or tasks are refused here, before anything is built.
    public func estimatedMemoryBytes(for request: SessionRequest) throws -> Int? {
        let configuration = request.agentConfiguration
        guard let name = configuration["agent"]?.stringValue, let kind = AgentConfiguration.Kind(rawValue: name) else {
            return try fallback?.estimatedMemoryBytes(for: request)
        }
        switch kind {
        case .predictiveController:
            let task = configuration["task"]?.stringValue
            guard let task, let model = models[task] else { throw AgentRequestError.unknownTask(task, known: models.keys.sorted()) }
            let options = try predictiveOptions(configuration, model: model, task: task)
            try model.checkParameters(try Self.parameters(configuration))
            return options.estimatedMemoryBytes(stateDimension: model.stateDimension, actionDimension: model.actionDimension)
        case .reflexController, .activeSensing, .kinematicHierarchy, .learning:
            guard configuration[kind.rawValue] != nil || (kind == .learning && configuration["goal"] != nil) else {
                throw AgentRequestError.missingOptions(agent: kind.rawValue, task: configuration["task"]?.stringValue ?? "(none)")
            }
            let decoded: AgentConfiguration
            do { decoded = try AgentConfiguration.decode(try JSONEncoder().encode(configuration), path: "hello.agent") } catch {
                throw AgentRequestError.invalidOptions("\(error)")
            }
            if decoded.goal != nil {
                do { return try Self.learningOptions(decoded, request).estimatedMemoryBytes() } catch let error as AgentRequestError {
                    throw error
                } catch { throw AgentRequestError.invalidOptions("\(error)") }
            }
            return decoded.reflexController?.estimatedMemoryBytes() ?? decoded.activeSensing?.estimatedMemoryBytes()
                ?? decoded.kinematicHierarchy?.estimatedMemoryBytes() ?? decoded.learning?.estimatedMemoryBytes()
        }
    }

    /// Makes the agent a hello asks for.
    /// - Throws: ``AgentRequestError`` naming what does not fit (expected vs got), or the fallback's error.
    public func makeAgent(for request: SessionRequest) throws -> any BridgeAgent {
        let configuration = request.agentConfiguration
        guard let agentName = configuration["agent"] else {
            // Neither kind named (e.g. `{}` with no server default): say both ways to ask.
            guard let fallback, configuration["type"] != nil else { throw AgentRequestError.missingAgent }
            return try fallback.makeAgent(for: request)
        }
        let known = AgentConfiguration.Kind.allCases.map(\.rawValue)
        guard let name = agentName.stringValue, let kind = AgentConfiguration.Kind(rawValue: name) else {
            throw AgentRequestError.unknownAgent(agentName.stringValue ?? "\(agentName)", known: known)
        }
        switch kind {
        case .predictiveController:
            // A planner needs the task's plant model.
            let task = configuration["task"]?.stringValue
            guard let task, let model = models[task] else {
                throw AgentRequestError.unknownTask(task, known: models.keys.sorted())
            }
            let options = try predictiveOptions(configuration, model: model, task: task)
            try check(request, observationDimension: options.observation.observationDimension, model: model)
            let parameters = try Self.parameters(configuration)
            try model.checkParameters(parameters)
            do { return try model.makePredictiveController(options: options, parameters: parameters) } catch let error as AgentRequestError {
                throw error
            } catch {
                throw AgentRequestError.invalidOptions("\(error)")
            }
        case .reflexController, .activeSensing, .kinematicHierarchy, .learning:
            // Agents built from their options block alone (a learning agent learns its own model).
            guard configuration["parameters"] == nil else {
                throw AgentRequestError.invalidOptions("\"parameters\" set a task's plant model, which only a predictiveController uses; \(kind.rawValue) takes its options block alone")
            }
            let agent = try modelFreeAgent(kind, configuration, request)
            guard request.observationSpace.dimension == agent.observationDimension else {
                throw AgentRequestError.observationDimension(expected: agent.observationDimension,
                                                             got: request.observationSpace.dimension)
            }
            guard request.actionSpace.dimension == agent.actionDimension else {
                throw AgentRequestError.actionDimension(expected: agent.actionDimension, got: request.actionSpace.dimension)
            }
            if let period = agent.controlPeriod, abs(request.controlPeriod - period) > 1e-6 * period {
                throw AgentRequestError.controlPeriod(expected: period, got: request.controlPeriod)
            }
            return agent.bridged
        }
    }

    /// A reflex, active-sensing or kinematic-hierarchy agent from the hello's options block
    /// (the same JSON as `Examples/configs/`).
    private func modelFreeAgent(_ kind: AgentConfiguration.Kind, _ configuration: JSONValue,
                                _ request: SessionRequest) throws -> ModelFreeAgent {
        guard configuration[kind.rawValue] != nil || (kind == .learning && configuration["goal"] != nil) else {
            throw AgentRequestError.missingOptions(agent: kind.rawValue, task: configuration["task"]?.stringValue ?? "(none)")
        }
        let decoded: AgentConfiguration
        do {
            decoded = try AgentConfiguration.decode(try JSONEncoder().encode(configuration), path: "hello.agent")
        } catch {
            throw AgentRequestError.invalidOptions("\(error)")
        }
        do {
            switch kind {
            case .reflexController: return ModelFreeAgent(try ReflexController(options: decoded.reflexController!))
            case .activeSensing: return ModelFreeAgent(try ActiveSensingAgent(options: decoded.activeSensing!))
            case .kinematicHierarchy: return ModelFreeAgent(try KinematicHierarchy(options: decoded.kinematicHierarchy!))
            case .learning:
                let options = try Self.learningOptions(decoded, request)
                var agent = ModelFreeAgent(try LearningAgent(options: options))
                agent.controlPeriod = options.controlPeriod
                return agent
            case .predictiveController: preconditionFailure("predictive controllers need a plant model")
            }
        } catch {
            throw AgentRequestError.invalidOptions("\(error)")
        }
    }
}

extension PCAgentFactory {
    /// A learning agent's options: its `learning` block, or its `goal` completed by the robot's
    /// observation size, action box and control period.
    static func learningOptions(_ decoded: AgentConfiguration, _ request: SessionRequest) throws -> LearningAgentOptions {
        guard let goal = decoded.goal else { return decoded.learning! }
        guard goal.target.count == request.observationSpace.dimension else {
            throw AgentRequestError.observationDimension(expected: goal.target.count, got: request.observationSpace.dimension)
        }
        return try LearningAgentOptions(goal: goal, actionLower: request.actionSpace.low, actionUpper: request.actionSpace.high,
                                        controlPeriod: request.controlPeriod)
    }
}

/// A model-free agent with its dimensions, before it is wrapped for a session.
private struct ModelFreeAgent {
    let observationDimension: Int
    let actionDimension: Int
    let bridged: any BridgeAgent
    /// The control period the agent was configured for (learning agents), checked against the hello's.
    var controlPeriod: Double?

    init<A: Agent>(_ agent: A) {
        observationDimension = agent.observationDimension
        actionDimension = agent.actionDimension
        bridged = AgentAdapter(agent)
    }
}

extension PCAgentFactory {
    /// The options block decoded as ``AgentConfiguration`` does for files, or the task's preset.
    private func predictiveOptions(_ configuration: JSONValue, model: PlantModel, task: String) throws -> PredictiveControllerOptions {
        let kind = AgentConfiguration.Kind.predictiveController.rawValue
        var configuration = configuration
        if configuration[kind] == nil {
            // The task's preset, decoded like a block the robot sent, so the top level's keys are
            // checked as strictly (a stray "mass" is refused by name, never ignored).
            guard let preset = model.predictiveControllerPreset, case var .object(fields) = configuration else {
                throw AgentRequestError.missingOptions(agent: kind, task: task)
            }
            fields[kind] = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(preset))
            configuration = .object(fields)
        }
        do {
            let data = try JSONEncoder().encode(configuration)
            guard let options = try AgentConfiguration.decode(data, path: "hello.agent").predictiveController else {
                throw AgentRequestError.missingOptions(agent: kind, task: task)
            }
            return options
        } catch let error as AgentRequestError {
            throw error
        } catch {
            throw AgentRequestError.invalidOptions("\(error)")
        }
    }

    /// The hello's `"parameters"` object: numbers by name.
    static func parameters(_ configuration: JSONValue) throws -> [String: Double] {
        guard let value = configuration["parameters"] else { return [:] }
        guard case let .object(fields) = value else {
            throw AgentRequestError.invalidOptions("parameters must be an object of numbers by name, e.g. {\"mass\": 1.3}")
        }
        var values: [String: Double] = [:]
        for (name, field) in fields {
            guard let number = field.numberValue else {
                throw AgentRequestError.invalidOptions("parameters.\(name) must be a number")
            }
            values[name] = number
        }
        return values
    }

    private func check(_ request: SessionRequest, observationDimension: Int, model: PlantModel) throws {
        guard request.observationSpace.dimension == observationDimension else {
            throw AgentRequestError.observationDimension(expected: observationDimension, got: request.observationSpace.dimension)
        }
        guard request.actionSpace.dimension == model.actionDimension else {
            throw AgentRequestError.actionDimension(expected: model.actionDimension, got: request.actionSpace.dimension)
        }
        guard abs(request.controlPeriod - model.controlPeriod) <= 1e-6 * model.controlPeriod else {
            throw AgentRequestError.controlPeriod(expected: model.controlPeriod, got: request.controlPeriod)
        }
    }
}
