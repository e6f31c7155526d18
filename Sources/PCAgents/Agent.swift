/// An active-inference agent: perceive an observation, plan, act.
///
/// The three stages are separate calls, so a caller can inspect the belief after ``perceive(_:)``
/// or replace the plan; ``step(_:action:)`` runs all three and is the allocation-free hot path,
/// ``step(_:)`` the allocating convenience that returns a ``Decision``.
///
/// Every random draw comes from a seeded generator the agent owns: ``reset(seed:)`` reseeds it and
/// clears the belief and the warm start, so the same seed gives the same actions.
///
/// ```swift
/// var agent = try PredictiveController(model: model, options: .pendulumSwingUp)
/// agent.reset(seed: 0)
/// var action = [Double](repeating: 0, count: agent.actionDimension)
/// let diagnostics = agent.step(observation, action: &action)
/// ```
public protocol Agent {
    /// Number of values an observation must hold.
    var observationDimension: Int { get }
    /// Number of values an action holds.
    var actionDimension: Int { get }

    /// Starts an episode: clears the belief and the warm start and reseeds the agent's generator.
    mutating func reset(seed: UInt64)

    /// Updates the belief from an observation, (observationDimension).
    ///
    /// A wrong-length or non-finite observation is not a crash: it is recorded as
    /// ``AgentWarnings/invalidObservation`` and the next ``act(into:)`` emits the safe action.
    mutating func perceive(_ observation: [Double])

    /// Updates the plan from the current belief (the expensive stage).
    mutating func plan()

    /// Writes the action, (actionDimension), and returns the diagnostics of this step.
    mutating func act(into action: inout [Double]) -> StepDiagnostics
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An agent whose planning can stop at a deadline and still act on its best plan so far.
///
/// Set ``planningDeadline`` before each ``Agent/plan()`` (e.g. `monotonicSeconds() + 0.004` for a
/// 4 ms budget); a step that stops early reports ``AgentWarnings/deadlineExceeded``.
public protocol AnytimeAgent: Agent {
    /// The monotonic time (seconds, the clock of `monotonicSeconds()`) by which `plan()` must return; nil: no deadline (default).
    var planningDeadline: Double? { get set }
}

/// The time of the monotonic clock (`CLOCK_MONOTONIC`), in seconds since an unspecified start.
///
/// It never jumps with wall-clock changes, so differences of it measure compute time and sums with
/// it make deadlines (``AnytimeAgent/planningDeadline``). Reading it allocates nothing.
@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + 1e-9 * Double(ts.tv_nsec)
}

extension Agent {
    /// Perceive, plan and act in one call; allocates nothing once the agent is warm.
    /// - Parameters:
    ///   - observation: the observation, (observationDimension).
    ///   - action: receives the action; must hold actionDimension values.
    /// - Returns: the step's diagnostics, with ``StepDiagnostics/computeTime`` covering all three stages.
    public mutating func step(_ observation: [Double], action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == actionDimension,
                     "Agent.step: action buffer holds \(action.count) values, expected \(actionDimension)")
        let start = monotonicSeconds()
        perceive(observation)
        plan()
        var diagnostics = act(into: &action)
        diagnostics.computeTime = monotonicSeconds() - start
        return diagnostics
    }

    /// Perceive, plan and act, returning a fresh ``Decision`` (allocates the action array).
    public mutating func step(_ observation: [Double]) -> Decision {
        var action = [Double](repeating: 0, count: actionDimension)
        let diagnostics = step(observation, action: &action)
        return Decision(action: action, diagnostics: diagnostics)
    }
}
