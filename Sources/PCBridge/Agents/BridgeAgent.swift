import PCAgents
import PCEnvironment
import PCRecording
import PCWire

/// The agent one robot session drives, as the server sees it: the seam between the bridge and PCAgents.
///
/// The agent contract is PCAgents' ``PCAgents/Agent`` (perceive, plan, act, ``PCAgents/StepDiagnostics``):
/// every agent PCKit serves, the reference controllers included, is one hosted by an
/// ``AgentAdapter``, which implements this protocol. Implement it directly only to wrap a hosted
/// agent (for example to change what it does with deadlines).
///
/// The server calls an agent from one worker thread at a time (a session's requests run in order,
/// never concurrently), so it needs no locking; different sessions' agents run concurrently. `step` must not
/// allocate after the first call (the bridge's hot path allocates nothing), and must write every
/// action value; the server clips the action into the session's action space and replaces a
/// non-finite action by the clipped zero action, flagging a warning.
public protocol BridgeAgent: AnyObject {
    /// Starts a new episode.
    /// - Throws: any error; the robot receives an `agentFailure` reply naming it.
    func reset(seed: UInt64) throws

    /// Computes the action for one observation.
    /// - Parameters:
    ///   - observation: (observationDimension) values, finite and already checked for length.
    ///   - action: (actionDimension) values to overwrite.
    /// - Returns: this step's diagnostics, PCAgents' ``PCAgents/StepDiagnostics`` (an agent without
    ///   a free energy reports NaN); the server converts them to the wire's fixed types when it
    ///   encodes the reply.
    func step(observation: UnsafeBufferPointer<Double>, action: UnsafeMutableBufferPointer<Double>) -> StepDiagnostics

    /// Number of belief values published on the telemetry socket each step (0: none).
    var beliefDimension: Int { get }

    /// Writes the current beliefs (e.g. posterior means), (beliefDimension) values.
    func writeBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>)

    /// Sets the time by which the next ``step(observation:action:)`` should return: an anytime
    /// planner stops there and acts on its best plan so far, reporting
    /// ``PCAgents/AgentWarnings/deadlineExceeded``. Seconds on `CLOCK_MONOTONIC`; `nil`: none.
    /// The default ignores it (agents whose step is cheap and fixed).
    func setComputeDeadline(_ monotonicSeconds: Double?)

    /// Whether the agent learns a model of the robot that ``learnedModel(includeMemory:)`` can save.
    var learnsModel: Bool { get }

    /// What the agent has learned, as the bytes of its model file (a learning agent's versioned,
    /// checksummed file; see `LearningAgent.encoded(includeMemory:)`).
    /// - Parameter includeMemory: also save the transition memory, so a restored agent learns on from it.
    /// - Throws: ``LearnedModelError/notLearning(_:)`` for an agent that learns nothing; the agent's
    ///   own file error while it has nothing to save yet (still exploring).
    func learnedModel(includeMemory: Bool) throws -> [UInt8]

    /// Replaces what the agent has learned by a saved model: the agent then controls with it at once,
    /// without exploring again.
    /// - Parameter bytes: a file written by ``learnedModel(includeMemory:)`` for a robot of the same
    ///   observation and action dimensions.
    /// - Throws: ``LearnedModelError/notLearning(_:)``; the agent's typed file error naming what does
    ///   not match (magic, version, checksum, dimensions).
    func restoreLearnedModel(_ bytes: [UInt8]) throws

    /// The belief vectors a session recording holds per step (``BridgeServerConfiguration/recordDirectory``);
    /// the default records the telemetry beliefs as one field, `beliefs`.
    var recordedBeliefs: [BeliefField] { get }

    /// Writes the ``recordedBeliefs`` fields in order, without allocating.
    func writeRecordedBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>)

    /// The version of the model the agent plans with (a learning agent's `modelVersion`: 0 while
    /// exploring, +1 per model swap); `nil` for an agent that learns no model (the default).
    var learnedModelVersion: Int? { get }
}

/// Why a learned model could not be saved into or restored from a bridge agent.
public enum LearnedModelError: Error, Equatable, CustomStringConvertible {
    /// The agent (named) learns no model; only learning agents (`"agent": "learning"`) do.
    case notLearning(String)
    /// The saved model was learned with other options than the agent's (the first differing field
    /// named): restoring it would silently change the robot's agent.
    case optionsMismatch(field: String)

    public var description: String {
        switch self {
        case let .notLearning(agent):
            "the \(agent) agent learns no model; only a learning agent (\"agent\": \"learning\") saves and restores one"
        case let .optionsMismatch(field):
            "the saved model was learned with other options than this agent's: \(field) differs"
        }
    }
}

extension BridgeAgent {
    public var beliefDimension: Int { 0 }
    public func writeBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>) {}
    public func setComputeDeadline(_ monotonicSeconds: Double?) {}
    public var learnsModel: Bool { false }
    public func learnedModel(includeMemory: Bool) throws -> [UInt8] {
        throw LearnedModelError.notLearning(String(describing: type(of: self)))
    }
    public func restoreLearnedModel(_ bytes: [UInt8]) throws {
        throw LearnedModelError.notLearning(String(describing: type(of: self)))
    }
    public var learnedModelVersion: Int? { nil }
    public var recordedBeliefs: [BeliefField] {
        beliefDimension > 0 ? [BeliefField(name: "beliefs", count: beliefDimension, description: "the agent's telemetry beliefs")] : []
    }
    public func writeRecordedBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>) { writeBeliefs(into: beliefs) }
}

/// Everything a robot's hello says about the agent it wants, validated.
public struct SessionRequest: Sendable {
    /// The robot's name from the hello.
    public var robot: String
    public var observationSpace: BoxSpace
    public var actionSpace: BoxSpace
    /// Seconds between steps.
    public var controlPeriod: Double
    /// The hello's `agent` object, untouched.
    public var agentConfiguration: JSONValue

    public init(robot: String, observationSpace: BoxSpace, actionSpace: BoxSpace, controlPeriod: Double,
                agentConfiguration: JSONValue) {
        self.robot = robot
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.controlPeriod = controlPeriod
        self.agentConfiguration = agentConfiguration
    }
}

/// Turns a robot's hello into an agent: the server calls it once per session, on a worker thread
/// (possibly concurrently for different sessions).
public protocol BridgeAgentFactory: Sendable {
    /// Makes an agent for a new session.
    /// - Throws: any error when the configuration is unusable; the robot receives an
    ///   `agentRejected` reply carrying the error's description.
    func makeAgent(for request: SessionRequest) throws -> any BridgeAgent

    /// An upper bound on the bytes ``makeAgent(for:)`` would allocate for this request, checked
    /// against the server's memory budgets before anything is built. Called on the server's
    /// socket thread, so it must be cheap and allocate little.
    /// - Returns: the estimate, or `nil` when the factory cannot tell (the default).
    /// - Throws: the same errors as ``makeAgent(for:)`` for a configuration it can already refuse
    ///   (an option above its maximum, an unknown agent).
    func estimatedMemoryBytes(for request: SessionRequest) throws -> Int?
}

extension BridgeAgentFactory {
    public func estimatedMemoryBytes(for request: SessionRequest) throws -> Int? { nil }
}
