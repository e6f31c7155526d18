import PCEnvironment

/// A transition model that also gives its local linearisation, A = ∂f/∂x and B = ∂f/∂u.
///
/// The predictive controller needs A and B to pass prediction errors backward through time
/// (<doc:PredictiveControl#Gradients>: ∂E/∂x_t ∋ −A_tᵀΠ_x ε_{t+1}, ∂E/∂u_t ∋ −B_tᵀΠ_x ε_{t+1}). Models with
/// analytic derivatives conform directly; any ``TransitionModel`` gains central differences by
/// ``FiniteDifferenceLinearization``.
public protocol LinearizableModel: TransitionModel {
    /// Writes A = ∂f/∂x and B = ∂f/∂u at (x, u), row-major.
    /// - Parameters:
    ///   - state: x, (stateDimension).
    ///   - action: u, (actionDimension).
    ///   - stateJacobian: receives A, (stateDimension × stateDimension), A[i·n + j] = ∂fᵢ/∂xⱼ.
    ///   - actionJacobian: receives B, (stateDimension × actionDimension), B[i·m + j] = ∂fᵢ/∂uⱼ.
    func linearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                   stateJacobian: UnsafeMutableBufferPointer<Double>,
                   actionJacobian: UnsafeMutableBufferPointer<Double>)

    /// x′ = f(x, u) together with A and B at (x, u), in one call. The default runs ``transition`` and
    /// ``linearize``; a model that shares work between them (a network's forward pass) overrides it.
    /// - Parameters: as ``transition(state:action:next:)`` and ``linearize(state:action:stateJacobian:actionJacobian:)``.
    func transitionAndLinearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                next: UnsafeMutableBufferPointer<Double>,
                                stateJacobian: UnsafeMutableBufferPointer<Double>,
                                actionJacobian: UnsafeMutableBufferPointer<Double>)

    /// Doubles per step that ``transitionRecording(state:action:next:tape:)`` writes for
    /// ``pullback(state:action:tape:cotangent:stateCotangent:actionCotangent:)``. 0 (the default):
    /// the model has no adjoint of its own, and the predictive controller's shooting mode forms A
    /// and B with ``transitionAndLinearize(state:action:next:stateJacobian:actionJacobian:)``
    /// instead. A positive count makes shooting use the adjoint (vector–Jacobian products, never A
    /// and B), which costs a network about half of forming its Jacobians.
    var adjointTapeCount: Int { get }

    /// x′ = f(x, u), also writing what ``pullback(state:action:tape:cotangent:stateCotangent:actionCotangent:)``
    /// needs at (x, u) into `tape`. The default runs ``transition(state:action:next:)`` and records nothing.
    /// - Parameters:
    ///   - state: x, (stateDimension); action: u, (actionDimension); next: receives x′, (stateDimension).
    ///   - tape: receives the record, (``adjointTapeCount``) values.
    func transitionRecording(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                             next: UnsafeMutableBufferPointer<Double>, tape: UnsafeMutablePointer<Double>)

    /// The vector–Jacobian products Aᵀξ and Bᵀξ at (x, u), from the tape that
    /// ``transitionRecording(state:action:next:tape:)`` wrote there. The default forms A and B with
    /// ``linearize(state:action:stateJacobian:actionJacobian:)`` (on the stack) and multiplies.
    /// - Parameters:
    ///   - state: x, (stateDimension); action: u, (actionDimension).
    ///   - tape: the record of the same (x, u), (``adjointTapeCount``) values.
    ///   - cotangent: ξ, (stateDimension).
    ///   - stateCotangent: receives Aᵀξ, (stateDimension).
    ///   - actionCotangent: receives Bᵀξ, (actionDimension).
    func pullback(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, tape: UnsafePointer<Double>,
                  cotangent: UnsafePointer<Double>, stateCotangent: UnsafeMutablePointer<Double>,
                  actionCotangent: UnsafeMutablePointer<Double>)

    /// x′ = f(x, u) for `count` pairs at once (the sampled proposal's rollouts advance every sample
    /// a step together). Each x′ must agree with ``transition(state:action:next:)``'s to rounding;
    /// the default calls it per pair, a learned model evaluates the batch in a vectorised kernel.
    /// - Parameters:
    ///   - states: the x, (count × stateDimension), one row per pair.
    ///   - actions: the u, (count × actionDimension).
    ///   - next: receives the x′, (count × stateDimension); may not alias `states`.
    ///   - count: the number of pairs, ≥ 0.
    func transitionBatch(states: UnsafePointer<Double>, actions: UnsafePointer<Double>,
                         next: UnsafeMutablePointer<Double>, count: Int)
}

extension LinearizableModel {
    public func transitionAndLinearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                       next: UnsafeMutableBufferPointer<Double>,
                                       stateJacobian: UnsafeMutableBufferPointer<Double>,
                                       actionJacobian: UnsafeMutableBufferPointer<Double>) {
        transition(state: state, action: action, next: next)
        linearize(state: state, action: action, stateJacobian: stateJacobian, actionJacobian: actionJacobian)
    }

    public var adjointTapeCount: Int { 0 }

    public func transitionBatch(states: UnsafePointer<Double>, actions: UnsafePointer<Double>,
                                next: UnsafeMutablePointer<Double>, count: Int) {
        let n = stateDimension, m = actionDimension
        for s in 0..<count {
            transition(state: UnsafeBufferPointer(start: states + s * n, count: n),
                       action: UnsafeBufferPointer(start: actions + s * m, count: m),
                       next: UnsafeMutableBufferPointer(start: next + s * n, count: n))
        }
    }

    public func transitionRecording(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                    next: UnsafeMutableBufferPointer<Double>, tape: UnsafeMutablePointer<Double>) {
        transition(state: state, action: action, next: next)
    }

    public func pullback(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, tape: UnsafePointer<Double>,
                         cotangent: UnsafePointer<Double>, stateCotangent: UnsafeMutablePointer<Double>,
                         actionCotangent: UnsafeMutablePointer<Double>) {
        let n = stateDimension, m = actionDimension
        withUnsafeTemporaryAllocation(of: Double.self, capacity: n * n + n * m) { jacobians in
            let a = UnsafeMutableBufferPointer(rebasing: jacobians[0..<(n * n)])
            let b = UnsafeMutableBufferPointer(rebasing: jacobians[(n * n)...])
            linearize(state: state, action: action, stateJacobian: a, actionJacobian: b)
            for i in 0..<n {
                var s = 0.0
                for k in 0..<n { s += a[k * n + i] * cotangent[k] }
                stateCotangent[i] = s
            }
            for j in 0..<m {
                var s = 0.0
                for k in 0..<n { s += b[k * m + j] * cotangent[k] }
                actionCotangent[j] = s
            }
        }
    }
}

/// Central-difference linearisation of any transition model.
///
/// ∂fᵢ/∂xⱼ ≈ (fᵢ(x + h eⱼ, u) − fᵢ(x − h eⱼ, u)) / 2h with h = `relativeStep`·max(1, |xⱼ|), and the
/// same for u: 2(n + m) model calls. At a kink of f (action or velocity clipping) this returns the
/// average of the one-sided slopes. Scratch lives on the stack: no heap allocation.
public struct FiniteDifferenceLinearization<Base: TransitionModel>: LinearizableModel {
    /// The wrapped model.
    public let base: Base
    /// Relative difference step h (default 1e-6: ~1e-9 relative accuracy for smooth f of order one).
    public let relativeStep: Double

    public init(_ base: Base, relativeStep: Double = 1e-6) {
        precondition(relativeStep > 0, "FiniteDifferenceLinearization: relativeStep must be > 0")
        self.base = base
        self.relativeStep = relativeStep
    }

    public var stateDimension: Int { base.stateDimension }
    public var actionDimension: Int { base.actionDimension }
    public var timeStep: Double { base.timeStep }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        base.transition(state: state, action: action, next: next)
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        base.reward(state: state, action: action, next: next)
    }

    public func linearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                          stateJacobian: UnsafeMutableBufferPointer<Double>,
                          actionJacobian: UnsafeMutableBufferPointer<Double>) {
        let n = stateDimension, m = actionDimension
        // One stack block: perturbed x (n), perturbed u (m), f(+h) (n), f(−h) (n).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * n + m) { scratch in
            let x = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            let u = UnsafeMutableBufferPointer(rebasing: scratch[n..<(n + m)])
            let plus = UnsafeMutableBufferPointer(rebasing: scratch[(n + m)..<(2 * n + m)])
            let minus = UnsafeMutableBufferPointer(rebasing: scratch[(2 * n + m)..<(3 * n + m)])
            for i in 0..<n { x[i] = state[i] }
            for j in 0..<m { u[j] = action[j] }
            let xr = UnsafeBufferPointer(x), ur = UnsafeBufferPointer(u)
            // Columns of A.
            for j in 0..<n {
                let h = relativeStep * max(1, abs(state[j]))
                x[j] = state[j] + h
                base.transition(state: xr, action: ur, next: plus)
                x[j] = state[j] - h
                base.transition(state: xr, action: ur, next: minus)
                x[j] = state[j]
                for i in 0..<n { stateJacobian[i * n + j] = (plus[i] - minus[i]) / (2 * h) }
            }
            // Columns of B.
            for j in 0..<m {
                let h = relativeStep * max(1, abs(action[j]))
                u[j] = action[j] + h
                base.transition(state: xr, action: ur, next: plus)
                u[j] = action[j] - h
                base.transition(state: xr, action: ur, next: minus)
                u[j] = action[j]
                for i in 0..<n { actionJacobian[i * m + j] = (plus[i] - minus[i]) / (2 * h) }
            }
        }
    }
}
