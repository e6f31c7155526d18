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

    /// The feedforward initialisation (<doc:EnergyAndInference#Feedforward-start>): x_ℓ = μ_ℓ for the hidden layers ℓ = 1…L−1
    /// and for the free entries of the output; x₀ and the clamped output entries keep their values.
    /// Leaves every rate and prediction current.
    /// - Parameters:
    ///   - state: x₀ (B × n₀) and a clamped target x_L (B × n_L) set.
    ///   - clamps: which output entries are free (a free or masked output needs a squared-error output energy).
    /// - Throws: ``PCCoreError`` for a mismatched state or workspace, or a clamp pattern the model cannot infer.
    public func feedforward(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                            clamps: Clamps<Scalar> = .supervised) throws {
        try checkFit(state, workspace)
        try validate(clamps, state)
        try runFeedforward(&state, &workspace, clamps: clamps)
    }

    /// ``feedforward(_:workspace:clamps:)`` for a state, workspace and clamps already checked.
    func runFeedforward(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>) throws {
        let L = depth
        for l in 1...L {
            try refreshRates(l - 1, state, &workspace)
            try refreshPrediction(l, &state, &workspace)
            if l < L { try state.activities[l].assign(state.predictions[l]) }
        }
        switch clamps.output {
        case .clamped: break
        case .free: try state.activities[L].assign(state.predictions[L])
        case .masked(let mask): takePrediction(state.predictions[L], into: &state.activities[L], mask: mask)
        }
    }

    /// Rejects clamp patterns this model's energy does not define: a free input without
    /// ``inputFeedback`` or with a negative prior precision, a free or masked output with a
    /// cross-entropy output energy, a mask of another shape than x_L.
    func validate(_ clamps: Clamps<Scalar>, _ state: PCState<Scalar>) throws {
        if case .free(let lambda) = clamps.input {
            guard inputFeedback else {
                throw PCCoreError.unsupported("a free input needs the adjoint of layer 1 with respect to x₀, which \(Self.self) does not give; use input .clamped")
            }
            guard lambda >= 0 else { throw PCCoreError.invalidOption(name: "priorPrecision", reason: "must be ≥ 0 (got \(lambda))") }
        }
        switch clamps.output {
        case .clamped: break
        case .free:
            if outputEnergy == .crossEntropy { throw PCCoreError.unsupported("a free output needs a squared-error output energy") }
        case .masked(let mask):
            if outputEnergy == .crossEntropy { throw PCCoreError.unsupported("a masked output needs a squared-error output energy") }
            guard mask.shape == state.activities[depth].shape else {
                throw PCCoreError.shapeMismatch(what: "output mask", expected: state.activities[depth].shape, got: mask.shape)
            }
        }
    }

    /// Computes ε_ℓ (and Π_ℓ ε_ℓ where Π_ℓ ≠ I) for ℓ = 1…L from the current predictions and
    /// returns F_B = (1/B) Σ_i F_i (with a free input's prior ½ λ‖x₀‖² included).
    func computeErrors(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>,
                       input: InputClamp = .clamped) throws -> Double {
        // Layers 1…L in order, the cross-entropy output term (when there is one) last.
        let crossEntropy = outputEnergy == .crossEntropy
        var total = 0.0
        for l in Swift.stride(from: 1, through: crossEntropy ? depth - 1 : depth, by: 1) { total += layerErrors(l, &state, &workspace) }
        if crossEntropy { total += try crossEntropyErrors(&state, &workspace) }
        if case .free(let lambda) = input, lambda > 0 { total += 0.5 * lambda * squaredNorm(state.activities[0]) }
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
    /// workspace; for tests and diagnostics, not for hot loops).
    /// - Parameters:
    ///   - state: x_ℓ (B × n_ℓ) each; predictions and errors are recomputed.
    ///   - input: the input's role (a free input adds its prior ½ λ‖x₀‖²).
    /// - Returns: F_B = (1/B) Σ_i Σ_ℓ ½ ε_iℓᵀ Π_ℓ ε_iℓ (+ ½ Σ_j s_ℓj per learned precision; cross-entropy output: its CE term; + prior).
    public func freeEnergy(of state: inout PCState<Scalar>, input: InputClamp = .clamped) throws -> Double {
        var workspace = try LayeredWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try refreshAll(&state, &workspace)
        return try computeErrors(&state, &workspace, input: input)
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

/// x ← μ on the free units of a masked node (mask 0), the feedforward start of a partly clamped node.
func takePrediction<Scalar: PCScalar>(_ prediction: Matrix<Scalar>, into x: inout Matrix<Scalar>, mask: Matrix<Scalar>) {
    let n = mask.count
    mask.withUnsafeStorage { pm, _ in
        prediction.withUnsafeStorage { pmu, _ in
            x.withUnsafeMutableStorage { px, _ in for i in 0..<n where pm[i] == 0 { px[i] = pmu[i] } }
        }
    }
}
