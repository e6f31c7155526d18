/// Rejects a `step` before the first `reset` or after the episode has ended (Gymnasium's
/// `OrderEnforcing`, made stricter: stepping past `terminated`/`truncated` is also refused).
///
/// A refused step throws ``EnvironmentError/resetNeeded(_:)`` and leaves the environment unchanged.
public struct OrderEnforcing<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// Whether `reset` has been called since construction or since the episode ended.
    public internal(set) var isReady = false

    /// Wraps `base`; the first call must be `reset`.
    public init(_ base: Base) { self.base = base }

    public var observationSpace: BoxSpace { base.observationSpace }
    public var actionSpace: BoxSpace { base.actionSpace }
    public var info: [String: Double] { base.info }

    public mutating func reset(seed: UInt64?) -> [Double] {
        isReady = true
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        guard isReady else {
            throw EnvironmentError.resetNeeded("step called before reset or after the episode ended")
        }
        let transition = try base.step(action, observation: &observation)
        if transition.done { isReady = false }
        return transition
    }
}

extension OrderEnforcing: ModelBasedEnvironment where Base: ModelBasedEnvironment {
    public var model: Base.Model { base.model }
    public var state: [Double] { base.state }
}
