import PCNumerics

/// Scratch memory of inference and learning for a ``LayeredPCModel``, sized once for a model and a
/// batch size, so that no inference iteration allocates (<doc:EnergyAndInference#Workspaces>).
///
/// Arrays are indexed by layer ℓ = 0…L; each matrix is (batch × n_ℓ).
public struct LayeredWorkspace<Model: LayeredPCModel>: Sendable {
    public typealias Scalar = Model.Scalar
    /// Batch size B the workspace was sized for.
    public let batchSize: Int
    /// n₀…n_L it was sized for.
    public let sizes: [Int]
    /// r_ℓ = φ_ℓ(x_ℓ), ℓ = 0…L−1 (entry L unused).
    var rates: [Matrix<Scalar>]
    /// φ′_ℓ(x_ℓ), ℓ = 0…L−1.
    var derivatives: [Matrix<Scalar>]
    /// Π_ℓ ε_ℓ, ℓ = 1…L (used only where Π_ℓ ≠ I).
    var weightedErrors: [Matrix<Scalar>]
    /// softmax(μ_L), (B × n_L).
    var softmax: Matrix<Scalar>
    /// Per layer: feedback (∂μ_{ℓ+1}/∂r_ℓ)ᵀ ε_{ℓ+1} (ℓ = 1…L−1), ∂F/∂x_ℓ (backprop: the deltas
    /// ∂L/∂μ_ℓ, ℓ = 1…L), velocities, best and spare activities; and the energy trace.
    var buffers: SettleBuffers<Scalar>
    /// The model's kernel scratch.
    var scratch: Model.Scratch

    /// A workspace for `model` and batches of `batchSize`; `traceCapacity` bounds the iterations
    /// whose energy is recorded without allocating.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    public init(for model: Model, batchSize: Int, traceCapacity: Int = 1024) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        sizes = model.sizes
        func make() throws -> [Matrix<Scalar>] { try model.sizes.map { try Matrix(rows: batchSize, columns: $0) } }
        rates = try make(); derivatives = try make(); weightedErrors = try make()
        softmax = try Matrix(rows: batchSize, columns: model.sizes.last!)
        buffers = try SettleBuffers(sizes: model.sizes, batchSize: batchSize, traceCapacity: traceCapacity)
        scratch = try model.makeScratch(batchSize: batchSize)
    }
}

extension PCState {
    /// A zero state for a ``LayeredPCModel`` (a ``PCNetwork``, ``ConvolutionalNetwork`` or
    /// ``RecurrentNetwork``) and batches of `batchSize`: x_ℓ, μ_ℓ, ε_ℓ each (B × n_ℓ).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    public init<Model: LayeredPCModel>(for model: Model, batchSize: Int) throws where Model.Scalar == Scalar {
        try self.init(sizes: model.sizes, batchSize: batchSize)
    }
}

extension ParameterGradients {
    /// Zero gradients for parameter groups of the given weight shapes and bias lengths (nil: no
    /// bias), and per layer the log-variances of learned precisions (nil: fixed; default none).
    init(weightShapes: [Shape], biasCounts: [Int?], logVarianceCounts: [Int?] = []) throws {
        weights = try weightShapes.map { try Matrix(rows: $0.rows, columns: $0.columns) }
        biases = try biasCounts.map { try $0.map { try Vector(count: $0) } }
        logVariances = try logVarianceCounts.map { try $0.map { try Vector(count: $0) } }
    }
}
