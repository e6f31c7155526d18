extension PredictiveController {
    /// Writes the perceived state x₀ (the belief the plan starts from) without allocating, for
    /// telemetry in hot loops; ``belief`` is the allocating convenience.
    /// - Parameter beliefs: receives x₀, at least (stateDimension) values.
    public func writeBelief(into beliefs: UnsafeMutableBufferPointer<Double>) {
        let n = model.stateDimension
        precondition(beliefs.count >= n, "PredictiveController.writeBelief: buffer holds \(beliefs.count) values, expected \(n)")
        for i in 0..<n { beliefs[i] = workspace.x[i] }
    }
}

extension PredictiveController {
    /// Values ``writePlan(states:controls:)`` writes: (horizon + 1)·stateDimension states and
    /// horizon·actionDimension controls.
    public var planDimensions: (states: Int, controls: Int) {
        ((options.horizon + 1) * model.stateDimension, options.horizon * model.actionDimension)
    }

    /// Writes the plan behind the last action without allocating, for recordings and telemetry.
    ///
    /// After a step that planned, `states` receives x₀…x_H of that plan and `controls` receives
    /// u₀…u_{H−1}, with u₀ the executed (clipped) action; ``act(into:)`` has already shifted the
    /// warm start, and this undoes the shift. With `replanInterval` k > 1, a step that held its
    /// action writes the remaining warm start the same way.
    /// - Parameters:
    ///   - states: receives (horizon + 1)·stateDimension values, time-major.
    ///   - controls: receives horizon·actionDimension values, time-major.
    public func writePlan(states: UnsafeMutableBufferPointer<Double>, controls: UnsafeMutableBufferPointer<Double>) {
        let (s, c) = planDimensions, m = model.actionDimension
        precondition(states.count >= s && controls.count >= c,
                     "PredictiveController.writePlan: buffers hold \(states.count) and \(controls.count) values, expected \(s) and \(c)")
        for i in 0..<s { states[i] = workspace.x[i] }
        for j in 0..<m { controls[j] = heldAction[j] }
        for k in m..<c { controls[k] = workspace.u[k - m] }
    }
}
