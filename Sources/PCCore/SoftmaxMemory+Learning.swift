import PCNumerics

/// How ``SoftmaxMemory/store(_:codes:options:)`` learns (IL, <doc:ModesAndMemory#Softmax-memory>).
public struct SoftmaxMemoryStorageOptions: Sendable, Hashable {
    /// Full-batch IL steps (default 200).
    public var epochs: Int
    /// Inference on z before each weight step, the patterns clamped (default γ 0.1, T 20).
    public var inference: InferenceOptions
    /// η, the step on the per-sample summed weight gradient Σ_i ∂F_i/∂W (default 0.5).
    public var learningRate: Double

    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for a negative epoch count or a non-positive rate.
    public init(epochs: Int = 200, inference: InferenceOptions? = nil, learningRate: Double = 0.5) throws {
        guard epochs >= 0 else { throw PCCoreError.invalidOption(name: "epochs", reason: "must be non-negative (got \(epochs))") }
        guard learningRate > 0, learningRate.isFinite else {
            throw PCCoreError.invalidOption(name: "learningRate", reason: "must be positive (got \(learningRate))")
        }
        self.epochs = epochs
        self.inference = try inference ?? InferenceOptions(stepSize: 0.1, maxIterations: 20)
        self.learningRate = learningRate
    }
}

extension SoftmaxMemory {
    /// Stores `patterns` by IL: each epoch infers the latents with every pattern clamped (warm
    /// started from the previous epoch's latents), then steps W ← W + η Σ_i ε_i s_iᵀ
    /// (−∂F/∂W summed over the batch).
    ///
    /// The starting latents `codes` choose which unit each pattern is first drawn to; with one unit
    /// per pattern, codes = α·eᵢ (a label, as in generative mode, <doc:ModesAndMemory#Generative-mode>) make column i of W converge to
    /// pattern i. The latents stay free during storage: the codes are where inference starts.
    /// - Parameters:
    ///   - patterns: the P patterns, (P × n).
    ///   - codes: the starting latents, (P × K).
    ///   - options: epochs, inference and learning rate.
    /// - Returns: the free energy (batch mean) after inference at each epoch, and the final latents (P × K).
    @discardableResult
    public mutating func store(_ patterns: Matrix<Scalar>, codes: Matrix<Scalar>, options: SoftmaxMemoryStorageOptions) throws
        -> (energies: [Double], latents: Matrix<Scalar>) {
        guard patterns.columns == patternSize else {
            throw PCCoreError.shapeMismatch(what: "patterns", expected: Shape(patterns.rows, patternSize), got: patterns.shape)
        }
        guard codes.shape == Shape(patterns.rows, units) else {
            throw PCCoreError.shapeMismatch(what: "codes", expected: Shape(patterns.rows, units), got: codes.shape)
        }
        var workspace = try SoftmaxMemoryWorkspace(for: self, batchSize: patterns.rows, traceCapacity: options.inference.maxIterations)
        try workspace.data.assign(patterns)
        try workspace.latent.assign(codes)
        var energies: [Double] = []
        for _ in 0..<options.epochs {
            let report = try settle(&workspace, options: options.inference, updateData: false)
            energies.append(report.finalEnergy)
            // IL weight step from the settled errors and rates: W += η εᵀ s.
            try Matrix.accumulateOuterProducts(workspace.predictionError, workspace.rates, alpha: Scalar(options.learningRate),
                                               into: &graph.edges[0].weight!)
        }
        return (energies, workspace.latent)
    }
}
