/// Ends an episode after a fixed number of steps by setting `truncated` (Gymnasium's `TimeLimit`).
///
/// Step k (counted from 1 after each reset) returns `truncated = true` when k ≥ `maxEpisodeSteps`,
/// whatever the wrapped environment says; `terminated` passes through unchanged.
///
/// ```swift
/// var env = TimeLimit(Pendulum(), maxEpisodeSteps: 200)
/// ```
public struct TimeLimit<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// Steps per episode before truncation (≥ 1).
    public let maxEpisodeSteps: Int
    /// Steps taken since the last reset.
    public internal(set) var elapsedSteps: Int = 0

    /// Wraps `base`.
    /// - Parameter maxEpisodeSteps: the episode length; must be positive.
    public init(_ base: Base, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "TimeLimit needs a positive maxEpisodeSteps, got \(maxEpisodeSteps)")
        self.base = base
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    public var observationSpace: BoxSpace { base.observationSpace }
    public var actionSpace: BoxSpace { base.actionSpace }
    public var info: [String: Double] { base.info }

    public mutating func reset(seed: UInt64?) -> [Double] {
        elapsedSteps = 0
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        var transition = try base.step(action, observation: &observation)
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps { transition.truncated = true }
        return transition
    }
}

extension TimeLimit: ModelBasedEnvironment where Base: ModelBasedEnvironment {
    public var model: Base.Model { base.model }
    public var state: [Double] { base.state }
}
