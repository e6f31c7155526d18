/// The environment contract: Gymnasium's `reset`/`step` in Swift types.
///
/// An environment owns its state and its random generator. `reset(seed:)` starts an episode
/// (reseeding when a seed is given, continuing the stream otherwise, as Gymnasium does);
/// `step(_:observation:)` advances one control period. The episode ends when the task says so
/// (`terminated`: a terminal state of the MDP) or when something outside the task cuts it
/// short (`truncated`: a time limit). Bootstrapping learners treat the two differently.
///
/// The hot path is ``step(_:observation:)``: it writes the observation into a caller-owned
/// array of the right size and returns a small ``Transition``, so a control loop allocates
/// nothing. ``step(_:)`` is the allocating convenience that returns a ``StepResult``.
///
/// ```swift
/// var env = Pendulum()
/// var observation = env.reset(seed: 0)
/// let result = try env.step([0.5], observation: &observation)
/// ```
public protocol Environment {
    /// Bounds of the observations, (observationDimension).
    var observationSpace: BoxSpace { get }
    /// Bounds of the actions, (actionDimension). How out-of-bounds actions are treated
    /// (clipped or rejected) is stated on each environment's doc card.
    var actionSpace: BoxSpace { get }

    /// Starts a new episode and returns its first observation, (observationDimension).
    /// - Parameter seed: reseeds the environment's generator; `nil` continues its stream.
    mutating func reset(seed: UInt64?) -> [Double]

    /// Advances one step.
    /// - Parameters:
    ///   - action: the action, (actionDimension).
    ///   - observation: receives the next observation; must hold observationDimension values.
    /// - Returns: reward and the end-of-episode flags.
    /// - Throws: ``EnvironmentError`` for a wrong-length or non-finite action, a wrong-length
    ///   observation buffer, or a step without a reset; the state is then left unchanged.
    mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition

    /// Diagnostic values of the last step or reset (Gymnasium's `info`), never needed to act.
    var info: [String: Double] { get }
}

extension Environment {
    /// Dimension of the observations.
    public var observationDimension: Int { observationSpace.dimension }
    /// Dimension of the actions.
    public var actionDimension: Int { actionSpace.dimension }
    /// Default: no diagnostics.
    public var info: [String: Double] { [:] }

    /// Advances one step and returns everything Gymnasium's `step` returns (allocates).
    public mutating func step(_ action: [Double]) throws -> StepResult {
        var observation = [Double](repeating: 0, count: observationDimension)
        let transition = try step(action, observation: &observation)
        return StepResult(observation: observation, reward: transition.reward,
                          terminated: transition.terminated, truncated: transition.truncated, info: info)
    }

    /// Checks an action's length and finiteness before it touches any state.
    /// - Throws: ``EnvironmentError/actionShape(expected:got:)`` or ``EnvironmentError/nonFiniteAction(index:value:)``.
    public func validate(action: [Double], observation: [Double]) throws {
        guard action.count == actionDimension else {
            throw EnvironmentError.actionShape(expected: actionDimension, got: action.count)
        }
        guard observation.count == observationDimension else {
            throw EnvironmentError.observationBufferShape(expected: observationDimension, got: observation.count)
        }
        // An index loop: `enumerated()` allocates in unoptimised builds.
        var i = 0
        while i < action.count {
            if !action[i].isFinite { throw EnvironmentError.nonFiniteAction(index: i, value: action[i]) }
            i += 1
        }
    }
}

/// What one step returns on the hot path.
public struct Transition: Sendable, Equatable {
    /// The reward for this step.
    public var reward: Double
    /// The task reached a terminal state (success or failure).
    public var terminated: Bool
    /// The episode was cut short from outside the task (a time limit).
    public var truncated: Bool

    public init(reward: Double, terminated: Bool = false, truncated: Bool = false) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }

    /// True when the episode is over for either reason.
    public var done: Bool { terminated || truncated }
}

/// Everything Gymnasium's `step` returns.
public struct StepResult: Sendable, Equatable {
    /// The next observation, (observationDimension).
    public var observation: [Double]
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
    public var info: [String: Double]
}
