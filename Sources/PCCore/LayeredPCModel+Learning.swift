import PCNumerics

// Parameter gradients of a layered model: IL at the settled state, Z-IL and the
// backprop reference. Nothing here allocates once the workspace and gradients exist.

extension LayeredPCModel {
    /// Writes ∂F_B/∂θ = −(1/B) Σ_ℓ Σ_i (∂μ_iℓ/∂θ)ᵀ Π_ℓ ε_iℓ (<doc:LearningRules#Inference-learning>) at the current errors into
    /// `gradients`, multiplied by `scale`, and ∂F_B/∂s_ℓj = (1/B) Σ_i ½ (1 − ε_iℓj² e^{−s_ℓj}) of every
    /// learned precision (<doc:LearningRules#Learned-precisions>). Shared parameters (a recurrent network's) sum over layers.
    /// - Parameters:
    ///   - state: errors current (e.g. after ``settle(_:workspace:clamps:options:)``).
    ///   - workspace: the workspace of that settle (its rates are current).
    public func parameterGradients(_ state: PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                   into gradients: inout ParameterGradients<Scalar>, scale: Scalar = 1) throws {
        try checkFit(state, workspace)
        gradients.zero()
        for l in 1...depth {
            try parameterGradient(l, state, &workspace, into: &gradients, scale: scale)
            if let precision = precision(l), precision.isLearned {
                guard l - 1 < gradients.logVariances.count, gradients.logVariances[l - 1]?.count == precision.count else {
                    throw PCCoreError.shapeMismatch(what: "log-variance gradient of layer \(l)", expected: Shape(precision.count, 1),
                                                    got: Shape(l - 1 < gradients.logVariances.count ? gradients.logVariances[l - 1]?.count ?? 0 : 0, 1))
                }
                writeLogVarianceGradient(errors: state.errors[l], precision: precision, scale: scale, into: &gradients.logVariances[l - 1]!)
            }
        }
    }

    /// Adds layer ℓ's part −(scale/B) (∂μ_ℓ/∂θ)ᵀ Π_ℓ ε_ℓ to `gradients`.
    func parameterGradient(_ l: Int, _ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>,
                           into gradients: inout ParameterGradients<Scalar>, scale: Scalar = 1) throws {
        try accumulateParameterGradient(l, error: weightedError(l, state, workspace), rate: workspace.engine.rates[l - 1], input: state.activities[0],
                                        alpha: -scale / Scalar(state.batchSize), into: &gradients, scratch: &workspace.engine.scratch)
    }

    /// ∂F_B/∂θ computed from scratch at `state`, every activity as given (allocates; for tests).
    public func parameterGradients(of state: inout PCState<Scalar>) throws -> ParameterGradients<Scalar> {
        var workspace = try LayeredWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace)
        var gradients = try makeGradients()
        try parameterGradients(state, workspace: &workspace, into: &gradients)
        return gradients
    }

    /// Z-IL (<doc:LearningRules#Zero-divergence-inference-learning>; CNN and RNN: Salvatori, Song et al. 2021): the parameter gradients of
    /// one batch by zero-divergence inference.
    ///
    /// C1: feedforward start, so only ε_L ≠ 0. C2: at inference step t = 0…L−1 the gradient of layer
    /// L − t is taken from the current snapshot, −(1/B) (∂μ_{L−t}/∂θ)ᵀ ε_{L−t}(t), before the value
    /// nodes move (with the old weights). C3: value-node step γ = 1. Errors travel one layer per step,
    /// so ε_{L−t}(t) is the backprop delta −∂L/∂μ_{L−t} and each layer's contribution equals backprop's.
    /// Pooling layers carry the error down without a gradient of their own; a recurrent network's
    /// shared weights collect one contribution per time step, as backprop through time does. The
    /// gradients are applied by one optimiser step afterwards (for shared weights the per-step
    /// application of the paper would change predictions the later steps still read).
    ///
    /// - Parameters:
    ///   - state: x₀ (B × n₀) and the target x_L (B × n_L) set.
    ///   - gradients: receives ∂/∂θ of the batch-mean loss (½‖y − ŷ‖², or cross-entropy).
    /// - Returns: the batch-mean loss at the feedforward state (F_B at t = 0).
    /// - Throws: ``PCCoreError/unsupported(_:)`` unless every precision is the identity.
    public func zeroDivergenceGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                        into gradients: inout ParameterGradients<Scalar>) throws -> Double {
        try startUnitPrecisionPass("Z-IL (equal to backprop)", &state, &workspace, &gradients)
        let L = depth
        var loss = 0.0
        for t in 0..<L {
            let energy = try computeErrors(&state, &workspace)
            if t == 0 { loss = energy }
            try parameterGradient(L - t, state, &workspace, into: &gradients)
            if t == L - 1 { break }
            try activityGradients(state, &workspace, clamps: .supervised)
            try unitStepOnHiddenLayers(&state, &workspace)
        }
        return loss
    }

    /// The backprop reference on the same model.
    ///
    /// Forward: h_ℓ = μ_ℓ(φ(h_{ℓ−1}), x₀), ŷ = h_L. Loss per sample ½‖ŷ − y‖² (squared-error output) or
    /// −yᵀ log softmax(ŷ) (cross-entropy). Backward: δ_L = ŷ − y (or softmax(ŷ) − y),
    /// δ_ℓ = φ′(h_ℓ) ⊙ (∂μ_{ℓ+1}/∂r_ℓ)ᵀ δ_{ℓ+1}; ∂L_B/∂θ = (1/B) Σ_ℓ (∂μ_ℓ/∂θ)ᵀ δ_ℓ.
    ///
    /// - Parameters:
    ///   - state: x₀ and the target x_L set; on return the hidden activities hold h_ℓ.
    ///   - gradients: receives the batch-mean loss gradients.
    /// - Returns: the batch-mean loss L_B.
    /// - Throws: ``PCCoreError/unsupported(_:)`` unless every precision is the identity (the loss has none).
    public func backpropGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                  into gradients: inout ParameterGradients<Scalar>) throws -> Double {
        try startUnitPrecisionPass("the backprop reference", &state, &workspace, &gradients)
        let L = depth
        // ε_L = y − ŷ (or y − softmax(ŷ)), so δ_L = −ε_L; the loss is F_B at the feedforward state.
        let loss = try computeErrors(&state, &workspace)
        try workspace.buffers.gradients[L].assign(state.errors[L])
        workspace.buffers.gradients[L].scale(by: -1)
        // Deltas down the chain.
        var l = L - 1
        while l >= 1 {
            try feedback(l, error: workspace.buffers.gradients[l + 1], into: &workspace.buffers.feedback[l], scratch: &workspace.engine.scratch)
            try Matrix.elementwise(.multiply, workspace.engine.derivatives[l], workspace.buffers.feedback[l], into: &workspace.buffers.gradients[l])
            l -= 1
        }
        // Parameter gradients.
        let alpha = 1 / Scalar(state.batchSize)
        for l in 1...L {
            try accumulateParameterGradient(l, error: workspace.buffers.gradients[l], rate: workspace.engine.rates[l - 1], input: state.activities[0],
                                            alpha: alpha, into: &gradients, scratch: &workspace.engine.scratch)
        }
        return loss
    }

    /// FPA (<doc:LearningRules#Fixed-prediction-assumption>) on a layered model: predictions μ̂_ℓ,
    /// rates and Jacobians stay at their feedforward values; the output error is fixed at
    /// ε_L = −∂L/∂ŷ. Each of `iterations` sweeps updates, bottom-up from the previous iterate,
    /// ε_ℓ ← ε_ℓ − η(ε_ℓ − φ′(x̂_ℓ) ⊙ (∂μ_{ℓ+1}/∂r_ℓ)ᵀ ε_{ℓ+1}) for ℓ = 1…L−1; the gradients are then
    /// IL's at x_ℓ = μ̂_ℓ + ε_ℓ with the feedforward rates. With η = 1 and `iterations` ≥ L − 1 this
    /// is exactly backprop.
    /// - Parameters:
    ///   - state: x₀ and the target x_L set.
    ///   - iterations: n sweeps.
    ///   - stepSize: η (default 1).
    /// - Returns: the batch-mean loss at the feedforward state.
    /// - Throws: ``PCCoreError/unsupported(_:)`` unless every precision is the identity.
    public func fixedPredictionGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                         into gradients: inout ParameterGradients<Scalar>,
                                         iterations: Int, stepSize: Double = 1) throws -> Double {
        try startUnitPrecisionPass("FPA", &state, &workspace, &gradients)
        let L = depth
        let loss = try computeErrors(&state, &workspace)
        let eta = Scalar(stepSize)
        for _ in 0..<iterations {
            // Bottom-up, so ε_{ℓ+1} is still the previous iterate when ε_ℓ is updated.
            for l in Swift.stride(from: 1, to: L, by: 1) {
                try feedback(l, error: state.errors[l + 1], into: &workspace.buffers.feedback[l], scratch: &workspace.engine.scratch)
                let n = state.errors[l].count
                workspace.engine.derivatives[l].withUnsafeStorage { pd, _ in
                    workspace.buffers.feedback[l].withUnsafeStorage { pf, _ in
                        state.errors[l].withUnsafeMutableStorage { pe, _ in
                            for i in 0..<n { pe[i] -= eta * (pe[i] - pd[i] * pf[i]) }
                        }
                    }
                }
            }
        }
        // The activities that go with these errors: x_ℓ = μ̂_ℓ + ε_ℓ.
        for l in Swift.stride(from: 1, to: L, by: 1) {
            try Matrix.elementwise(.add, state.predictions[l], state.errors[l], into: &state.activities[l])
        }
        for l in 1...L { try parameterGradient(l, state, &workspace, into: &gradients) }
        return loss
    }

    /// The start of Z-IL, FPA and backprop: refuses precisions other than the identity (naming
    /// `rule`), runs the feedforward pass and zeroes `gradients`.
    private func startUnitPrecisionPass(_ rule: String, _ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>,
                                        _ gradients: inout ParameterGradients<Scalar>) throws {
        try requireUnitPrecisions(rule)
        try feedforward(&state, workspace: &workspace)
        gradients.zero()
    }
}
