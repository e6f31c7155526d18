import PCNumerics

// Inference on a dense network: the fused settle kernel when it applies, otherwise the layered
// engine (LayeredPCModel+Inference.swift), which handles every method and clamp pattern
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
        return try layeredSettle(&state, &workspace, clamps: clamps, options: options)
    }
}
