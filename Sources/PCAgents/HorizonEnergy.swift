import PCEnvironment

/// The free energy of the predictive controller and its gradients (<doc:PredictiveControl#Horizon-energy>, <doc:PredictiveControl#Gradients>).
///
/// With x₀ clamped to the perceived state, latents x_{1:H} and u_{0:H−1}:
/// ```text
/// E = Σ_{t=0}^{H−1} ½‖x_{t+1} − f(x_t,u_t)‖²_{Π_x} + Σ_{t=1}^{H} ½‖o* − g(x_t)‖²_{Π_g,t} + Σ_{t=0}^{H−1} ½‖u_t − ū‖²_{Π_u}
/// ∂E/∂x_t = Π_x ε_t − A_tᵀ Π_x ε_{t+1} − C_tᵀ Π_g,t e_t    (1 ≤ t ≤ H; no A-term at t = H; C_t = ∂g/∂x)
/// ∂E/∂u_t = −B_tᵀ Π_x ε_{t+1} + Π_u (u_t − ū)
/// ```
/// Every term is a local, precision-weighted prediction error: a temporal PC network.
/// All precisions are diagonal. The curvatures dx, du are the diagonals of the Gauss–Newton
/// Hessian, used to precondition the gradient steps:
/// ```text
/// dx_t = Π_x + [t<H] diag(A_tᵀ Π_x A_t) + diag(Cᵀ Π_g,t C),   du_t = diag(B_tᵀ Π_x B_t) + Π_u
/// ```
extension HorizonWorkspace {
    /// Rolls f out from x₀ under `controls`, writing x₁…x_H into `states` (x₀ is read from `states`).
    func rollout<Model: TransitionModel>(_ model: Model, controls: UnsafeMutablePointer<Double>,
                                         states: UnsafeMutablePointer<Double>) {
        for t in 0..<horizon {
            model.transition(state: UnsafeBufferPointer(start: states + t * n, count: n),
                             action: UnsafeBufferPointer(start: controls + t * m, count: m),
                             next: UnsafeMutableBufferPointer(start: states + (t + 1) * n, count: n))
        }
    }

    /// ½‖o* − g(x)‖²_{Π_g,t} for the state at `state`.
    @inline(__always)
    func goalEnergy(_ state: UnsafePointer<Double>, step t: Int, outcomeMap: OutcomeMap) -> Double {
        outcomeMap.apply(state, into: outcome, wrapped: wrapped)
        var s = 0.0
        for i in 0..<p {
            let e = goal[i] - outcome[i]
            s += goalPrecision[t * p + i] * e * e
        }
        return 0.5 * s
    }

    /// ½‖u_t − ū‖²_{Π_u} for control t of `controls`.
    @inline(__always)
    func controlEnergy(_ controls: UnsafePointer<Double>, step t: Int) -> Double {
        var s = 0.0
        for j in 0..<m {
            let d = controls[t * m + j] - controlPrior[j]
            s += controlPrecision[j] * d * d
        }
        return 0.5 * s
    }

    /// The energy of the trajectory that `controls` produce under hard dynamics (Π_x → ∞, every ε = 0):
    /// Σ goal energies of x₁…x_H plus Σ control energies. Uses `rolloutA`/`rolloutB` only.
    func shootingEnergy<Model: TransitionModel>(_ model: Model, controls: UnsafeMutablePointer<Double>,
                                                outcomeMap: OutcomeMap) -> Double {
        var current = rolloutA, following = rolloutB
        for i in 0..<n { current[i] = x[i] }
        var total = 0.0
        for t in 0..<horizon {
            model.transition(state: UnsafeBufferPointer(start: current, count: n),
                             action: UnsafeBufferPointer(start: controls + t * m, count: m),
                             next: UnsafeMutableBufferPointer(start: following, count: n))
            total += controlEnergy(controls, step: t) + goalEnergy(following, step: t + 1, outcomeMap: outcomeMap)
            swap(&current, &following)
        }
        return total
    }

    /// ``shootingEnergy(_:controls:outcomeMap:)`` for controls whose rollout `states` already holds
    /// (x₀…x_H, e.g. after ``rollout(_:controls:states:)``): the same terms summed in the same order,
    /// so the same value bit for bit, without running f again.
    func trajectoryEnergy(controls: UnsafeMutablePointer<Double>, states: UnsafeMutablePointer<Double>,
                          outcomeMap: OutcomeMap) -> Double {
        var total = 0.0
        for t in 0..<horizon {
            total += controlEnergy(controls, step: t) + goalEnergy(states + (t + 1) * n, step: t + 1, outcomeMap: outcomeMap)
        }
        return total
    }

    /// Evaluates E at the current (x, u), filling ε and e; with `gradients`, also fills A, B,
    /// ∇x, ∇u and the curvatures dx, du.
    /// - Returns: E (non-finite if the trajectory blew up).
    func evaluate<Model: LinearizableModel>(_ model: Model, outcomeMap: OutcomeMap, gradients: Bool) -> Double {
        var energy = 0.0
        // Dynamics errors ε_{t+1} and (optionally) the linearisation at (x_t, u_t).
        for t in 0..<horizon {
            let xt = UnsafeBufferPointer(start: x + t * n, count: n)
            let ut = UnsafeBufferPointer(start: u + t * m, count: m)
            model.transition(state: xt, action: ut, next: UnsafeMutableBufferPointer(start: next, count: n))
            for i in 0..<n {
                let e = x[(t + 1) * n + i] - next[i]
                eps[(t + 1) * n + i] = e
                energy += 0.5 * modelPrecision[i] * e * e
            }
            energy += controlEnergy(u, step: t)
            if gradients {
                model.linearize(state: xt, action: ut,
                                stateJacobian: UnsafeMutableBufferPointer(start: stateJacobians + t * n * n, count: n * n),
                                actionJacobian: UnsafeMutableBufferPointer(start: controlJacobians + t * n * m, count: n * m))
            }
        }
        // Goal errors e_t = o* − g(x_t) (and C_t = ∂g/∂x at x_t).
        for t in 1...horizon {
            outcomeMap.apply(x + t * n, into: outcome, wrapped: wrapped)
            if gradients { outcomeMap.jacobian(x + t * n, into: outcomeJacobians + t * p * n) }
            for i in 0..<p {
                let e = goal[i] - outcome[i]
                goalError[t * p + i] = e
                energy += 0.5 * goalPrecision[t * p + i] * e * e
            }
        }
        if gradients { accumulateGradients() }
        return energy
    }

    /// ∇x, ∇u, dx, du from the errors and Jacobians of the last ``evaluate(_:outcomeMap:gradients:)``.
    private func accumulateGradients() {
        for t in 1...horizon {
            let c = outcomeJacobians + t * p * n
            let gx = stateGradient + t * n, dx = stateCurvature + t * n
            for i in 0..<n {
                // Π_x ε_t
                var g = modelPrecision[i] * eps[t * n + i]
                var d = modelPrecision[i]
                // − A_tᵀ Π_x ε_{t+1}
                if t < horizon {
                    let a = stateJacobians + t * n * n
                    for k in 0..<n {
                        let aki = a[k * n + i]
                        g -= aki * modelPrecision[k] * eps[(t + 1) * n + k]
                        d += aki * aki * modelPrecision[k]
                    }
                }
                // − Cᵀ Π_g,t e_t
                for k in 0..<p {
                    let cki = c[k * n + i]
                    let pg = goalPrecision[t * p + k]
                    g -= cki * pg * goalError[t * p + k]
                    d += cki * cki * pg
                }
                gx[i] = g
                dx[i] = d
            }
        }
        for t in 0..<horizon {
            let b = controlJacobians + t * n * m
            for j in 0..<m {
                // − B_tᵀ Π_x ε_{t+1} + Π_u (u_t − ū)
                var g = controlPrecision[j] * (u[t * m + j] - controlPrior[j])
                var d = controlPrecision[j]
                for k in 0..<n {
                    let bkj = b[k * m + j]
                    g -= bkj * modelPrecision[k] * eps[(t + 1) * n + k]
                    d += bkj * bkj * modelPrecision[k]
                }
                controlGradient[t * m + j] = g
                controlCurvature[t * m + j] = d
            }
        }
    }
}
