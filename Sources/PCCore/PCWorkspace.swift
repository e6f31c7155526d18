import PCNumerics

/// Scratch memory of inference and learning, sized once for a model and a batch size, so that no
/// inference iteration and no learning step allocates (<doc:EnergyAndInference#Workspaces>): the one
/// workspace type of every engine. ``InferenceWorkspace`` (a ``PCNetwork``'s), ``LayeredWorkspace``
/// (a ``ConvolutionalNetwork``'s or ``RecurrentNetwork``'s) and ``PCGraphWorkspace`` (a ``PCGraph``'s)
/// are this type for their model.
///
/// Per-node arrays are indexed by layer ℓ = 0…L (or node v), each (B × n_ℓ); what only one engine
/// needs (a layered model's rates and kernel scratch, a graph's per-edge rates) sits in ``engine``.
///
/// ```swift
/// var workspace = try PCWorkspace(for: network, batchSize: 64)   // or InferenceWorkspace(for: network, …)
/// ```
public struct PCWorkspace<Model: TrainablePCModel>: Sendable {
    public typealias Scalar = Model.Scalar
    /// Batch size B the workspace was sized for.
    public let batchSize: Int
    /// The node sizes n₀…n_L (or n_v) it was sized for.
    public let sizes: [Int]
    /// Π_ℓ ε_ℓ per layer or node (used only where Π_ℓ ≠ I).
    var weightedErrors: [Matrix<Scalar>]
    /// Per layer or node: feedback, ∂F/∂x, velocities, best and spare activities; and the energy trace.
    var buffers: SettleBuffers<Scalar>
    /// The engine's own buffers (rates, derivatives, kernel scratch).
    var engine: Model.EngineBuffers

    /// A workspace for `model` and batches of `batchSize`; `traceCapacity` iterations' energies are
    /// recorded without allocating.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    public init(for model: Model, batchSize: Int, traceCapacity: Int = 1024) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        sizes = model.sizes
        weightedErrors = try sizes.map { try Matrix(rows: batchSize, columns: $0) }
        buffers = try SettleBuffers(sizes: sizes, batchSize: batchSize, traceCapacity: traceCapacity)
        engine = try model.makeEngineBuffers(batchSize: batchSize)
    }
}
