/// The horizon energy at a given trajectory, with its gradients (allocating; for tests and tools).
public struct HorizonEvaluation: Sendable, Equatable {
    /// E, the free energy of <doc:PredictiveControl#Horizon-energy> at the trajectory.
    public var energy: Double
    /// ∂E/∂x_t for t = 1…H, (H·stateDimension).
    public var stateGradient: [Double]
    /// ∂E/∂u_t for t = 0…H−1, (H·actionDimension).
    public var controlGradient: [Double]
}

extension PredictiveController {
    /// Evaluates E and ∇E at a trajectory without changing the plan.
    /// - Parameters:
    ///   - initialState: x₀, (stateDimension).
    ///   - states: x₁…x_H, (H·stateDimension).
    ///   - controls: u₀…u_{H−1}, (H·actionDimension); used as given (not clipped).
    public func evaluateEnergy(initialState: [Double], states: [Double], controls: [Double]) -> HorizonEvaluation {
        let n = model.stateDimension, m = model.actionDimension, h = options.horizon
        precondition(initialState.count == n && states.count == h * n && controls.count == h * m,
                     "evaluateEnergy: expected \(n), \(h * n) and \(h * m) values")
        let w = workspace.copy()
        for i in 0..<n { w.x[i] = initialState[i] }
        for i in 0..<(h * n) { w.x[n + i] = states[i] }
        for i in 0..<(h * m) { w.u[i] = controls[i] }
        let energy = w.evaluate(model, outcomeMap: options.outcome, gradients: true)
        return HorizonEvaluation(
            energy: energy,
            stateGradient: Array(UnsafeBufferPointer(start: w.stateGradient + n, count: h * n)),
            controlGradient: Array(UnsafeBufferPointer(start: w.controlGradient, count: h * m)))
    }
}

extension PredictiveController {
    /// Evaluates the hard-dynamics energy (Π_x → ∞) of a control sequence from x₀ and its gradient
    /// ∂E/∂u from the equilibrium errors of ``HorizonWorkspace/evaluateShooting(_:outcomeMap:gradients:)``.
    /// - Parameters:
    ///   - initialState: x₀, (stateDimension).
    ///   - controls: u₀…u_{H−1}, (H·actionDimension).
    /// - Returns: E and ∂E/∂u (the state gradient is empty: the states are the rollout).
    public func evaluateShootingEnergy(initialState: [Double], controls: [Double]) -> HorizonEvaluation {
        let n = model.stateDimension, m = model.actionDimension, h = options.horizon
        precondition(initialState.count == n && controls.count == h * m,
                     "evaluateShootingEnergy: expected \(n) and \(h * m) values")
        let w = workspace.copy()
        for i in 0..<n { w.x[i] = initialState[i] }
        for i in 0..<(h * m) { w.u[i] = controls[i] }
        let energy = w.evaluateShooting(model, outcomeMap: options.outcome, gradients: true)
        return HorizonEvaluation(energy: energy, stateGradient: [],
                                 controlGradient: Array(UnsafeBufferPointer(start: w.controlGradient, count: h * m)))
    }
}
