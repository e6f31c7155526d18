/// Gradient inference on the horizon energy E (<doc:PredictiveControl#Inference>): the PC "settle" of the controller.
///
/// Each iteration takes a preconditioned gradient step on every latent,
/// ```text
/// x_t ← x_t − η_x s ∇x_t / dx_t   (1 ≤ t ≤ H),     u_t ← clip(u_t − η_u s ∇u_t / du_t, u_min, u_max),
/// ```
/// where dx, du are the Gauss–Newton diagonals (precision-normalised steps; d = 1 when
/// preconditioning is off) and s ∈ (0, 1] is a safeguard scale (a backtracking line search): if E
/// rises, the step is undone and s halves, so E never rises; s doubles back toward 1 after each
/// accepted step. A non-finite trial energy is recorded as ``AgentWarnings/divergence``.
/// Stopping rule: max |∇/d| < tolerance (converged) or the iteration budget is spent, or the deadline
/// (monotonic seconds, read once per iteration) has passed: ``AgentWarnings/deadlineExceeded``, and
/// the iterate is the best one so far, since E never rises.
struct InferenceOutcome {
    var energy: Double
    var iterations: Int
    var converged: Bool
    var warnings: AgentWarnings
    /// Shooting with `scoreStart`: the starting controls' hard-dynamics energy as
    /// ``HorizonWorkspace/shootingEnergy(_:controls:outcomeMap:)`` sums it; NaN otherwise.
    var startEnergy = Double.nan
}

extension HorizonWorkspace {
    func infer<Model: LinearizableModel>(
        _ model: Model, outcomeMap: OutcomeMap, iterations: Int, stateStepSize: Double,
        controlStepSize: Double, tolerance: Double, preconditioned: Bool, deadline: Double?
    ) -> InferenceOutcome {
        var warnings: AgentWarnings = []
        var energy = evaluate(model, outcomeMap: outcomeMap, gradients: true)
        guard energy.isFinite else {
            return InferenceOutcome(energy: energy, iterations: 0, converged: false, warnings: [.divergence])
        }
        var scale = 1.0
        var performed = 0
        var converged = false
        let stateCount = (horizon + 1) * n, controlCount = horizon * m
        while performed < iterations {
            // Stopping rule on the preconditioned step length.
            var largest = 0.0
            for i in n..<stateCount {
                largest = max(largest, abs(stateGradient[i] / (preconditioned ? stateCurvature[i] : 1)))
            }
            for i in 0..<controlCount {
                largest = max(largest, abs(controlGradient[i] / (preconditioned ? controlCurvature[i] : 1)))
            }
            if largest < tolerance { converged = true; break }
            if let deadline, monotonicSeconds() >= deadline { warnings.insert(.deadlineExceeded); break }
            performed += 1

            // Step, keeping the current iterate to undo a bad one.
            savedStates.update(from: x, count: stateCount)
            savedControls.update(from: u, count: controlCount)
            let etaX = stateStepSize * scale, etaU = controlStepSize * scale
            for i in n..<stateCount {
                x[i] -= etaX * stateGradient[i] / (preconditioned ? stateCurvature[i] : 1)
            }
            for t in 0..<horizon {
                for j in 0..<m {
                    let i = t * m + j
                    u[i] -= etaU * controlGradient[i] / (preconditioned ? controlCurvature[i] : 1)
                }
                clipControls(u, step: t)
            }
            let trial = evaluate(model, outcomeMap: outcomeMap, gradients: true)
            // Accept within rounding of E (near the fixed point E changes by ulps).
            if trial.isFinite && trial <= energy + 1e-14 * abs(energy) {
                energy = trial
                // Let the scale recover after a successful step.
                scale = min(1, 2 * scale)
            } else {
                // Safeguard: undo, halve the scale, restore the gradients at the kept iterate.
                if !trial.isFinite { warnings.insert(.divergence) }
                x.update(from: savedStates, count: stateCount)
                u.update(from: savedControls, count: controlCount)
                scale *= 0.5
                energy = evaluate(model, outcomeMap: outcomeMap, gradients: true)
                if scale < 1e-8 { break }
            }
        }
        if !converged { warnings.insert(.notConverged) }
        return InferenceOutcome(energy: energy, iterations: performed, converged: converged, warnings: warnings)
    }
}
