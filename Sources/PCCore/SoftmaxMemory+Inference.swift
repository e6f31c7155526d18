import PCNumerics

// Inference of the softmax memory (PCCore article ModesAndMemory, section Softmax memory): the graph
// engine's settle on the memory's two-node graph. Nothing here allocates once the workspace exists.

extension SoftmaxMemory {
    /// Settles the workspace: T synchronous gradient steps on F over z (and the free entries of x
    /// when `updateData`), from the latents and data already in the workspace:
    ///
    ///   F = ½ ‖x − W softmax(β z)‖² + ½ λ ‖z‖²  (per sample; batch mean),
    ///   z ← z − γ (λ z − β s ⊙ (g − ⟨s, g⟩ 1)),  g = Wᵀ ε;   free x ← x − γ ε.
    ///
    /// Stops early at the tolerance of `options`; a non-finite energy stops it with
    /// ``InferenceStop/diverged`` (and restores the last finite state). The energy trace is in
    /// ``SoftmaxMemoryWorkspace/energies``.
    /// - Parameters:
    ///   - workspace: z (B × K) and x (B × n) set; the observed mask set by the caller.
    ///   - options: γ, T and the tolerance (the method is gradient descent, the start the values given).
    ///   - updateData: whether the unobserved entries of x are free.
    /// - Returns: the report (its `energies` is a copy of the trace, taken once at the end).
    public func settle(_ workspace: inout SoftmaxMemoryWorkspace<Scalar>, options: InferenceOptions,
                       updateData: Bool = true) throws -> InferenceReport {
        guard workspace.latent.columns == units, workspace.data.columns == patternSize else {
            throw PCCoreError.shapeMismatch(what: "memory workspace", expected: Shape(units, patternSize),
                                            got: Shape(workspace.latent.columns, workspace.data.columns))
        }
        var inference = options
        inference.method = .gradientDescent
        inference.initialization = .keep
        inference.divergenceThreshold = .infinity
        return try graph.settle(&workspace.state, workspace: &workspace.workspace,
                                clamps: updateData ? workspace.recallClamps : workspace.storageClamps, options: inference)
    }

    /// Associative recall: the entries of `patterns` where `observed` = 1 clamped, the others and
    /// the latent (from z = 0, a uniform softmax) inferred.
    /// - Parameters:
    ///   - patterns: the cues, (B × n); unobserved entries are the starting values of the free x.
    ///   - observed: 1 where an entry is clamped, 0 where it is recalled, (B × n).
    ///   - workspace: sized for B (reused between calls).
    ///   - options: γ and T (recall usually needs hundreds to thousands of steps).
    /// - Returns: the completed patterns (B × n) are left in `workspace.data`; the report.
    public func recall(_ patterns: Matrix<Scalar>, observed: Matrix<Scalar>, workspace: inout SoftmaxMemoryWorkspace<Scalar>,
                       options: InferenceOptions) throws -> InferenceReport {
        guard observed.shape == patterns.shape else { throw PCCoreError.shapeMismatch(what: "observed mask", expected: patterns.shape, got: observed.shape) }
        try workspace.data.assign(patterns)
        try workspace.observed.assign(observed)
        workspace.latent.fill(0)
        return try settle(&workspace, options: options)
    }
}
