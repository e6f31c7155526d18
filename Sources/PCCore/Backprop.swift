import PCNumerics

extension PCNetwork {
    /// The backprop reference on the same network (for equivalence tests and comparison).
    ///
    /// Forward: h_ℓ = φ(h_{ℓ−1}) W_ℓᵀ + b_ℓ, ŷ = h_L. Loss per sample: ½‖ŷ − y‖² (squared-error
    /// output) or −yᵀ log softmax(ŷ) (cross-entropy output). Backward: δ_L = ŷ − y (or softmax(ŷ) − y),
    /// δ_ℓ = φ′(h_ℓ) ⊙ (δ_{ℓ+1} W_{ℓ+1}); ∂L_B/∂W_ℓ = (1/B) δ_ℓᵀ φ(h_{ℓ−1}), ∂L_B/∂b_ℓ = (1/B) Σ_i δ_iℓ.
    ///
    /// - Parameters:
    ///   - state: x₀ = input and x_L = target y set; on return the hidden activities hold h_ℓ.
    ///   - gradients: receives the batch-mean loss gradients.
    /// - Returns: the batch-mean loss L_B.
    public func backpropGradients(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                                  into gradients: inout ParameterGradients<Scalar>) throws -> Double {
        let L = depth
        let B = state.batchSize
        try feedforward(&state, workspace: &workspace)
        // Output delta and loss.
        let n = state.activities[L].count
        let columns = layers[L - 1].outputSize
        var loss = 0.0
        if outputEnergy == .crossEntropy {
            try state.predictions[L].softmaxRows(into: &workspace.engine.softmax)
            let p = workspace.engine.softmax, y = state.activities[L], mu = state.predictions[L]
            p.withUnsafeStorage { pp, _ in
                y.withUnsafeStorage { py, _ in
                    mu.withUnsafeStorage { pm, _ in
                        workspace.buffers.gradients[L].withUnsafeMutableStorage { pd, _ in
                            for i in 0..<n { pd[i] = pp[i] - py[i] }
                            for r in 0..<B {
                                let o = r * columns
                                var m = pm[o]
                                for j in 0..<columns where pm[o + j] > m { m = pm[o + j] }
                                var z = 0.0
                                for j in 0..<columns { z += pcExp(Double(pm[o + j] - m)) }
                                let lse = Double(m) + pcLog(z)
                                for j in 0..<columns { loss += Double(py[o + j]) * (lse - Double(pm[o + j])) }
                            }
                        }
                    }
                }
            }
        } else {
            try Matrix.elementwise(.subtract, state.predictions[L], state.activities[L], into: &workspace.buffers.gradients[L])
            loss = 0.5 * squaredNorm(workspace.buffers.gradients[L])
        }
        // Deltas down the chain.
        var l = L - 1
        while l >= 1 {
            try Matrix.multiply(workspace.buffers.gradients[l + 1], layers[l].weight, into: &workspace.buffers.feedback[l])
            try Matrix.elementwise(.multiply, workspace.engine.derivatives[l], workspace.buffers.feedback[l], into: &workspace.buffers.gradients[l])
            l -= 1
        }
        // Parameter gradients.
        let alpha = 1 / Scalar(B)
        for l in 1...L {
            try Matrix.multiply(workspace.buffers.gradients[l], transposeA: true, workspace.engine.rates[l - 1], alpha: alpha, beta: 0,
                                into: &gradients.weights[l - 1])
            if gradients.biases[l - 1] != nil {
                try workspace.buffers.gradients[l].sumColumns(alpha: alpha, into: &gradients.biases[l - 1]!)
            }
        }
        return loss / Double(B)
    }

    /// The feedforward output ŷ = h_L for `input` (B × n₀); allocates (use ``feedforward(_:workspace:clamps:)``
    /// in loops).
    /// - Returns: (B × n_L) — the linear output μ_L (apply softmax for probabilities with a cross-entropy output).
    public func predict<M: MatrixOperand>(_ input: M) throws -> Matrix<Scalar> where M.Scalar == Scalar {
        var state = try PCState(for: self, batchSize: input.rows)
        var workspace = try InferenceWorkspace(for: self, batchSize: input.rows, traceCapacity: 0)
        try state.setInput(input)
        try feedforward(&state, workspace: &workspace)
        return state.predictions[depth]
    }
}
