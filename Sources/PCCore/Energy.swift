import PCNumerics

// Energy: predictions μ_ℓ, errors ε_ℓ and the free energy F (PCCore article EnergyAndInference, section Energy).
// Every function here writes into the state and the workspace and allocates nothing.

extension PCNetwork {
    /// Refreshes φ_ℓ(x_ℓ) and φ′_ℓ(x_ℓ) in the workspace, for 0 ≤ ℓ < L.
    func refreshRates(_ l: Int, _ state: PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) throws {
        let activation = layers[l].inputActivation
        try state.activities[l].apply(activation, into: &workspace.engine.rates[l])
        try state.activities[l].applyDerivative(activation, into: &workspace.engine.derivatives[l])
    }

    /// Refreshes μ_ℓ = φ(x_{ℓ−1}) W_ℓᵀ + b_ℓ, for 1 ≤ ℓ ≤ L (the rates of ℓ − 1 must be current).
    func refreshPrediction(_ l: Int, _ state: inout PCState<Scalar>, _ workspace: InferenceWorkspace<Scalar>) throws {
        let layer = layers[l - 1]
        try Matrix.linear(workspace.engine.rates[l - 1], layer.weight, transposeB: true, bias: layer.bias,
                          activation: .identity, into: &state.predictions[l])
    }

    /// Refreshes every rate and prediction from the current activities.
    func refreshAll(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) throws {
        for l in 1...depth {
            try refreshRates(l - 1, state, &workspace)
            try refreshPrediction(l, &state, workspace)
        }
    }

    /// The feedforward initialisation (<doc:EnergyAndInference#Feedforward-start>): x_ℓ = μ_ℓ(x_{ℓ−1}) for the hidden layers, and for the
    /// free entries of the output; the input and clamped output entries keep their values.
    /// Leaves every rate and prediction current.
    /// - Parameters:
    ///   - state: x₀ (and a clamped x_L) set; (B × n_ℓ) each.
    ///   - clamps: which output entries are free.
    public func feedforward(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                            clamps: Clamps<Scalar> = .supervised) throws {
        try checkFit(state, workspace)
        let L = depth
        for l in 1...L {
            try refreshRates(l - 1, state, &workspace)
            try refreshPrediction(l, &state, workspace)
            if l < L {
                try state.activities[l].assign(state.predictions[l])
            }
        }
        switch clamps.output {
        case .clamped: break
        case .free:
            guard outputEnergy == .squaredError else { throw PCCoreError.unsupported("a free output needs a squared-error output energy") }
            try state.activities[L].assign(state.predictions[L])
        case .masked(let mask):
            guard outputEnergy == .squaredError else { throw PCCoreError.unsupported("a masked output needs a squared-error output energy") }
            guard mask.shape == state.activities[L].shape else {
                throw PCCoreError.shapeMismatch(what: "output mask", expected: state.activities[L].shape, got: mask.shape)
            }
            let n = mask.count
            mask.withUnsafeStorage { m, _ in
                state.predictions[L].withUnsafeStorage { mu, _ in
                    state.activities[L].withUnsafeMutableStorage { x, _ in
                        for i in 0..<n where m[i] == 0 { x[i] = mu[i] }
                    }
                }
            }
        }
    }

    /// Computes ε_ℓ (and Π_ℓ ε_ℓ where Π_ℓ ≠ I) for ℓ = 1…L from the current predictions and
    /// returns the batch-mean free energy F_B = (1/B) Σ_i F_i.
    func computeErrors(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>,
                       input: InputClamp) throws -> Double {
        // Layers 1…L in order, the cross-entropy output term (when there is one) last.
        let crossEntropy = outputEnergy == .crossEntropy
        var total = 0.0
        for l in Swift.stride(from: 1, through: crossEntropy ? depth - 1 : depth, by: 1) { total += gaussianErrors(l, &state, &workspace) }
        if crossEntropy { total += try crossEntropyErrors(&state, &workspace) }
        if case .free(let lambda) = input, lambda > 0 {
            total += 0.5 * lambda * squaredNorm(state.activities[0])
        }
        return total / Double(state.batchSize)
    }

    /// ε_ℓ = x_ℓ − μ_ℓ; returns Σ_i [½ Σ_j π_j ε_ij² + ½ Σ_j s_j (learned only)].
    func gaussianErrors(_ l: Int, _ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) -> Double {
        writeGaussianErrors(activities: state.activities[l], predictions: state.predictions[l], precision: layers[l - 1].precision,
                            errors: &state.errors[l], weighted: &workspace.weightedErrors[l])
    }

    /// ε_L = y − softmax(μ_L); returns Σ_i Σ_j y_ij (logsumexp(μ_i) − μ_ij) = −Σ_i yᵢᵀ log softmax(μ_i).
    func crossEntropyErrors(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) throws -> Double {
        let L = depth
        return try crossEntropyOutputErrors(targets: state.activities[L], predictions: state.predictions[L],
                                            softmax: &workspace.engine.softmax, errors: &state.errors[L])
    }

    /// The error Π_ℓ ε_ℓ of layer ℓ as computed last (the errors themselves where Π_ℓ = I or the
    /// output is cross-entropy).
    func weightedError(_ l: Int, _ state: PCState<Scalar>, _ workspace: InferenceWorkspace<Scalar>) -> Matrix<Scalar> {
        layers[l - 1].precision.isIdentity || (l == depth && outputEnergy == .crossEntropy)
            ? state.errors[l] : workspace.weightedErrors[l]
    }

    /// The batch-mean free energy F_B of `state` (<doc:EnergyAndInference#Energy>), computed from scratch
    /// (allocates a workspace; for tests and diagnostics, not for hot loops).
    /// - Parameters:
    ///   - state: the activities x_ℓ, (B × n_ℓ) each; predictions and errors are recomputed.
    ///   - input: the input's role (a free input adds its prior ½λ‖x₀‖²).
    /// - Returns: F_B = (1/B) Σ_i Σ_ℓ [½ ε_iℓᵀ Π_ℓ ε_iℓ + ½ Σ_j s_ℓj (learned)] (+ prior).
    public func freeEnergy(of state: inout PCState<Scalar>, input: InputClamp = .clamped) throws -> Double {
        var workspace = try InferenceWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try refreshAll(&state, &workspace)
        return try computeErrors(&state, &workspace, input: input)
    }

    func checkFit(_ state: PCState<Scalar>, _ workspace: InferenceWorkspace<Scalar>) throws {
        guard state.activities.count == depth + 1, matchesSizes(of: state.activities) else {
            throw PCCoreError.invalidOption(name: "state", reason: "state sizes \(state.activities.map(\.columns)) do not match the network \(sizes)")
        }
        guard state.batchSize == workspace.batchSize, matchesSizes(workspace.sizes) else {
            throw PCCoreError.invalidOption(name: "workspace", reason: "workspace sized for \(workspace.sizes) × \(workspace.batchSize), state is \(sizes) × \(state.batchSize)")
        }
        try state.checkShapes(against: workspace)
    }
}

extension PCNetwork {
    /// Whether the per-layer matrices have the columns n₀…n_L (without allocating).
    func matchesSizes(of matrices: [Matrix<Scalar>]) -> Bool {
        guard matrices.count == depth + 1, matrices[0].columns == layers[0].inputSize else { return false }
        for l in 1...depth where matrices[l].columns != layers[l - 1].outputSize { return false }
        return true
    }

    /// Whether `sizes` are n₀…n_L (without allocating).
    func matchesSizes(_ sizes: [Int]) -> Bool {
        guard sizes.count == depth + 1, sizes[0] == layers[0].inputSize else { return false }
        for l in 1...depth where sizes[l] != layers[l - 1].outputSize { return false }
        return true
    }
}

/// e = x − μ into `e` and returns Σ e². Eight partial sums let the compiler vectorise the
/// reduction (a single accumulator forces a serial chain of additions).
@inline(__always)
func subtractAndSumSquares<Scalar: PCScalar>(_ x: UnsafePointer<Scalar>, _ mu: UnsafePointer<Scalar>,
                                             _ e: UnsafeMutablePointer<Scalar>, _ n: Int) -> Scalar {
    var s0: Scalar = 0, s1: Scalar = 0, s2: Scalar = 0, s3: Scalar = 0
    var s4: Scalar = 0, s5: Scalar = 0, s6: Scalar = 0, s7: Scalar = 0
    var i = 0
    while i + 8 <= n {
        let e0 = x[i] - mu[i], e1 = x[i + 1] - mu[i + 1], e2 = x[i + 2] - mu[i + 2], e3 = x[i + 3] - mu[i + 3]
        let e4 = x[i + 4] - mu[i + 4], e5 = x[i + 5] - mu[i + 5], e6 = x[i + 6] - mu[i + 6], e7 = x[i + 7] - mu[i + 7]
        e[i] = e0; e[i + 1] = e1; e[i + 2] = e2; e[i + 3] = e3
        e[i + 4] = e4; e[i + 5] = e5; e[i + 6] = e6; e[i + 7] = e7
        s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3
        s4 += e4 * e4; s5 += e5 * e5; s6 += e6 * e6; s7 += e7 * e7
        i += 8
    }
    while i < n { let d = x[i] - mu[i]; e[i] = d; s0 += d * d; i += 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

/// Σ of squares of a matrix's elements, accumulated in Double.
func squaredNorm<Scalar: PCScalar>(_ m: Matrix<Scalar>) -> Double {
    m.withUnsafeStorage { p, _ in
        var s = 0.0
        for i in 0..<m.count { s += Double(p[i]) * Double(p[i]) }
        return s
    }
}
