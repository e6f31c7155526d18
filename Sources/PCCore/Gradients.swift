import PCNumerics

/// Gradients of the batch-mean free energy F_B with respect to the parameters, one entry per layer
/// ℓ = 1…L at index ℓ − 1 (<doc:LearningRules#Inference-learning>, <doc:LearningRules#Learned-precisions>).
///
/// ∂F_B/∂W_ℓ = −(1/B) Σ_i (Π_ℓ ε_iℓ) φ(x_i,ℓ−1)ᵀ, ∂F_B/∂b_ℓ = −(1/B) Σ_i Π_ℓ ε_iℓ,
/// ∂F_B/∂s_ℓj = (1/B) Σ_i ½ (1 − ε_iℓj² e^{−s_ℓj}).
public struct ParameterGradients<Scalar: PCScalar>: Sendable {
    /// ∂F_B/∂W_ℓ, (n_ℓ × n_{ℓ−1}).
    public var weights: [Matrix<Scalar>]
    /// ∂F_B/∂b_ℓ, (n_ℓ), or `nil` for a layer without bias.
    public var biases: [Vector<Scalar>?]
    /// ∂F_B/∂s_ℓ, (n_ℓ), or `nil` for a layer whose precision is not learned; indexed by layer
    /// ℓ − 1 (for a layered model with pooling layers there are more entries than weight groups).
    public var logVariances: [Vector<Scalar>?]

    /// Zero gradients shaped like `network`'s parameters.
    public init(for network: PCNetwork<Scalar>) throws {
        weights = try network.layers.map { try Matrix(rows: $0.outputSize, columns: $0.inputSize) }
        biases = try network.layers.map { $0.bias == nil ? nil : try Vector(count: $0.outputSize) }
        logVariances = try network.layers.map { $0.precision.isLearned ? try Vector(count: $0.outputSize) : nil }
    }

    /// Multiplies every gradient by `factor`.
    public mutating func scale(by factor: Scalar) {
        for i in weights.indices {
            weights[i].scale(by: factor)
            biases[i]?.scale(by: factor)
        }
        for i in logVariances.indices { logVariances[i]?.scale(by: factor) }
    }

    /// Sets every gradient to zero.
    public mutating func zero() {
        for i in weights.indices {
            weights[i].fill(0)
            biases[i]?.fill(0)
        }
        for i in logVariances.indices { logVariances[i]?.fill(0) }
    }

    /// All gradients flattened in index order (weights, bias, log-variance per index); allocates.
    public var flattened: [Scalar] {
        var out: [Scalar] = []
        for i in 0..<max(weights.count, logVariances.count) {
            if i < weights.count {
                out += weights[i].elements
                if let b = biases[i] { out += b.elements }
            }
            if i < logVariances.count, let s = logVariances[i] { out += s.elements }
        }
        return out
    }
}

extension PCNetwork {
    /// Writes ∂F_B/∂θ_ℓ for layer ℓ (1…L) at the current errors and rates into `gradients`,
    /// multiplied by `scale` (1 for the plain gradient).
    func parameterGradient(_ l: Int, _ state: PCState<Scalar>, _ workspace: InferenceWorkspace<Scalar>,
                           into gradients: inout ParameterGradients<Scalar>, scale: Scalar = 1) throws {
        let e = weightedError(l, state, workspace)
        let alpha = -scale / Scalar(state.batchSize)
        try Matrix.multiply(e, transposeA: true, workspace.engine.rates[l - 1], alpha: alpha, beta: 0,
                            into: &gradients.weights[l - 1])
        if gradients.biases[l - 1] != nil {
            try e.sumColumns(alpha: alpha, into: &gradients.biases[l - 1]!)
        }
        let precision = layers[l - 1].precision
        guard l - 1 < gradients.logVariances.count, (gradients.logVariances[l - 1]?.count ?? precision.count) == precision.count,
              (gradients.logVariances[l - 1] == nil) == !precision.isLearned else {
            throw PCCoreError.shapeMismatch(what: "log-variance gradient of layer \(l)", expected: Shape(precision.isLearned ? precision.count : 0, 1),
                                            got: Shape(l - 1 < gradients.logVariances.count ? gradients.logVariances[l - 1]?.count ?? 0 : 0, 1))
        }
        if gradients.logVariances[l - 1] != nil {
            writeLogVarianceGradient(errors: state.errors[l], precision: precision, scale: scale, into: &gradients.logVariances[l - 1]!)
        }
    }

    /// Writes ∂F_B/∂θ of every layer (<doc:LearningRules#Inference-learning>) at the current errors into `gradients`.
    /// - Parameters:
    ///   - state: a state whose errors are current (e.g. after ``settle(_:workspace:clamps:options:)``).
    ///   - workspace: the workspace of that settle (its rates are current).
    ///   - gradients: receives the gradients, scaled by `scale`.
    public func parameterGradients(_ state: PCState<Scalar>, workspace: InferenceWorkspace<Scalar>,
                                   into gradients: inout ParameterGradients<Scalar>, scale: Scalar = 1) throws {
        try checkFit(state, workspace)
        for l in 1...depth { try parameterGradient(l, state, workspace, into: &gradients, scale: scale) }
    }

    /// ∂F_B/∂θ computed from scratch at `state` (allocates; for tests).
    public func parameterGradients(of state: inout PCState<Scalar>, input: InputClamp = .clamped) throws -> ParameterGradients<Scalar> {
        var workspace = try InferenceWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace, input: input)
        var gradients = try ParameterGradients(for: self)
        try parameterGradients(state, workspace: workspace, into: &gradients)
        return gradients
    }
}
