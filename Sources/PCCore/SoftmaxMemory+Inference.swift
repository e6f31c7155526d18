import PCNumerics

// Energy, gradients and inference of the softmax memory (PCCore article ModesAndMemory, section Softmax memory).
// Every function here writes into the workspace and allocates nothing.

extension SoftmaxMemory {
    /// Refreshes s = softmax(β z), μ = W s and ε = x − μ, and returns the batch-mean free energy
    /// F_B = (1/B) Σ_i (½ ‖ε_i‖² + ½ λ ‖z_i‖²).
    func refresh(_ workspace: inout SoftmaxMemoryWorkspace<Scalar>) throws -> Double {
        let beta = Scalar(gain)
        let kCount = workspace.latent.count
        var prior = 0.0
        workspace.latent.withUnsafeStorage { z, _ in
            workspace.scratch.withUnsafeMutableStorage { a, _ in
                for i in 0..<kCount {
                    a[i] = beta * z[i]
                    prior += Double(z[i] * z[i])
                }
            }
        }
        try workspace.scratch.softmaxRows(into: &workspace.rates)
        try Matrix.multiply(workspace.rates, weight, transposeB: true, into: &workspace.prediction)
        let nCount = workspace.data.count
        var squared = 0.0
        workspace.data.withUnsafeStorage { x, _ in
            workspace.prediction.withUnsafeStorage { mu, _ in
                workspace.predictionError.withUnsafeMutableStorage { e, _ in
                    for i in 0..<nCount {
                        e[i] = x[i] - mu[i]
                        squared += Double(e[i] * e[i])
                    }
                }
            }
        }
        return 0.5 * (squared + priorPrecision * prior) / Double(workspace.batchSize)
    }

    /// One synchronous gradient step from the current ε and s (``refresh(_:)`` must be current):
    /// z ← z − γ (λ z − β s ⊙ (g − ⟨s, g⟩)), g = Wᵀ ε; free x ← x − γ ε.
    func step(_ workspace: inout SoftmaxMemoryWorkspace<Scalar>, stepSize: Scalar, updateLatent: Bool, updateData: Bool) throws {
        let (rows, k, n) = (workspace.batchSize, units, patternSize)
        if updateLatent {
            try Matrix.multiply(workspace.predictionError, weight, into: &workspace.scratch)
            let beta = Scalar(gain), lambda = Scalar(priorPrecision)
            workspace.rates.withUnsafeStorage { s, _ in
                workspace.scratch.withUnsafeStorage { g, _ in
                    workspace.latent.withUnsafeMutableStorage { z, _ in
                        for r in 0..<rows {
                            let o = r * k
                            var mean: Scalar = 0
                            for j in 0..<k { mean += s[o + j] * g[o + j] }
                            for j in 0..<k {
                                let gradient = lambda * z[o + j] - beta * s[o + j] * (g[o + j] - mean)
                                z[o + j] -= stepSize * gradient
                            }
                        }
                    }
                }
            }
        }
        if updateData {
            let count = rows * n
            workspace.observed.withUnsafeStorage { m, _ in
                workspace.predictionError.withUnsafeStorage { e, _ in
                    workspace.data.withUnsafeMutableStorage { x, _ in
                        for i in 0..<count where m[i] == 0 { x[i] -= stepSize * e[i] }
                    }
                }
            }
        }
    }

    /// Settles the workspace: T synchronous gradient steps on F over z (and the free entries of x
    /// when `updateData`), from the latents and data already in the workspace.
    ///
    /// Stops early at the tolerance of `options`; a non-finite energy stops it with
    /// ``InferenceStop/diverged``. The energy trace is kept in ``SoftmaxMemoryWorkspace/energies``.
    /// - Parameters:
    ///   - workspace: z (B × K) and x (B × n) set; the observed mask set by the caller.
    ///   - options: γ, T and the tolerance (method and initialisation are not used).
    ///   - updateData: whether the unobserved entries of x are free.
    /// - Returns: the report (its `energies` is a copy of the trace, taken once at the end).
    public func settle(_ workspace: inout SoftmaxMemoryWorkspace<Scalar>, options: InferenceOptions,
                       updateData: Bool = true) throws -> InferenceReport {
        guard workspace.latent.columns == units, workspace.data.columns == patternSize else {
            throw PCCoreError.shapeMismatch(what: "memory workspace", expected: Shape(units, patternSize),
                                            got: Shape(workspace.latent.columns, workspace.data.columns))
        }
        let dynamics = MemorySettle(memory: self, stepSize: Scalar(options.stepSize), updateData: updateData)
        var noState: Void = ()
        try dynamics.start(&noState, &workspace)
        return try runSettle(&noState, &workspace, options: options, canMove: dynamics.hasFreeActivities, divergenceThreshold: dynamics.divergenceThreshold,
                             energy: { try dynamics.energy(&$0, &$1) }, step: { try dynamics.step(&$0, &$1, iteration: $2, keepCurrentAsBest: $3) },
                             restoreBest: { try dynamics.restoreBest(&$0, &$1, haveBest: $2, current: $3) }, trace: { dynamics.trace($0) })
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

/// The memory's side of ``SoftmaxMemory/settle(_:options:updateData:)``'s generic loop: z (and the
/// free x) move by GD; no best state is kept, so only a non-finite energy diverges, and the trace
/// stops growing at the workspace's capacity instead of allocating.
struct MemorySettle<Scalar: PCScalar> {
    let memory: SoftmaxMemory<Scalar>
    let stepSize: Scalar
    let updateData: Bool

    var hasFreeActivities: Bool { true }
    var divergenceThreshold: Double { .infinity }

    func start(_ state: inout Void, _ workspace: inout SoftmaxMemoryWorkspace<Scalar>) throws {
        workspace.energies.removeAll(keepingCapacity: true)
    }

    /// Refreshes the errors, records F_B in the trace and returns it.
    func energy(_ state: inout Void, _ workspace: inout SoftmaxMemoryWorkspace<Scalar>) throws -> Double {
        let energy = try memory.refresh(&workspace)
        // The first energy always; later ones while there is room (the trace never allocates here).
        if workspace.energies.isEmpty || workspace.energies.count < workspace.energies.capacity { workspace.energies.append(energy) }
        return energy
    }

    func trace(_ workspace: SoftmaxMemoryWorkspace<Scalar>) -> [Double] { workspace.energies }

    func step(_ state: inout Void, _ workspace: inout SoftmaxMemoryWorkspace<Scalar>, iteration: Int, keepCurrentAsBest: Bool) throws {
        try memory.step(&workspace, stepSize: stepSize, updateLatent: true, updateData: updateData)
    }

    func restoreBest(_ state: inout Void, _ workspace: inout SoftmaxMemoryWorkspace<Scalar>, haveBest: Bool,
                     current: Double) throws -> Double { current }
}
