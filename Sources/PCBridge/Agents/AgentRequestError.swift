/// Why ``PCAgentFactory`` refused a hello's agent request. The robot receives the description in
/// an `agentRejected` error reply.
public enum AgentRequestError: Error, Equatable, CustomStringConvertible {
    /// The configuration has neither `agent` (a PCKit agent) nor `type` (a reference controller).
    case missingAgent
    /// `agent` names no agent this factory can build.
    case unknownAgent(String, known: [String])
    /// `task` is missing or names no plant model in the factory's catalog.
    case unknownTask(String?, known: [String])
    /// The configuration has no options block for the agent and the task has no preset.
    case missingOptions(agent: String, task: String)
    /// The options could not be decoded or do not fit the model (PCAgents' message).
    case invalidOptions(String)
    /// The hello's observation space has the wrong number of dimensions for the agent.
    case observationDimension(expected: Int, got: Int)
    /// The hello's action space has the wrong number of dimensions for the agent.
    case actionDimension(expected: Int, got: Int)
    /// The hello's control period differs from the model's time step (seconds).
    case controlPeriod(expected: Double, got: Double)

    public var description: String {
        switch self {
        case .missingAgent:
            "agent configuration names no agent: give \"agent\" and \"task\" (a PCKit agent, e.g. {\"agent\": \"predictiveController\", \"task\": \"pendulum\"}) or \"type\" (a reference controller), or start pcctl serve with --agent"
        case let .unknownAgent(name, known):
            "unknown agent \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .unknownTask(task, known):
            "task \(task.map { "\"\($0)\"" } ?? "is missing"); known tasks: \(known.joined(separator: ", "))"
        case let .missingOptions(agent, task):
            "no \"\(agent)\" options given and task \(task) has no preset"
        case let .invalidOptions(reason):
            "invalid agent options: \(reason)"
        case let .observationDimension(expected, got):
            "observation space dimension: expected \(expected), got \(got)"
        case let .actionDimension(expected, got):
            "action space dimension: expected \(expected), got \(got)"
        case let .controlPeriod(expected, got):
            "control period: expected \(expected) s (the model's time step), got \(got) s"
        }
    }
}
