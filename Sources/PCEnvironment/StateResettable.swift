/// An environment that can start an episode from a given physical state, e.g. one of the
/// Gymnasium initial states agents are scored on (PCSims article Tasks, section Scoring protocol).
public protocol StateResettable: Environment {
    /// Starts an episode from `state` (the environment's physical state, in its documented order).
    /// - Returns: the first observation, (observationDimension).
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for a state of the wrong length or
    ///   with invalid values; the environment is then unchanged.
    mutating func reset(state: [Double]) throws -> [Double]
}

extension TimeLimit: StateResettable where Base: StateResettable {
    public mutating func reset(state: [Double]) throws -> [Double] {
        let observation = try base.reset(state: state)
        elapsedSteps = 0
        return observation
    }
}

extension OrderEnforcing: StateResettable where Base: StateResettable {
    public mutating func reset(state: [Double]) throws -> [Double] {
        let observation = try base.reset(state: state)
        isReady = true
        return observation
    }
}

extension ActionDelay: StateResettable where Base: StateResettable {
    public mutating func reset(state: [Double]) throws -> [Double] {
        let observation = try base.reset(state: state)
        fillQueue()
        return observation
    }
}
