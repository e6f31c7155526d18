import PCNumerics

// Modes as clamp patterns of the one inference engine (PCCore article ModesAndMemory, section Clamp patterns).
// A generative model is a PCNetwork whose input x₀ is the cause (a label or a latent) and whose
// output x_L is the data: the chain reversed, μ_data = W φ(x_above) + b.

extension PCNetwork {
    /// Generative mode: the cause x₀ clamped (e.g. a one-hot label), the data x_L free; settles and
    /// returns x_L. With every node but x₀ free, the feedforward state is the energy minimum (<doc:EnergyAndInference#Feedforward-start>),
    /// so this returns the model's prediction of the data given the cause; inference confirms it
    /// (the report's final energy is 0 up to rounding).
    /// - Parameters:
    ///   - causes: x₀, (B × n₀).
    ///   - options: inference options (default: PCKit's).
    /// - Returns: the generated data (B × n_L) and the inference report.
    public func generate<M: MatrixOperand>(from causes: M, options: InferenceOptions = .standard) throws
        -> (data: Matrix<Scalar>, report: InferenceReport) where M.Scalar == Scalar {
        var state = try PCState(for: self, batchSize: causes.rows)
        var workspace = try InferenceWorkspace(for: self, batchSize: causes.rows, traceCapacity: options.maxIterations)
        try state.setInput(causes)
        let report = try settle(&state, workspace: &workspace, clamps: .outputFree, options: options)
        return (state.activities[depth], report)
    }

    /// Associative recall: the observed entries of the data x_L clamped (`observed` = 1), the rest
    /// of x_L, the hidden layers and the latent x₀ (with prior ½λ‖x₀‖²) inferred.
    /// - Parameters:
    ///   - patterns: x_L with the observed entries set (others are ignored), (B × n_L).
    ///   - observed: 1 where an entry is observed, 0 where it is to be recalled, (B × n_L).
    ///   - latent: the starting latent x₀, (B × n₀) (e.g. zeros).
    ///   - priorPrecision: λ of the latent's Gaussian prior.
    ///   - options: inference options (recall usually needs hundreds of steps).
    /// - Returns: the completed patterns (B × n_L), the inferred latent (B × n₀) and the inference report.
    public func recall(_ patterns: Matrix<Scalar>, observed: Matrix<Scalar>, latent: Matrix<Scalar>, priorPrecision: Double,
                       options: InferenceOptions) throws -> (patterns: Matrix<Scalar>, latent: Matrix<Scalar>, report: InferenceReport) {
        var state = try PCState(for: self, batchSize: patterns.rows)
        var workspace = try InferenceWorkspace(for: self, batchSize: patterns.rows, traceCapacity: options.maxIterations)
        try state.setInput(latent)
        try state.setOutput(patterns)
        let report = try settle(&state, workspace: &workspace,
                                clamps: Clamps(input: .free(priorPrecision: priorPrecision), output: .masked(observed)),
                                options: options)
        return (state.activities[depth], state.activities[0], report)
    }
}
