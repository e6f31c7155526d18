import PCNumerics

// Inference for a layered model: gradient flow of the hidden activities on F, input and output
// clamped (PCCore article EnergyAndInference). Nothing here allocates once the workspace exists.

extension LayeredPCModel {
    /// ∂F/∂x_ℓ = Π_ℓ ε_ℓ − φ′_ℓ(x_ℓ) ⊙ (∂μ_{ℓ+1}/∂r_ℓ)ᵀ Π_{ℓ+1} ε_{ℓ+1} (per sample) for the hidden
    /// layers ℓ = 1…L−1 into workspace.buffers.gradients. Errors must be current.
    func activityGradients(_ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        for l in Swift.stride(from: 1, to: depth, by: 1) { try hiddenGradient(l, state, &workspace) }
    }

    /// ∂F/∂x_ℓ of one hidden layer into workspace.buffers.gradients[ℓ].
    func hiddenGradient(_ l: Int, _ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        try feedback(l, error: weightedError(l + 1, state, workspace), into: &workspace.buffers.feedback[l], scratch: &workspace.engine.scratch)
        let own = weightedError(l, state, workspace)
        let n = own.count
        own.withUnsafeStorage { pe, _ in
            workspace.engine.derivatives[l].withUnsafeStorage { pd, _ in
                workspace.buffers.feedback[l].withUnsafeStorage { pf, _ in
                    workspace.buffers.gradients[l].withUnsafeMutableStorage { pg, _ in
                        for i in 0..<n { pg[i] = pe[i] - pd[i] * pf[i] }
                    }
                }
            }
        }
    }

    /// One SeqIL sweep (<doc:EnergyAndInference#Sequential-inference>): from x_{L−1} down to x₁,
    /// x_ℓ ← x_ℓ − γ_t ∂F/∂x_ℓ with the layer above already updated (its error recomputed against
    /// the unchanged μ_{ℓ+1}) and the layer below not yet; the rates and predictions are refreshed
    /// after the sweep.
    func sequentialSweep(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, stepSize gamma: Scalar) throws {
        var l = depth - 1
        while l >= 1 {
            try hiddenGradient(l, state, &workspace)
            try state.activities[l].add(workspace.buffers.gradients[l], scaledBy: -gamma)
            _ = layerErrors(l, &state, &workspace)
            l -= 1
        }
        for l in Swift.stride(from: 1, to: depth, by: 1) {
            try refreshRates(l, state, &workspace)
            try refreshPrediction(l + 1, &state, &workspace)
        }
    }

    /// Settles the hidden activities x₁…x_{L−1} on F with x₀ and x_L clamped (<doc:EnergyAndInference>).
    ///
    /// From the feedforward state (or the state given), repeats: compute ε and F_B; stop on the
    /// budget, the tolerance or divergence; x_ℓ ← x_ℓ − γ ∂F/∂x_ℓ for every hidden layer from one
    /// snapshot (or the momentum update), or one after another from the top (SeqIL, with
    /// γ_t = γ/(1 + t)). On divergence (F not finite, or F_t > F_best + θ|F_best|)
    /// the best state is restored. On return predictions, errors and rates match the activities, so
    /// ``parameterGradients(_:workspace:into:scale:)`` can follow.
    ///
    /// - Parameters:
    ///   - state: x₀ (B × n₀) and the target x_L (B × n_L) set.
    ///   - workspace: scratch sized for this model and batch.
    ///   - options: step, budget, tolerance, method (gradient descent, momentum or SeqIL), initialisation.
    /// - Returns: iterations, the energy trace and why it stopped.
    /// - Throws: ``PCCoreError`` for a mismatched state or workspace.
    @discardableResult
    public func settle(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                       options: InferenceOptions = .standard) throws -> InferenceReport {
        try checkFit(state, workspace)
        let dynamics = LayeredSettle(model: self, depth: depth, options: options)
        try dynamics.start(&state, &workspace)
        return try runSettle(&state, &workspace, options: options, canMove: dynamics.hasFreeActivities, divergenceThreshold: dynamics.divergenceThreshold,
                             energy: { try dynamics.energy(&$0, &$1) }, step: { try dynamics.step(&$0, &$1, iteration: $2, keepCurrentAsBest: $3) },
                             restoreBest: { try dynamics.restoreBest(&$0, &$1, haveBest: $2, current: $3) }, trace: { dynamics.trace($0) })
    }

    /// x_ℓ ← x_ℓ − γ g_ℓ (or v ← m v − γ g, x ← x + v) for ℓ = 1…L−1, written into the spare buffers
    /// and rotated in (the previous state stays as the best one without a copy); then the rates and
    /// the predictions they feed are refreshed.
    func step(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, stepSize gamma: Scalar,
              momentum: Scalar?, keepCurrentAsBest: Bool) throws {
        let L = depth
        for l in Swift.stride(from: 1, to: L, by: 1) {
            writeGradientStep(state.activities[l], gradient: workspace.buffers.gradients[l], into: &workspace.buffers.spare[l],
                              velocity: &workspace.buffers.velocities[l], stepSize: gamma, momentum: momentum)
            if keepCurrentAsBest { swap(&state.activities[l], &workspace.buffers.best[l]) }
            swap(&state.activities[l], &workspace.buffers.spare[l])
        }
        for l in Swift.stride(from: 1, to: L, by: 1) {
            try refreshRates(l, state, &workspace)
            try refreshPrediction(l + 1, &state, &workspace)
        }
    }

    /// ∂F/∂x_ℓ of every hidden layer computed from scratch at `state` (allocates; for tests).
    /// - Returns: one (B × n_ℓ) matrix per layer ℓ = 0…L; the clamped x₀ and x_L get zeros.
    public func activityGradients(of state: inout PCState<Scalar>) throws -> [Matrix<Scalar>] {
        var workspace = try LayeredWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace)
        workspace.buffers.gradients[0].fill(0)
        workspace.buffers.gradients[depth].fill(0)
        try activityGradients(state, &workspace)
        return workspace.buffers.gradients
    }
}

/// A layered model's side of ``LayeredPCModel/settle(_:workspace:options:)``'s generic loop: the
/// hidden layers 1…L−1 free; GD, momentum or SeqIL steps.
struct LayeredSettle<Model: LayeredPCModel> {
    let model: Model
    let depth: Int
    let options: InferenceOptions
    let momentum: Model.Scalar?

    init(model: Model, depth: Int, options: InferenceOptions) {
        self.model = model; self.depth = depth; self.options = options
        momentum = options.momentum(Model.Scalar.self)
    }

    var hasFreeActivities: Bool { depth >= 2 }
    var divergenceThreshold: Double { options.divergenceThreshold }

    func start(_ state: inout PCState<Model.Scalar>, _ workspace: inout LayeredWorkspace<Model>) throws {
        switch options.initialization {
        case .feedforward: try model.feedforward(&state, workspace: &workspace)
        case .keep: try model.refreshAll(&state, &workspace)
        }
        if momentum != nil { for l in Swift.stride(from: 1, to: depth, by: 1) { workspace.buffers.velocities[l].fill(0) } }
        workspace.buffers.energyTrace.removeAll(keepingCapacity: true)
    }

    /// Refreshes the errors, records F_B in the trace and returns it.
    func energy(_ state: inout PCState<Model.Scalar>, _ workspace: inout LayeredWorkspace<Model>) throws -> Double {
        let energy = try model.computeErrors(&state, &workspace)
        workspace.buffers.energyTrace.append(energy)
        return energy
    }

    func trace(_ workspace: LayeredWorkspace<Model>) -> [Double] { workspace.buffers.energyTrace }

    func step(_ state: inout PCState<Model.Scalar>, _ workspace: inout LayeredWorkspace<Model>, iteration: Int,
              keepCurrentAsBest: Bool) throws {
        if case .sequential = options.method {
            if keepCurrentAsBest {
                for l in Swift.stride(from: 1, to: depth, by: 1) { try workspace.buffers.best[l].assign(state.activities[l]) }
            }
            try model.sequentialSweep(&state, &workspace, stepSize: Model.Scalar(options.stepSize / Double(1 + iteration)))
            return
        }
        try model.activityGradients(state, &workspace)
        try model.step(&state, &workspace, stepSize: Model.Scalar(options.stepSize), momentum: momentum,
                       keepCurrentAsBest: keepCurrentAsBest)
    }

    func restoreBest(_ state: inout PCState<Model.Scalar>, _ workspace: inout LayeredWorkspace<Model>, haveBest: Bool,
                     current: Double) throws -> Double {
        if haveBest {
            for l in Swift.stride(from: 1, to: depth, by: 1) { swap(&state.activities[l], &workspace.buffers.best[l]) }
        }
        try model.refreshAll(&state, &workspace)
        return try model.computeErrors(&state, &workspace)
    }
}
