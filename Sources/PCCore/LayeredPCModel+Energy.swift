import PCNumerics

// Energy of a layered model: rates, predictions μ_ℓ, errors ε_ℓ and F (PCCore article EnergyAndInference, sections Energy and Feedforward start).
// Nothing here allocates once the workspace exists.

extension LayeredPCModel {
    /// Refreshes r_ℓ = φ_ℓ(x_ℓ) and φ′_ℓ(x_ℓ), 0 ≤ ℓ < L.
    func refreshRates(_ l: Int, _ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        let activation = rateActivation(l)
        try state.activities[l].apply(activation, into: &workspace.engine.rates[l])
        try state.activities[l].applyDerivative(activation, into: &workspace.engine.derivatives[l])
    }

    /// Refreshes μ_ℓ from r_{ℓ−1} and x₀, 1 ≤ ℓ ≤ L (r_{ℓ−1} must be current).
    func refreshPrediction(_ l: Int, _ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        try predict(l, rate: workspace.engine.rates[l - 1], input: state.activities[0], into: &state.predictions[l],
                    scratch: &workspace.engine.scratch)
    }

    /// Refreshes every rate and prediction from the current activities.
    func refreshAll(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        for l in 1...depth {
            try refreshRates(l - 1, state, &workspace)
            try refreshPrediction(l, &state, &workspace)
        }
    }

    /// The feedforward initialisation (<doc:EnergyAndInference#Feedforward-start>): x_ℓ = μ_ℓ for the hidden layers ℓ = 1…L−1; x₀ and the
    /// clamped output x_L keep their values. Leaves every rate and prediction current.
    /// - Parameter state: x₀ (B × n₀) and the target x_L (B × n_L) set.
    public func feedforward(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>) throws {
        try checkFit(state, workspace)
        let L = depth
        for l in 1...L {
            try refreshRates(l - 1, state, &workspace)
            try refreshPrediction(l, &state, &workspace)
            if l < L { try state.activities[l].assign(state.predictions[l]) }
        }
    }

    /// Computes ε_ℓ (and Π_ℓ ε_ℓ where Π_ℓ ≠ I) for ℓ = 1…L from the current predictions and
    /// returns F_B = (1/B) Σ_i F_i.
    func computeErrors(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws -> Double {
        // Layers 1…L in order, the cross-entropy output term (when there is one) last.
        let crossEntropy = outputEnergy == .crossEntropy
        var total = 0.0
        for l in Swift.stride(from: 1, through: crossEntropy ? depth - 1 : depth, by: 1) { total += layerErrors(l, &state, &workspace) }
        if crossEntropy { total += try crossEntropyErrors(&state, &workspace) }
        return total / Double(state.batchSize)
    }

    /// ε_ℓ = x_ℓ − μ_ℓ (and Π_ℓ ε_ℓ) of one Gaussian layer against its current prediction; returns
    /// Σ_i [½ ε_iℓᵀ Π_ℓ ε_iℓ + ½ Σ_j s_ℓj (learned only)].
    func layerErrors(_ l: Int, _ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) -> Double {
        writeGaussianErrors(activities: state.activities[l], predictions: state.predictions[l], precision: precision(l),
                            errors: &state.errors[l], weighted: &workspace.weightedErrors[l])
    }

    /// Π_ℓ ε_ℓ of layer ℓ as computed last (the errors themselves where Π_ℓ = I or the output is
    /// cross-entropy).
    func weightedError(_ l: Int, _ state: PCState<Scalar>, _ workspace: LayeredWorkspace<Self>) -> Matrix<Scalar> {
        precision(l) == nil || (l == depth && outputEnergy == .crossEntropy) ? state.errors[l] : workspace.weightedErrors[l]
    }

    /// ε_L = y − softmax(μ_L); returns −Σ_i yᵢᵀ log softmax(μ_i).
    func crossEntropyErrors(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws -> Double {
        let L = depth
        return try crossEntropyOutputErrors(targets: state.activities[L], predictions: state.predictions[L],
                                            softmax: &workspace.engine.softmax, errors: &state.errors[L])
    }

    /// The batch-mean free energy F_B of `state` with every activity as given (allocates a
    /// workspace; for tests and diagnostics).
    /// - Parameter state: x_ℓ (B × n_ℓ) each; predictions and errors are recomputed.
    /// - Returns: F_B = (1/B) Σ_i Σ_ℓ ½ ε_iℓᵀ Π_ℓ ε_iℓ (+ ½ Σ_j s_ℓj per learned precision; cross-entropy output: its CE term).
    public func freeEnergy(of state: inout PCState<Scalar>) throws -> Double {
        var workspace = try LayeredWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try refreshAll(&state, &workspace)
        return try computeErrors(&state, &workspace)
    }

    func checkFit(_ state: PCState<Scalar>, _ workspace: LayeredWorkspace<Self>) throws {
        let sizes = self.sizes
        // An index loop: zip(…).allSatisfy allocates in unoptimised builds.
        var fits = state.activities.count == sizes.count
        if fits { for l in sizes.indices where state.activities[l].columns != sizes[l] { fits = false } }
        guard fits else {
            throw PCCoreError.invalidOption(name: "state", reason: "state sizes \(state.activities.map(\.columns)) do not match the model \(sizes)")
        }
        guard state.batchSize == workspace.batchSize, workspace.sizes == sizes else {
            throw PCCoreError.invalidOption(name: "workspace", reason: "workspace sized for \(workspace.sizes) × \(workspace.batchSize), state is \(sizes) × \(state.batchSize)")
        }
        try state.checkShapes(against: workspace)
    }
}
