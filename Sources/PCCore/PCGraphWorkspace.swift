import PCNumerics

/// The workspace of a ``PCGraph``: the one workspace type, ``PCWorkspace``, for a graph (per-node
/// arrays (B × n_v)).
public typealias PCGraphWorkspace<Scalar: PCScalar> = PCWorkspace<PCGraph<Scalar>>

/// A graph's own part of its ``PCWorkspace``: per edge u → v, arrays (B × n_u) of the edge's source.
public struct GraphBuffers<Scalar: PCScalar>: Sendable {
    /// φ_uv(x_u) per edge; `nil` for an identity activation (x_u itself is used).
    var rates: [Matrix<Scalar>?]
    /// φ′_uv(x_u) per edge; `nil` for an identity activation (φ′ = 1). For a softmax edge, β x_u (scratch).
    var derivatives: [Matrix<Scalar>?]
    /// Per edge: whether its source has free units in the current settle (its rates change).
    var edgeMoves: [Bool]
    /// Per node: whether an incoming edge moves (its prediction changes).
    var predictionMoves: [Bool]
    /// softmax(μ_v) of each cross-entropy node, `nil` for Gaussian nodes.
    var softmax: [Matrix<Scalar>?]

    init(for graph: PCGraph<Scalar>, batchSize: Int) throws {
        rates = try graph.edges.map { !$0.hasRate ? nil : try Matrix(rows: batchSize, columns: graph.sizes[$0.source]) }
        derivatives = try graph.edges.map { !$0.hasRate ? nil : try Matrix(rows: batchSize, columns: graph.sizes[$0.source]) }
        edgeMoves = [Bool](repeating: true, count: graph.edges.count)
        predictionMoves = [Bool](repeating: true, count: graph.nodes.count)
        softmax = try graph.nodes.indices.map { graph.crossEntropy[$0] ? try Matrix(rows: batchSize, columns: graph.nodes[$0].size) : nil }
    }
}
