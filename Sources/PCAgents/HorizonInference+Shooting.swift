import PCEnvironment

/// Gradient inference on E in the stiff-dynamics limit Π_x → ∞ (<doc:PredictiveControl#Collocation-and-shooting>).
///
/// The states are clamped to the rollout x_{t+1} = f(x_t, u_t), and the precision-weighted dynamics
/// errors ξ_t = Π_x ε_t take their equilibrium values, i.e. the values at which ∂E/∂x_t = 0:
/// ```text
/// ξ_H = Cᵀ Π_g,H e_H,     ξ_t = Cᵀ Π_g,t e_t + A_tᵀ ξ_{t+1}      (t = H−1 … 1)
/// ∂E/∂u_t = −B_tᵀ ξ_{t+1} + Π_u (u_t − ū)
/// ```
/// These are the same local prediction errors as in collocation, settled from the goal backward
/// (the PC-equals-backprop equilibrium); the control gradient is then the adjoint (BPTT) gradient of
/// the hard-dynamics energy. (The collocation curvature buffer du holds the kept gradient here.)
/// The control step u ← clip(u − η_u s ∇u) uses the safeguard scale s of
/// ``HorizonWorkspace/infer(_:outcomeMap:iterations:stateStepSize:controlStepSize:tolerance:preconditioned:deadline:)``,
/// and stops at the deadline the same way.
extension HorizonWorkspace {
    /// Rolls out x from x₀ under u, and returns the hard-dynamics energy; with `gradients`, fills
    /// ξ (in `eps`) and ∇u as well (``shootingForward(_:outcomeMap:gradients:)`` then
    /// ``shootingBackward(_:outcomeMap:)``).
    func evaluateShooting<Model: LinearizableModel>(_ model: Model, outcomeMap: OutcomeMap, gradients: Bool) -> Double {
        let energy = shootingForward(model, outcomeMap: outcomeMap, gradients: gradients)
        if gradients { shootingBackward(model, outcomeMap: outcomeMap) }
        return energy
    }

    /// The rollout, the goal errors and the energy. With `gradients`, also what the backward sweep
    /// needs: the model's adjoint tape when it has one, A and B otherwise.
    func shootingForward<Model: LinearizableModel>(_ model: Model, outcomeMap: OutcomeMap, gradients: Bool) -> Double {
        var energy = 0.0
        let adjoint = gradients && tapeCount > 0
        for t in 0..<horizon {
            let xt = UnsafeBufferPointer(start: x + t * n, count: n)
            let ut = UnsafeBufferPointer(start: u + t * m, count: m)
            let next = UnsafeMutableBufferPointer(start: x + (t + 1) * n, count: n)
            if adjoint {
                model.transitionRecording(state: xt, action: ut, next: next, tape: tape + t * tapeCount)
            } else if gradients {
                model.transitionAndLinearize(
                    state: xt, action: ut, next: next,
                    stateJacobian: UnsafeMutableBufferPointer(start: stateJacobians + t * n * n, count: n * n),
                    actionJacobian: UnsafeMutableBufferPointer(start: controlJacobians + t * n * m, count: n * m))
            } else {
                model.transition(state: xt, action: ut, next: next)
            }
            energy += controlEnergy(u, step: t)
        }
        for t in 1...horizon {
            outcomeMap.apply(x + t * n, into: outcome, wrapped: wrapped)
            for i in 0..<p {
                let e = goal[i] - outcome[i]
                goalError[t * p + i] = e
                energy += 0.5 * goalPrecision[t * p + i] * e * e
            }
        }
        return energy
    }

    /// The backward sweep after ``shootingForward(_:outcomeMap:gradients:)`` with gradients: the
    /// equilibrium errors ξ_t (in `eps`) and ∇u, through A and B, or through the model's pullbacks.
    func shootingBackward<Model: LinearizableModel>(_ model: Model, outcomeMap: OutcomeMap) {
        for t in 1...horizon { outcomeMap.jacobian(x + t * n, into: outcomeJacobians + t * p * n) }
        if tapeCount > 0 {
            shootingPullback(model)
            return
        }
        for t in stride(from: horizon, through: 1, by: -1) {
            let c = outcomeJacobians + t * p * n
            let xi = eps + t * n
            for i in 0..<n {
                var s = goalCotangent(c, step: t, coordinate: i)
                if t < horizon {
                    let a = stateJacobians + t * n * n
                    for k in 0..<n { s += a[k * n + i] * eps[(t + 1) * n + k] }
                }
                xi[i] = s
            }
        }
        for t in 0..<horizon {
            let b = controlJacobians + t * n * m
            for j in 0..<m {
                var g = controlPrecision[j] * (u[t * m + j] - controlPrior[j])
                for k in 0..<n { g -= b[k * m + j] * eps[(t + 1) * n + k] }
                controlGradient[t * m + j] = g
            }
        }
    }

    /// The same sweep by the model's pullbacks: (A_tᵀξ_{t+1}, B_tᵀξ_{t+1}) from the tape of step t,
    /// one vector–Jacobian product per step instead of forming A_t and B_t.
    private func shootingPullback<Model: LinearizableModel>(_ model: Model) {
        for t in stride(from: horizon, through: 1, by: -1) {
            let c = outcomeJacobians + t * p * n
            let xi = eps + t * n
            for i in 0..<n { xi[i] = goalCotangent(c, step: t, coordinate: i) }
            // ξ_{t+1} is final: pull it back through step t (for u_t; for x_t when t ≥ 1).
            pullback(model, step: t)
            if t < horizon { for i in 0..<n { xi[i] += stateCotangent[i] } }
        }
        pullback(model, step: 0)
    }

    /// (C_tᵀ Π_g,t e_t)_i, the goal's share of ξ_t, from C_t at `c`.
    @inline(__always)
    private func goalCotangent(_ c: UnsafeMutablePointer<Double>, step t: Int, coordinate i: Int) -> Double {
        var s = 0.0
        for k in 0..<p { s += c[k * n + i] * goalPrecision[t * p + k] * goalError[t * p + k] }
        return s
    }

    /// Pulls ξ_{t+1} back through step t (t < H): writes ∇u_t, and leaves A_tᵀξ_{t+1} in
    /// `stateCotangent` for ξ_t. At t = H nothing is pulled back.
    @inline(__always)
    private func pullback<Model: LinearizableModel>(_ model: Model, step t: Int) {
        guard t < horizon else { return }
        model.pullback(state: UnsafeBufferPointer(start: x + t * n, count: n),
                       action: UnsafeBufferPointer(start: u + t * m, count: m),
                       tape: tape + t * tapeCount, cotangent: eps + (t + 1) * n,
                       stateCotangent: stateCotangent, actionCotangent: actionCotangent)
        for j in 0..<m {
            controlGradient[t * m + j] = controlPrecision[j] * (u[t * m + j] - controlPrior[j]) - actionCotangent[j]
        }
    }

    /// Settles u; x is left on the rollout of the kept u (the states need no rollout beforehand:
    /// the first sweep rolls out from x₀).
    /// - Parameter scoreStart: also return the starting controls' ``shootingEnergy(_:controls:outcomeMap:)``
    ///   (`startEnergy`), summed on the first sweep's rollout instead of running f again.
    func inferShooting<Model: LinearizableModel>(
        _ model: Model, outcomeMap: OutcomeMap, iterations: Int, controlStepSize: Double, tolerance: Double,
        deadline: Double?, scoreStart: Bool = false
    ) -> InferenceOutcome {
        var warnings: AgentWarnings = []
        var energy = evaluateShooting(model, outcomeMap: outcomeMap, gradients: true)
        // transitionRecording gives transition's x′ bit for bit, so this is shootingEnergy's value.
        let startEnergy = scoreStart ? trajectoryEnergy(controls: u, states: x, outcomeMap: outcomeMap) : .nan
        guard energy.isFinite else {
            return InferenceOutcome(energy: energy, iterations: 0, converged: false, warnings: [.divergence],
                                    startEnergy: startEnergy)
        }
        let controlCount = horizon * m
        var scale = 1.0, performed = 0, converged = false
        // Whether x is the rollout of u (false after a rejected trial until the final rollout).
        var statesCurrent = true
        while performed < iterations {
            var largest = 0.0
            for i in 0..<controlCount { largest = max(largest, abs(controlGradient[i])) }
            if largest < tolerance { converged = true; break }
            if let deadline, monotonicSeconds() >= deadline { warnings.insert(.deadlineExceeded); break }
            performed += 1
            savedControls.update(from: u, count: controlCount)
            // Keep ∇u too: a rejected step then costs one evaluation, not two.
            controlCurvature.update(from: controlGradient, count: controlCount)
            let eta = controlStepSize * scale
            for t in 0..<horizon {
                for j in 0..<m { u[t * m + j] -= eta * controlGradient[t * m + j] }
                clipControls(u, step: t)
            }
            // The backward sweep only for a kept step: a rejected one restores the kept ∇u.
            let trial = shootingForward(model, outcomeMap: outcomeMap, gradients: true)
            if trial.isFinite && trial <= energy + 1e-14 * abs(energy) {
                shootingBackward(model, outcomeMap: outcomeMap)
                energy = trial
                scale = min(1, 2 * scale)
                statesCurrent = true
            } else {
                statesCurrent = false
                if !trial.isFinite { warnings.insert(.divergence) }
                u.update(from: savedControls, count: controlCount)
                controlGradient.update(from: controlCurvature, count: controlCount)
                scale *= 0.5
                if scale < 1e-8 { break }
            }
        }
        // Leave the states on the rollout of the kept controls (they are, unless the last trial was rejected).
        if !statesCurrent { rollout(model, controls: u, states: x) }
        if !converged { warnings.insert(.notConverged) }
        return InferenceOutcome(energy: energy, iterations: performed, converged: converged, warnings: warnings,
                                startEnergy: startEnergy)
    }
}
