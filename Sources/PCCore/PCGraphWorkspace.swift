import PCNumerics

/// Scratch memory of inference and learning on a ``PCGraph``, sized once for a graph and a batch
/// size, so that no inference iteration allocates (<doc:EnergyAndInference#Workspaces>).
///
/// Per-node arrays are (B × n_v); per-edge arrays (B × n_u) of the edge's source u.
public struct PCGraphWorkspace<Scalar: PCScalar>: Sendable {
    /// Batch size B.
    public let batchSize: Int
    /// Node sizes it was sized for.
    public let sizes: [Int]
    /// φ_uv(x_u) per edge; `nil` for an identity activation (x_u itself is used).
    var rates: [Matrix<Scalar>?]
    /// φ′_uv(x_u) per edge; `nil` for an identity activation (φ′ = 1). For a softmax edge, β x_u (scratch).
    var derivatives: [Matrix<Scalar>?]
    /// Π_v ε_v per node (used only where Π_v ≠ I).
    var weightedErrors: [Matrix<Scalar>]
    /// Per node: feedback a (Π_v ε_v) W_uv to a source node, ∂F/∂x_v, velocities, best and spare
    /// activities; and the energy trace.
    var buffers: SettleBuffers<Scalar>
    /// Per edge: whether its source has free units in the current settle (its rates change).
    var edgeMoves: [Bool]
    /// Per node: whether an incoming edge moves (its prediction changes).
    var predictionMoves: [Bool]

    /// A workspace for `graph` and batches of `batchSize`; `traceCapacity` iterations are recorded
    /// without allocating.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    public init(for graph: PCGraph<Scalar>, batchSize: Int, traceCapacity: Int = 1024) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        sizes = graph.sizes
        func make() throws -> [Matrix<Scalar>] { try graph.sizes.map { try Matrix(rows: batchSize, columns: $0) } }
        rates = try graph.edges.map { !$0.hasRate ? nil : try Matrix(rows: batchSize, columns: graph.sizes[$0.source]) }
        derivatives = rates
        weightedErrors = try make()
        buffers = try SettleBuffers(sizes: graph.sizes, batchSize: batchSize, traceCapacity: traceCapacity)
        edgeMoves = [Bool](repeating: true, count: graph.edges.count)
        predictionMoves = [Bool](repeating: true, count: graph.nodes.count)
    }
}
