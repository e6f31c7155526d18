import PCNumerics

/// Motor babbling: random actions that explore an environment before there is a model to plan with.
///
/// Each action coordinate is drawn uniformly from [lower, upper] and held for `holdSteps` steps
/// (holding lets the body move far enough to visit more of the state space than white noise does).
/// Every draw comes from the seeded generator: the same seed gives the same actions.
public struct MotorBabbling: Sendable {
    /// Action bounds, (actionDimension).
    public let lower: [Double], upper: [Double]
    /// Steps each drawn action is held (default 1: a fresh draw every step).
    public let holdSteps: Int
    private var generator: Xoshiro256
    private var current: [Double]
    private var age: Int

    /// - Throws: ``AgentConfigurationError`` for mismatched or empty bounds or `holdSteps` < 1.
    public init(lower: [Double], upper: [Double], holdSteps: Int = 1, seed: UInt64) throws {
        try Validate.count(upper, lower.count, "upper")
        try Validate.atLeast(lower.count, 1, "lower.count")
        try Validate.atLeast(holdSteps, 1, "holdSteps")
        try Validate.finite(lower, "lower"); try Validate.finite(upper, "upper")
        for j in lower.indices where !(lower[j] < upper[j]) {
            throw AgentConfigurationError.invalidValue(field: "upper[\(j)]", value: "\(upper[j])", requirement: "must exceed lower[\(j)] = \(lower[j])")
        }
        self.lower = lower; self.upper = upper; self.holdSteps = holdSteps
        generator = Xoshiro256(seed: seed)
        current = lower
        age = holdSteps
    }

    /// Writes the next babbling action, (actionDimension).
    public mutating func action(into action: inout [Double]) {
        precondition(action.count == lower.count, "MotorBabbling.action: buffer holds \(action.count) values, expected \(lower.count)")
        if age >= holdSteps {
            for j in lower.indices { current[j] = generator.uniform(lower[j], upper[j]) }
            age = 0
        }
        age += 1
        for j in lower.indices { action[j] = current[j] }
    }
}
