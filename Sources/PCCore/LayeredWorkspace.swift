import PCNumerics

/// The workspace of a ``LayeredPCModel`` (a ``ConvolutionalNetwork``, ``RecurrentNetwork`` or
/// ``PCNetwork``): the one workspace type, ``PCWorkspace``, for that model.
public typealias LayeredWorkspace<Model: LayeredPCModel> = PCWorkspace<Model>

/// A layered model's own part of its ``PCWorkspace``, indexed by layer ℓ = 0…L, each (B × n_ℓ).
public struct LayeredBuffers<Model: LayeredPCModel>: Sendable {
    public typealias Scalar = Model.Scalar
    /// r_ℓ = φ_ℓ(x_ℓ), ℓ = 0…L−1 (entry L unused).
    var rates: [Matrix<Scalar>]
    /// φ′_ℓ(x_ℓ), ℓ = 0…L−1.
    var derivatives: [Matrix<Scalar>]
    /// softmax(μ_L), (B × n_L).
    var softmax: Matrix<Scalar>
    /// The model's kernel scratch (im2col buffers, max-pooling positions).
    var scratch: Model.Scratch

    init(for model: Model, batchSize: Int) throws {
        rates = try model.sizes.map { try Matrix(rows: batchSize, columns: $0) }
        derivatives = try model.sizes.map { try Matrix(rows: batchSize, columns: $0) }
        softmax = try Matrix(rows: batchSize, columns: model.sizes.last!)
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
