import PCNumerics

// Inference: gradient flow of the free activities on F with an explicit stopping rule
// (PCCore article EnergyAndInference). Nothing here allocates once the workspace exists.

extension PCNetwork {
    /// Settles the free activities of `state` on the free energy F (<doc:EnergyAndInference>).
    ///
    /// From the feedforward state (or the state given), repeats: compute ε and F_B; stop on the
    /// budget, the tolerance or divergence; compute ∂F/∂x for the free nodes; update them
    /// (synchronous GD, momentum, or SeqIL's top-down sweep). On divergence (F not finite, or
    /// F_t > F_best + θ|F_best|) the best state is restored and the report says so.
    /// On return the predictions, errors and the workspace's rates match the activities, so
    /// ``parameterGradients(_:workspace:into:scale:)`` can follow directly.
    ///
    /// - Parameters:
    ///   - state: x₀ (and x_L when clamped) set by the caller; (B × n_ℓ) each.
    ///   - workspace: scratch sized for this network and batch.
    ///   - clamps: which nodes are clamped (the mode).
    ///   - options: step, budget, tolerance, method, initialisation.
    /// - Returns: iterations, the energy trace and why it stopped.
    /// - Throws: ``PCCoreError`` for a mismatched state or workspace or an unsupported clamp pattern.
    @discardableResult
    public func settle(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                       clamps: Clamps<Scalar> = .supervised, options: InferenceOptions = .standard) throws -> InferenceReport {
        try checkFit(state, workspace)
        try validate(clamps, state)
        if usesFusedKernel(clamps, options) { return try settleFused(&state, workspace: &workspace, options: options) }
        let lowest = { if case .free = clamps.input { return 0 } else { return 1 } }()
        let highest = { if case .clamped = clamps.output { return depth - 1 } else { return depth } }()
        let dynamics = DenseSettle(network: self, clamps: clamps, options: options, lowest: lowest, highest: highest)
        try dynamics.start(&state, &workspace)
        return try runSettle(&state, &workspace, options: options, canMove: dynamics.hasFreeActivities, divergenceThreshold: dynamics.divergenceThreshold,
                             energy: { try dynamics.energy(&$0, &$1) }, step: { try dynamics.step(&$0, &$1, iteration: $2, keepCurrentAsBest: $3) },
                             restoreBest: { try dynamics.restoreBest(&$0, &$1, haveBest: $2, current: $3) }, trace: { dynamics.trace($0) })
    }

    /// Rejects clamp patterns the energy does not define.
    func validate(_ clamps: Clamps<Scalar>, _ state: PCState<Scalar>) throws {
        if case .free(let lambda) = clamps.input, !(lambda >= 0) {
            throw PCCoreError.invalidOption(name: "priorPrecision", reason: "must be ≥ 0 (got \(lambda))")
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

    /// x_ℓ ← x_ℓ − γ g_ℓ (or the momentum update) for the free layers, written into the spare
    /// buffers and rotated in, so the previous state can stay as the best one without a copy.
    func synchronousStep(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>,
                         lowest: Int, highest: Int, stepSize: Double, momentum: Double?, keepCurrentAsBest: Bool) throws {
        let gamma = Scalar(stepSize), m = momentum.map { Scalar($0) }
        for l in Swift.stride(from: lowest, through: highest, by: 1) {
            writeGradientStep(state.activities[l], gradient: workspace.buffers.gradients[l], into: &workspace.buffers.spare[l],
                              velocity: &workspace.buffers.velocities[l], stepSize: gamma, momentum: m)
            // Rotate: best ← current (when it is the best), current ← new.
            if keepCurrentAsBest { swap(&state.activities[l], &workspace.buffers.best[l]) }
            swap(&state.activities[l], &workspace.buffers.spare[l])
        }
        try refreshAfterUpdate(&state, &workspace, lowest: lowest, highest: highest)
    }

    /// Rates of the updated layers, then the predictions they feed.
    func refreshAfterUpdate(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>,
                            lowest: Int, highest: Int) throws {
        let L = depth
        for l in Swift.stride(from: lowest, through: min(highest, L - 1), by: 1) {
            try refreshRates(l, state, &workspace)
            try refreshPrediction(l + 1, &state, workspace)
        }
    }

    /// One SeqIL sweep (<doc:EnergyAndInference#Sequential-inference>): from the top free layer down, x_ℓ ← x_ℓ − γ_t ∂F/∂x_ℓ with the layer
    /// above already updated (its error recomputed against the unchanged μ_{ℓ+1}) and the layer
    /// below not yet updated; the predictions are refreshed after the sweep.
    func sequentialSweep(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>,
                         clamps: Clamps<Scalar>, lowest: Int, highest: Int, stepSize: Double) throws {
        let L = depth
        let gamma = Scalar(stepSize)
        var l = highest
        while l >= lowest {
            // ∂F/∂x_ℓ at the current sweep position.
            if l == L {
                try outputGradient(state, &workspace, clamps: clamps)
            } else if l == 0 {
                guard case .free(let lambda) = clamps.input else { break }
                try feedback(0, state, &workspace)
                combine(own: nil, ownScale: Scalar(lambda), ownValues: state.activities[0],
                        derivative: workspace.engine.derivatives[0], feedback: workspace.buffers.feedback[0], into: &workspace.buffers.gradients[0])
            } else {
                try hiddenGradient(l, state, &workspace)
            }
            try state.activities[l].add(workspace.buffers.gradients[l], scaledBy: -gamma)
            // The layer's own error against its (unchanged) prediction, for the layer below.
            if l >= 1 {
                if l == L && outputEnergy == .crossEntropy { } else { _ = gaussianErrors(l, &state, &workspace) }
            }
            if l < L { try refreshRates(l, state, &workspace) }
            l -= 1
        }
        for l in Swift.stride(from: lowest, through: min(highest, L - 1), by: 1) {
            try refreshPrediction(l + 1, &state, workspace)
        }
    }

    /// Restores the best state after a divergence and returns its energy.
    func restoreBest(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>, clamps: Clamps<Scalar>,
                     lowest: Int, highest: Int, haveBest: Bool) throws -> Double {
        if haveBest && lowest <= highest {
            for l in Swift.stride(from: lowest, through: highest, by: 1) { swap(&state.activities[l], &workspace.buffers.best[l]) }
        }
        try refreshAll(&state, &workspace)
        return try computeErrors(&state, &workspace, input: clamps.input)
    }
}

/// The dense engine's side of ``PCNetwork/settle(_:workspace:clamps:options:)``'s generic loop:
/// nodes lowest…highest free; GD, momentum or SeqIL steps.
struct DenseSettle<Scalar: PCScalar> {
    let network: PCNetwork<Scalar>
    let clamps: Clamps<Scalar>
    let options: InferenceOptions
    let lowest: Int, highest: Int

    var hasFreeActivities: Bool { lowest <= highest }
    var divergenceThreshold: Double { options.divergenceThreshold }

    func start(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) throws {
        switch options.initialization {
        case .feedforward: try network.feedforward(&state, workspace: &workspace, clamps: clamps)
        case .keep: try network.refreshAll(&state, &workspace)
        }
        if case .momentum = options.method {
            for l in Swift.stride(from: lowest, through: highest, by: 1) { workspace.buffers.velocities[l].fill(0) }
        }
        workspace.buffers.energyTrace.removeAll(keepingCapacity: true)
    }

    /// Refreshes the errors, records F_B in the trace and returns it.
    func energy(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>) throws -> Double {
        let energy = try network.computeErrors(&state, &workspace, input: clamps.input)
        workspace.buffers.energyTrace.append(energy)
        return energy
    }

    func trace(_ workspace: InferenceWorkspace<Scalar>) -> [Double] { workspace.buffers.energyTrace }

    func step(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>, iteration t: Int,
              keepCurrentAsBest: Bool) throws {
        switch options.method {
        case .gradientDescent, .momentum:
            // Right after the feedforward start every hidden error is exactly zero, so with the
            // input clamped only x_{L−1} (and a free output) can move in the first step: skip the
            // products and updates of the layers below (they would add exact zeros).
            var start = lowest
            if t == 0, lowest == 1, options.initialization == .feedforward {
                start = max(1, network.depth - 1)
                for l in Swift.stride(from: 1, to: start, by: 1) { try workspace.buffers.best[l].assign(state.activities[l]) }
            }
            try network.activityGradients(state, &workspace, clamps: clamps, firstHidden: start)
            try network.synchronousStep(&state, &workspace, lowest: start, highest: highest, stepSize: options.stepSize,
                                        momentum: { if case .momentum(let m) = options.method { return m } else { return nil } }(),
                                        keepCurrentAsBest: keepCurrentAsBest)
        case .sequential:
            if keepCurrentAsBest {
                for l in Swift.stride(from: lowest, through: highest, by: 1) { try workspace.buffers.best[l].assign(state.activities[l]) }
            }
            try network.sequentialSweep(&state, &workspace, clamps: clamps, lowest: lowest, highest: highest,
                                        stepSize: options.stepSize / Double(1 + t))
        }
    }

    func restoreBest(_ state: inout PCState<Scalar>, _ workspace: inout InferenceWorkspace<Scalar>, haveBest: Bool,
                     current: Double) throws -> Double {
        try network.restoreBest(&state, &workspace, clamps: clamps, lowest: lowest, highest: highest, haveBest: haveBest)
    }
}
