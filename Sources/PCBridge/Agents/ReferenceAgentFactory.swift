import PCAgents
import PCWire

/// The factory of the bridge's reference agents, chosen by `agent.type`:
/// `"linear"` (``LinearFeedbackController``) and `"pendulumSwingUp"` (``PendulumSwingUpController``),
/// each a PCAgents ``PCAgents/Agent`` hosted in an ``AgentAdapter`` like every served agent.
///
/// These are classical controllers for testing and benchmarking the transport; in `pcctl serve`
/// they are ``PCAgentFactory``'s fallback for configurations that name no PCKit `agent`.
public struct ReferenceAgentFactory: BridgeAgentFactory {
    public static let knownTypes = ["linear", "pendulumSwingUp"]

    public init() {}

    /// The keys each reference controller reads; any other key is refused by name.
    static let knownKeys: [String: [String]] = ["linear": ["type", "gain", "target", "bias"], "pendulumSwingUp": ["type", "energyGain"]]

    public func makeAgent(for request: SessionRequest) throws -> any BridgeAgent {
        let configuration = request.agentConfiguration
        if let type = configuration["type"]?.stringValue, let known = Self.knownKeys[type], case let .object(fields) = configuration {
            for key in fields.keys.sorted() where !known.contains(key) {
                throw AgentConfigurationError.unknownKey(key, known: known)
            }
        }
        switch configuration["type"]?.stringValue {
        case "linear":
            return try LinearFeedbackAgent(configuration: configuration, request: request)
        case "pendulumSwingUp":
            guard request.observationSpace.dimension == 3, request.actionSpace.dimension == 1 else {
                throw ReferenceAgentError.spaceMismatch("pendulumSwingUp needs 3 observations and 1 action")
            }
            let gain = configuration["energyGain"]?.numberValue ?? 1
            guard gain.isFinite, gain > 0 else { throw ReferenceAgentError.invalidField("energyGain", expected: "a number > 0") }
            return PendulumSwingUpAgent(PendulumSwingUpController(energyGain: gain))
        case let other:
            throw ReferenceAgentError.unknownType(other, known: Self.knownTypes)
        }
    }
}
