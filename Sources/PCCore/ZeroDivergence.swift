import PCNumerics

extension PCNetwork {
    /// Z-IL (<doc:LearningRules#Zero-divergence-inference-learning>): the parameter gradients of one batch by zero-divergence inference.
    ///
    /// C1: feedforward start, so only ε_L ≠ 0. C2: at inference step t = 0…L−1 the gradient of
    /// layer L − t is taken from the current snapshot, −(1/B) ε_{L−t}(t) φ(x_{L−t−1}(t))ᵀ, and the
    /// value nodes then move with the old weights. C3: value-node step γ = 1. Errors travel one
    /// layer per step, so ε_{L−t}(t) is the backprop delta and each gradient equals backprop's.
    /// All gradients are collected and applied by one optimiser step afterwards, which for SGD is
    /// the same as updating W_{L−t} at step t (no later gradient reads an updated weight).
    ///
    /// - Parameters:
    ///   - state: x₀ and the target x_L set; (B × n_ℓ) each.
    ///   - gradients: receives ∂/∂θ of the batch-mean loss.
    /// - Returns: the batch-mean loss at the feedforward state (F_B at t = 0).
    /// - Throws: ``PCCoreError/unsupported(_:)`` unless every precision is the identity.
    public func zeroDivergenceGradients(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                                        into gradients: inout ParameterGradients<Scalar>) throws -> Double {
        guard layers.allSatisfy({ $0.precision.isIdentity }) else {
            throw PCCoreError.unsupported("Z-IL equals backprop only with unit precisions")
        }
        let L = depth
        try feedforward(&state, workspace: &workspace)
        var loss = 0.0
        for t in 0..<L {
            let energy = try computeErrors(&state, &workspace, input: .clamped)
            if t == 0 { loss = energy }
            try parameterGradient(L - t, state, workspace, into: &gradients)
            if t == L - 1 { break }
            try activityGradients(state, &workspace, clamps: .supervised)
            try unitStepOnHiddenLayers(&state, &workspace)
        }
        return loss
    }
}
