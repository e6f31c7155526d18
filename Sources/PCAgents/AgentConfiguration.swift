#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An agent described by a JSON file, as the CLI and the bridge read it.
///
/// ```json
/// { "agent": "predictiveController",
///   "predictiveController": { "horizon": 20, "modelPrecision": [1000, 1000], … } }
/// ```
/// The options block of the named agent must be present (`predictiveController`,
/// `reflexController`, `activeSensing` or `kinematicHierarchy`); it is validated on decoding.
/// Every key is checked: an unknown one (a typo such as `"horizn"`) is refused with
/// ``AgentConfigurationError/unknownKey(path:suggestion:known:)``, naming the closest known key.
public struct AgentConfiguration: Sendable, Equatable, Codable {
    /// Which agent the file configures.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case predictiveController, reflexController, activeSensing, kinematicHierarchy, learning
    }

    /// Which agent the file configures.
    public var agent: Kind
    /// The plant model a served predictive controller plans with; used by `pcctl serve` hellos
    /// (e.g. `"pendulum"`); nil in agent files, which leave the task to the command line.
    public var task: String?
    /// The task's physical parameters by name (e.g. `{"mass": 1.3, "length": 1.2}` for the
    /// pendulum), for served predictive controllers; nil: the task's defaults. The serving program
    /// checks names and ranges against its plant model.
    public var parameters: [String: Double]?
    /// The options of each agent; the one named by ``agent`` must be present.
    public var predictiveController: PredictiveControllerOptions?
    public var reflexController: ReflexControllerOptions?
    public var activeSensing: ActiveSensingOptions?
    public var kinematicHierarchy: KinematicHierarchyOptions?
    /// A ``LearningAgent``: explores, learns the robot's dynamics and plans on what it learned.
    public var learning: LearningAgentOptions?
    /// A learning agent given by its goal alone (``LearningGoal``): the program that makes the agent
    /// builds its ``LearningAgentOptions`` from the robot's spaces and control period. Only with
    /// `"agent": "learning"` and without a `learning` block.
    public var goal: LearningGoal?

    public init(predictiveController options: PredictiveControllerOptions) {
        agent = .predictiveController
        predictiveController = options
    }
    public init(reflexController options: ReflexControllerOptions) {
        agent = .reflexController
        reflexController = options
    }
    public init(activeSensing options: ActiveSensingOptions) {
        agent = .activeSensing
        activeSensing = options
    }
    public init(kinematicHierarchy options: KinematicHierarchyOptions) {
        agent = .kinematicHierarchy
        kinematicHierarchy = options
    }
    public init(learning options: LearningAgentOptions) {
        agent = .learning
        learning = options
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case agent, task, parameters, predictiveController, reflexController, activeSensing, kinematicHierarchy, learning, goal
    }

    /// Decodes the top level; any key other than ``CodingKeys`` is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agent = try c.decode(Kind.self, forKey: .agent)
        task = try c.decodeIfPresent(String.self, forKey: .task)
        parameters = try c.decodeIfPresent([String: Double].self, forKey: .parameters)
        predictiveController = try c.decodeIfPresent(PredictiveControllerOptions.self, forKey: .predictiveController)
        reflexController = try c.decodeIfPresent(ReflexControllerOptions.self, forKey: .reflexController)
        activeSensing = try c.decodeIfPresent(ActiveSensingOptions.self, forKey: .activeSensing)
        kinematicHierarchy = try c.decodeIfPresent(KinematicHierarchyOptions.self, forKey: .kinematicHierarchy)
        learning = try c.decodeIfPresent(LearningAgentOptions.self, forKey: .learning)
        goal = try c.decodeIfPresent(LearningGoal.self, forKey: .goal)
    }

    /// Decodes a configuration from JSON bytes.
    ///
    /// A whole-number field given a number no `Int` holds (e.g. `1e20`, `1.5`) is refused by its JSON
    /// path and maximum; every count is then checked against its documented maximum (``AgentLimits``)
    /// before anything is built.
    /// - Throws: ``AgentConfigurationError`` naming the field that is missing, unknown or invalid
    ///   (``AgentConfigurationError/unknownKey(path:suggestion:known:)`` keeps the key's full path).
    public static func decode(_ data: Data, path: String = "<memory>") throws -> AgentConfiguration {
        let configuration: AgentConfiguration
        do {
            configuration = try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch let error as AgentConfigurationError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw AgentConfigurationError.unreadable(
                path: path, reason: "missing field `\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))`")
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw AgentConfigurationError.unreadable(path: path, reason: "not valid JSON (\(context.debugDescription))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw AgentConfigurationError.unreadable(
                path: path, reason: "field `\(context.codingPath.map(\.stringValue).joined(separator: "."))`: \(context.debugDescription)")
        } catch {
            throw AgentConfigurationError.unreadable(path: path, reason: "\(error)")
        }
        func missing(_ field: String) -> AgentConfigurationError {
            .unreadable(path: path, reason: "missing field `\(field)`")
        }
        switch configuration.agent {
        case .predictiveController:
            // The dimensions come with the model; the bounds can be checked now.
            guard let options = configuration.predictiveController else { throw missing("predictiveController") }
            try options.validateBounds()
        case .reflexController:
            guard let options = configuration.reflexController else { throw missing("reflexController") }
            try options.validate()
        case .activeSensing:
            guard let options = configuration.activeSensing else { throw missing("activeSensing") }
            try options.validate()
        case .kinematicHierarchy:
            guard let options = configuration.kinematicHierarchy else { throw missing("kinematicHierarchy") }
            try options.validate()
        case .learning:
            switch (configuration.learning, configuration.goal) {
            case let (options?, nil): try options.validate()
            case let (nil, goal?): try goal.validate()
            case (nil, nil): throw missing("learning` or `goal")
            case (_?, _?):
                throw AgentConfigurationError.unreadable(path: path, reason: "give either `learning` (every option) or `goal` (the goal alone, defaults for the rest), not both")
            }
        }
        if configuration.goal != nil && configuration.agent != .learning {
            throw AgentConfigurationError.unreadable(path: path, reason: "`goal` configures a learning agent; this file configures \(configuration.agent.rawValue) (set \"agent\": \"learning\")")
        }
        return configuration
    }

    /// Reads and decodes a configuration file.
    public static func load(path: String) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentConfigurationError.unreadable(path: path, reason: "no such file")
        }
        return try decode(data, path: path)
    }

    /// Pretty-printed JSON of this configuration.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
