import PCNumerics

// Inference for a layered model: gradient flow of the hidden activities on F, input and output
// clamped (PCCore article EnergyAndInference). Nothing here allocates once the workspace exists.

extension LayeredPCModel {
    /// Writes ∂F/∂x_ℓ (per sample, <doc:EnergyAndInference#Gradients>) of every free layer into
    /// workspace.buffers.gradients: hidden ℓ: Π_ℓ ε_ℓ − φ′_ℓ(x_ℓ) ⊙ (∂μ_{ℓ+1}/∂r_ℓ)ᵀ Π_{ℓ+1} ε_{ℓ+1};
    /// a free input: λ x₀ − φ′₀(x₀) ⊙ (∂μ₁/∂r₀)ᵀ Π₁ ε₁; a free output: Π_L ε_L (zero on the clamped
    /// entries of a mask). Errors must be current.
    /// Hidden layers below `firstHidden` get 0 without any product: right after the feedforward
    /// start every hidden error is exactly zero, so only x_{L−1} (and a free input or output) has a
    /// non-zero gradient in the first step.
    func activityGradients(_ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>,
                           firstHidden: Int = 1) throws {
        if case .free(let lambda) = clamps.input { try inputGradient(lambda: lambda, state, &workspace) }
        for l in Swift.stride(from: 1, to: min(firstHidden, depth), by: 1) { workspace.buffers.gradients[l].fill(0) }
        for l in Swift.stride(from: max(firstHidden, 1), to: depth, by: 1) { try hiddenGradient(l, state, &workspace) }
        try outputGradient(state, &workspace, clamps: clamps)
    }

    /// ∂F/∂x_ℓ of one hidden layer into workspace.buffers.gradients[ℓ].
    func hiddenGradient(_ l: Int, _ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        try feedback(l, error: weightedError(l + 1, state, workspace), into: &workspace.buffers.feedback[l], scratch: &workspace.engine.scratch)
        combine(own: weightedError(l, state, workspace), ownScale: 1, derivative: workspace.engine.derivatives[l],
                feedback: workspace.buffers.feedback[l], into: &workspace.buffers.gradients[l])
    }

    /// ∂F/∂x₀ = λ x₀ − φ′₀(x₀) ⊙ (∂μ₁/∂r₀)ᵀ Π₁ ε₁ of a free input into workspace.buffers.gradients[0].
    func inputGradient(lambda: Double, _ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        try feedback(0, error: weightedError(1, state, workspace), into: &workspace.buffers.feedback[0], scratch: &workspace.engine.scratch)
        combine(own: state.activities[0], ownScale: Scalar(lambda), derivative: workspace.engine.derivatives[0],
                feedback: workspace.buffers.feedback[0], into: &workspace.buffers.gradients[0])
    }

    /// ∂F/∂x_L = Π_L ε_L of a free (or partly free) output into workspace.buffers.gradients[L].
    func outputGradient(_ state: PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>) throws {
        let L = depth
        switch clamps.output {
        case .clamped: return
        case .free: try workspace.buffers.gradients[L].assign(weightedError(L, state, workspace))
        case .masked(let mask):
            let e = weightedError(L, state, workspace)
            let n = e.count
            e.withUnsafeStorage { pe, _ in
                mask.withUnsafeStorage { pm, _ in
                    workspace.buffers.gradients[L].withUnsafeMutableStorage { pg, _ in
                        for i in 0..<n { pg[i] = pm[i] == 0 ? pe[i] : 0 }
                    }
                }
            }
        }
    }

    /// The rates of the layers in `moved` and the predictions they feed.
    func refreshMoved(_ moved: ClosedRange<Int>, _ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        for l in Swift.stride(from: moved.lowerBound, through: min(moved.upperBound, depth - 1), by: 1) {
            try refreshRates(l, state, &workspace)
            try refreshPrediction(l + 1, &state, &workspace)
        }
    }

    /// Settles the free activities of `state` on the free energy F (<doc:EnergyAndInference>): the
    /// hidden layers x₁…x_{L−1}, and the input or output where `clamps` leaves them free.
    ///
    /// From the feedforward state (or the state given), repeats: compute ε and F_B; stop on the
    /// budget, the tolerance or divergence; x_ℓ ← x_ℓ − γ ∂F/∂x_ℓ for every free layer from one
    /// snapshot (or the momentum update), or one after another from the top (SeqIL, with
    /// γ_t = γ/(1 + t)). On divergence (F not finite, or F_t > F_best + θ|F_best|)
    /// the best state is restored. On return predictions, errors and rates match the activities, so
    /// ``parameterGradients(_:workspace:into:scale:)`` can follow.
    ///
    /// - Parameters:
    ///   - state: x₀ (B × n₀) and, when clamped, the target x_L (B × n_L) set.
    ///   - workspace: scratch sized for this model and batch.
    ///   - clamps: the input's and output's roles (default both clamped). A free input needs
    ///     ``inputFeedback``; a free or masked output a squared-error output energy.
    ///   - options: step, budget, tolerance, method (gradient descent, momentum or SeqIL), initialisation.
    /// - Returns: iterations, the energy trace and why it stopped.
    /// - Throws: ``PCCoreError`` for a mismatched state or workspace or a clamp pattern the model cannot infer.
    @discardableResult
    public func settle(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                       clamps: Clamps<Scalar> = .supervised, options: InferenceOptions = .standard) throws -> InferenceReport {
        try checkFit(state, workspace)
        try validate(clamps, state)
        return try layeredSettle(&state, &workspace, clamps: clamps, options: options)
    }

    /// The one settle (``settleNodes``) with a layered model's operators: nodes 0…L, x₀ and x_L with
    /// the roles `clamps` gives them and the hidden layers free; a SeqIL sweep runs from the top
    /// free layer down (each layer's own error recomputed against its unchanged prediction once it
    /// moved, for the layer below), and the rates and predictions the free layers feed are
    /// refreshed after each step or sweep. A ``PCNetwork`` calls it when its fused kernel does not apply.
    /// The caller has checked `state`, `workspace` and `clamps` (checkFit, validate).
    func layeredSettle(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>,
                       options: InferenceOptions) throws -> InferenceReport {
        let L = depth
        let lowest = { if case .free = clamps.input { return 0 } else { return 1 } }()
        let highest = { if case .clamped = clamps.output { return L - 1 } else { return L } }()
        let moving = lowest...max(lowest, highest)
        return try settleNodes(&state, &workspace, options: options, nodeCount: L + 1,
            role: { l in
                if l == 0 { if case .free = clamps.input { return .free } else { return .clamped } }
                guard l == L else { return .free }
                switch clamps.output {
                case .clamped: return .clamped
                case .free: return .free
                case .masked(let mask): return .masked(mask)
                }
            },
            sweepNode: { L - $0 },
            feedforward: { try runFeedforward(&$0, &$1, clamps: clamps) },
            refreshAll: { try refreshAll(&$0, &$1) },
            energy: { try computeErrors(&$0, &$1, input: clamps.input) },
            gradients: { t, state, workspace in
                let feedforwardStart = t == 0 && options.initialization == .feedforward
                try activityGradients(state, &workspace, clamps: clamps, firstHidden: feedforwardStart ? L - 1 : 1)
            },
            nodeGradient: { l, state, workspace in
                if l == L { try outputGradient(state, &workspace, clamps: clamps) }
                else if l == 0 { if case .free(let lambda) = clamps.input { try inputGradient(lambda: lambda, state, &workspace) } }
                else { try hiddenGradient(l, state, &workspace) }
            },
            moved: { l, state, workspace in if l >= 1 { _ = layerErrors(l, &state, &workspace) } },
            refreshMoved: { state, workspace, _ in if lowest <= highest { try refreshMoved(moving, &state, &workspace) } })
    }

    /// Z-IL's and FPA's inference step: x_ℓ ← x_ℓ − g_ℓ (γ = 1) for the hidden layers ℓ = 1…L−1 from
    /// the gradients written, then the rates and the predictions they feed. Needs L ≥ 2.
    func unitStepOnHiddenLayers(_ state: inout PCState<Scalar>, _ workspace: inout LayeredWorkspace<Self>) throws {
        for l in Swift.stride(from: 1, to: depth, by: 1) {
            descendFreeUnits(&state.activities[l], gradient: workspace.buffers.gradients[l], stepSize: 1, mask: nil)
        }
        try refreshMoved(1...(depth - 1), &state, &workspace)
    }

    /// ∂F/∂x_ℓ of every layer computed from scratch at `state` (allocates; for tests).
    /// - Parameter clamps: which of x₀ and x_L are free (default both clamped).
    /// - Returns: one (B × n_ℓ) matrix per layer ℓ = 0…L; clamped layers get zeros.
    public func activityGradients(of state: inout PCState<Scalar>, clamps: Clamps<Scalar> = .supervised) throws -> [Matrix<Scalar>] {
        var workspace = try LayeredWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try validate(clamps, state)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace, input: clamps.input)
        workspace.buffers.gradients[0].fill(0)
        workspace.buffers.gradients[depth].fill(0)
        try activityGradients(state, &workspace, clamps: clamps)
        return workspace.buffers.gradients
    }
}

/// g = scale · own − derivative ⊙ feedback, elementwise (∂F/∂x of a layer or node: its own weighted
/// error, or λ x for a prior, less the feedback through its rate).
@inline(__always)
func combine<Scalar: PCScalar>(own: Matrix<Scalar>, ownScale: Scalar, derivative: Matrix<Scalar>, feedback: Matrix<Scalar>,
                               into gradient: inout Matrix<Scalar>) {
    let n = gradient.count
    own.withUnsafeStorage { po, _ in
        derivative.withUnsafeStorage { pd, _ in
            feedback.withUnsafeStorage { pf, _ in
                gradient.withUnsafeMutableStorage { pg, _ in
                    if ownScale == 1 {
                        for i in 0..<n { pg[i] = po[i] - pd[i] * pf[i] }
                    } else {
                        for i in 0..<n { pg[i] = ownScale * po[i] - pd[i] * pf[i] }
                    }
                }
            }
        }
    }
}
