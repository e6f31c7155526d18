/// What an agent returns for one observation: the action and how it was reached.
public struct Decision: Sendable, Equatable {
    /// The action to apply, (actionDimension).
    public var action: [Double]
    /// Free energy, iterations, convergence, warnings and compute time of this step.
    public var diagnostics: StepDiagnostics

    public init(action: [Double], diagnostics: StepDiagnostics) {
        self.action = action
        self.diagnostics = diagnostics
    }
}

/// Diagnostics of one agent step. A plain value with no heap storage, so recording it allocates nothing.
public struct StepDiagnostics: Sendable, Equatable, Codable {
    /// The free energy (or expected free energy, for sensing agents) the step ended at, in nats
    /// up to the agent's constant.
    public var freeEnergy: Double
    /// Inference iterations (or candidate evaluations) spent in this step.
    public var iterations: Int
    /// Whether the step's inference met its stopping rule before its iteration budget.
    public var converged: Bool
    /// Numerical trouble and bad input met in this step, each recovered from.
    public var warnings: AgentWarnings
    /// Wall time of perceive + plan + act, in seconds (set by ``Agent/step(_:action:)``).
    public var computeTime: Double

    public init(freeEnergy: Double = 0, iterations: Int = 0, converged: Bool = true,
                warnings: AgentWarnings = [], computeTime: Double = 0) {
        self.freeEnergy = freeEnergy
        self.iterations = iterations
        self.converged = converged
        self.warnings = warnings
        self.computeTime = computeTime
    }
}

/// Trouble an agent met and recovered from within one step (a bit set: no allocation).
public struct AgentWarnings: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The observation had the wrong length or a NaN/infinite value; the safe action was emitted.
    public static let invalidObservation = AgentWarnings(rawValue: 1 << 0)
    /// The free energy became non-finite during inference; the step was undone, the step size cut
    /// and the iterate reverted to the best one.
    public static let divergence = AgentWarnings(rawValue: 1 << 1)
    /// Inference used its whole iteration budget without meeting the stopping rule.
    public static let notConverged = AgentWarnings(rawValue: 1 << 2)
    /// The warm start was discarded (non-finite values) and the plan restarted from the prior.
    public static let warmStartReset = AgentWarnings(rawValue: 1 << 3)
    /// The refined plan scored worse than its proposal under the true rollout and was replaced by it.
    public static let refinementRejected = AgentWarnings(rawValue: 1 << 4)
    /// Planning reached its ``AnytimeAgent/planningDeadline`` and stopped early; the agent acted on
    /// the best plan found so far.
    public static let deadlineExceeded = AgentWarnings(rawValue: 1 << 5)

    /// Every warning with its name, in bit order.
    public static let named: [(AgentWarnings, String)] = [
        (.invalidObservation, "invalidObservation"), (.divergence, "divergence"),
        (.notConverged, "notConverged"), (.warmStartReset, "warmStartReset"),
        (.refinementRejected, "refinementRejected"), (.deadlineExceeded, "deadlineExceeded"),
    ]

    public var description: String {
        "[" + Self.named.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
