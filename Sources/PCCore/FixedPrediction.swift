import PCNumerics

extension PCNetwork {
    /// FPA (<doc:LearningRules#Fixed-prediction-assumption>): the parameter gradients of one batch under the fixed-prediction assumption.
    ///
    /// Predictions μ̂_ℓ and Jacobians Ĵ_ℓ stay at their feedforward values; the output error is fixed
    /// at ε_L = −∂L/∂ŷ (y − ŷ, or y − softmax(ŷ) for cross-entropy). Each of `iterations` sweeps
    /// updates, from the previous iterate (Jacobi), x_ℓ ← x_ℓ − η(ε_ℓ − Ĵ_{ℓ+1}ᵀ ε_{ℓ+1}) for
    /// ℓ = 1…L−1, i.e. ε_ℓ ← ε_ℓ − η(ε_ℓ − φ′(x̂_ℓ) ⊙ (ε_{ℓ+1} W_{ℓ+1})). Gradients:
    /// ∂/∂W_ℓ = −(1/B) ε_ℓᵀ φ(x̂_{ℓ−1}). With η = 1, layer ℓ is exact L − ℓ sweeps in, so
    /// `iterations` ≥ L − 1 gives exactly backprop.
    ///
    /// - Parameters:
    ///   - state: x₀ and the target x_L set.
    ///   - iterations: n sweeps (Torch2PC's default n = L).
    ///   - stepSize: η (default 1).
    /// - Returns: the batch-mean loss at the feedforward state.
    /// - Throws: ``PCCoreError/unsupported(_:)`` unless every precision is the identity.
    public func fixedPredictionGradients(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                                         into gradients: inout ParameterGradients<Scalar>,
                                         iterations: Int, stepSize: Double = 1) throws -> Double {
        guard layers.allSatisfy({ $0.precision.isIdentity }) else {
            throw PCCoreError.unsupported("FPA is defined here for unit precisions")
        }
        let L = depth
        try feedforward(&state, workspace: &workspace)
        let loss = try computeErrors(&state, &workspace, input: .clamped)
        let eta = Scalar(stepSize)
        for _ in 0..<iterations {
            // Bottom-up, so ε_{ℓ+1} is still the previous iterate when ε_ℓ is updated.
            for l in Swift.stride(from: 1, to: L, by: 1) {
                try feedback(l, state, &workspace)
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
        for l in 1...L { try parameterGradient(l, state, workspace, into: &gradients) }
        return loss
    }
}
