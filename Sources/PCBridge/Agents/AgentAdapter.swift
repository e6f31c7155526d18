#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PCAgents
import PCRecording
import PCWire

/// Agents whose plan a session recording holds (the predictive controller's planned states and controls).
protocol PlanRecording {
    var planDimensions: (states: Int, controls: Int) { get }
    func writePlan(states: UnsafeMutableBufferPointer<Double>, controls: UnsafeMutableBufferPointer<Double>)
}

extension PredictiveController: PlanRecording {}

/// A PCAgents ``Agent`` as a bridge session's ``BridgeAgent``: the robot's observation goes into
/// a buffer sized once, the agent perceives, plans and acts, and its action is copied out.
///
/// After the first step nothing is allocated: the observation and action arrays are uniquely
/// owned by the adapter and overwritten in place, and the agent itself is allocation-free once
/// warm (PCAgents' contract). The agent's ``PCAgents/StepDiagnostics`` pass through unchanged.
public final class AgentAdapter<Wrapped: Agent>: BridgeAgent {
    /// The wrapped agent.
    public private(set) var agent: Wrapped
    /// (observationDimension), reused every step.
    private var observation: [Double]
    /// (actionDimension), reused every step.
    private var action: [Double]
    private let beliefWriter: ((Wrapped, UnsafeMutableBufferPointer<Double>) -> Void)?
    /// Belief values published on the telemetry socket per step (0 without a belief writer).
    public let beliefDimension: Int
    /// Sets the wrapped agent's planning deadline when it is an ``PCAgents/AnytimeAgent``
    /// (found once here, so a step neither casts nor allocates).
    private let deadlineSetter: ((inout Wrapped, Double?) -> Void)?
    /// Reads a ``PCAgents/LearningAgent``'s model version (found once here, so reading it after a
    /// step neither casts nor allocates); `nil` for other agents.
    private let versionReader: ((Wrapped) -> Int)?
    /// What a session recording holds per step (chosen once here from the agent's type): a
    /// learning agent's phase, model version and online prediction error; a predictive
    /// controller's plan; else the telemetry beliefs.
    public let recordedBeliefs: [BeliefField]
    private let recordingWriter: ((Wrapped, UnsafeMutableBufferPointer<Double>) -> Void)?

    /// - Parameters:
    ///   - agent: the agent; its dimensions size the buffers.
    ///   - beliefDimension: values ``writeBeliefs(into:)`` publishes per step (0: none).
    ///   - beliefs: writes the agent's current beliefs, (beliefDimension) values, without allocating.
    public init(_ agent: Wrapped, beliefDimension: Int = 0,
                beliefs: ((Wrapped, UnsafeMutableBufferPointer<Double>) -> Void)? = nil) {
        precondition(beliefDimension == 0 || beliefs != nil, "AgentAdapter: beliefDimension > 0 needs a belief writer")
        self.agent = agent
        observation = [Double](repeating: 0, count: agent.observationDimension)
        action = [Double](repeating: 0, count: agent.actionDimension)
        self.beliefDimension = beliefs == nil ? 0 : beliefDimension
        beliefWriter = beliefs
        if let anytime = Wrapped.self as? any AnytimeAgent.Type {
            deadlineSetter = Self.deadlineSetter(for: anytime) as? (inout Wrapped, Double?) -> Void
        } else {
            deadlineSetter = nil
        }
        if Wrapped.self == LearningAgent.self {
            versionReader = { agent in unsafeBitCast(agent, to: LearningAgent.self).modelVersion }
        } else {
            versionReader = nil
        }
        if Wrapped.self == LearningAgent.self {
            let n = agent.observationDimension
            recordedBeliefs = [
                BeliefField(name: "phase", count: 1, description: "0 while exploring (motor babbling), 1 while controlling on the learned model"),
                BeliefField(name: "modelVersion", count: 1, description: "the version of the model the planner uses (0 while exploring, +1 per swap)"),
                BeliefField(name: "predictionError", count: n,
                            description: "online root-mean-square prediction error of the model in use, per state, (observationDimension); NaN before any measurement"),
            ]
            recordingWriter = { agent, beliefs in
                let learning = unsafeBitCast(agent, to: LearningAgent.self)
                beliefs[0] = learning.phase == .controlling ? 1 : 0
                beliefs[1] = Double(learning.modelVersion)
                let error = learning.onlinePredictionError.rootMeanSquare
                for i in 0..<n { beliefs[2 + i] = i < error.count ? error[i] : .nan }
            }
        } else if let planning = agent as? any PlanRecording {
            let (states, controls) = planning.planDimensions
            recordedBeliefs = [
                BeliefField(name: "plannedStates", count: states, description: "the plan's states x₀…x_H, time-major, (horizon + 1)·stateDimension"),
                BeliefField(name: "plannedControls", count: controls, description: "the plan's controls u₀…u_{H−1}, time-major; u₀ is the executed action before clipping"),
            ]
            recordingWriter = Self.planWriter(for: planning) as? (Wrapped, UnsafeMutableBufferPointer<Double>) -> Void
        } else {
            recordedBeliefs = self.beliefDimension > 0
                ? [BeliefField(name: "beliefs", count: self.beliefDimension, description: "the agent's telemetry beliefs")] : []
            recordingWriter = nil
        }
    }

    private static func planWriter<P: PlanRecording>(for _: P) -> Any {
        let write: (P, UnsafeMutableBufferPointer<Double>) -> Void = { agent, beliefs in
            let states = agent.planDimensions.states
            agent.writePlan(states: UnsafeMutableBufferPointer(rebasing: beliefs[0..<states]),
                            controls: UnsafeMutableBufferPointer(rebasing: beliefs[states...]))
        }
        return write
    }

    /// Writes the ``recordedBeliefs`` fields, without allocating.
    public func writeRecordedBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>) {
        if let recordingWriter { recordingWriter(agent, beliefs) } else { beliefWriter?(agent, beliefs) }
    }

    private static func deadlineSetter<A: AnytimeAgent>(for _: A.Type) -> Any {
        let set: (inout A, Double?) -> Void = { agent, deadline in agent.planningDeadline = deadline }
        return set
    }

    /// Starts an episode: the agent clears its belief and warm start and reseeds its generator.
    public func reset(seed: UInt64) throws {
        agent.reset(seed: seed)
    }

    /// Perceive, plan, act on one observation, (observationDimension); writes (actionDimension) values.
    public func step(observation input: UnsafeBufferPointer<Double>,
                     action output: UnsafeMutableBufferPointer<Double>) -> StepDiagnostics {
        // The server checked the observation's length against the session's space, which the
        // factory checked against the agent; copy into the agent's buffer in place.
        observation.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<buffer.count { buffer[i] = input[i] }
        }
        let diagnostics = agent.step(observation, action: &action)
        for j in 0..<output.count { output[j] = action[j] }
        return diagnostics
    }

    /// Passes the step's compute deadline to an anytime agent (``PCAgents/AnytimeAgent``); other
    /// agents run to completion and the server flags a late step itself.
    public func setComputeDeadline(_ monotonicSeconds: Double?) {
        deadlineSetter?(&agent, monotonicSeconds)
    }

    /// Writes the agent's beliefs, (beliefDimension) values, through the belief writer.
    public func writeBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>) {
        beliefWriter?(agent, beliefs)
    }

    /// True when the wrapped agent is a ``PCAgents/LearningAgent``.
    public var learnsModel: Bool { agent is LearningAgent }

    /// The learning agent's model file bytes (``PCAgents/LearningAgent/encoded(includeMemory:)``).
    public func learnedModel(includeMemory: Bool) throws -> [UInt8] {
        guard let learning = agent as? LearningAgent else { throw LearnedModelError.notLearning(String(describing: Wrapped.self)) }
        return try learning.encoded(includeMemory: includeMemory)
    }

    /// The learning agent's ``PCAgents/LearningAgent/modelVersion``; `nil` for other agents.
    public var learnedModelVersion: Int? { versionReader?(agent) }

    /// The first top-level option (by coding key) in which two learning agents' options differ.
    static func firstDifference(_ a: LearningAgentOptions, _ b: LearningAgentOptions) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let x = try? JSONDecoder().decode([String: JSONValue].self, from: encoder.encode(a)),
              let y = try? JSONDecoder().decode([String: JSONValue].self, from: encoder.encode(b)) else { return "the options" }
        return Set(x.keys).union(y.keys).sorted().first { x[$0] != y[$0] } ?? "the options"
    }

    /// Replaces the learning agent by the one saved in `bytes` (same observation and action
    /// dimensions, same options: ``LearnedModelError/optionsMismatch(field:)`` otherwise).
    public func restoreLearnedModel(_ bytes: [UInt8]) throws {
        guard let learning = agent as? LearningAgent else { throw LearnedModelError.notLearning(String(describing: Wrapped.self)) }
        let restored = try LearningAgent.decode(bytes, observationDimension: learning.observationDimension,
                                                actionDimension: learning.actionDimension)
        if restored.options != learning.options {
            throw LearnedModelError.optionsMismatch(field: Self.firstDifference(restored.options, learning.options))
        }
        var replacement = restored as! Wrapped
        // Keep the session's deadline behaviour: the restored agent starts without one.
        deadlineSetter?(&replacement, nil)
        agent = replacement
    }
}
