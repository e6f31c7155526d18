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
