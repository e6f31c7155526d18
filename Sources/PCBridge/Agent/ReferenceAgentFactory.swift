import PCWire

/// The factory of the bridge's reference agents, chosen by `agent.type`:
/// `"linear"` (``LinearFeedbackAgent``) and `"pendulumSwingUp"` (``PendulumSwingUpAgent``).
///
/// These are classical controllers for testing and benchmarking the transport; PCAgents' factory
/// takes its place (or wraps it) in `pcctl serve`.
public struct ReferenceAgentFactory: BridgeAgentFactory {
    public static let knownTypes = ["linear", "pendulumSwingUp"]

    public init() {}

    public func makeAgent(for request: SessionRequest) throws -> any BridgeAgent {
        let configuration = request.agentConfiguration
        switch configuration["type"]?.stringValue {
        case "linear":
            return try LinearFeedbackAgent(configuration: configuration, request: request)
        case "pendulumSwingUp":
            guard request.observationSpace.dimension == 3, request.actionSpace.dimension == 1 else {
                throw AgentConfigurationError.spaceMismatch("pendulumSwingUp needs 3 observations and 1 action")
            }
            let gain = configuration["energyGain"]?.numberValue ?? 1
            guard gain.isFinite, gain > 0 else { throw AgentConfigurationError.invalidField("energyGain", expected: "a number > 0") }
            return PendulumSwingUpAgent(energyGain: gain)
        case let other:
            throw AgentConfigurationError.unknownType(other, known: Self.knownTypes)
        }
    }
}
