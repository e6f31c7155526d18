import PCNumerics

/// How one node of a ``PCGraph`` takes part in inference.
public enum NodeClamp<Scalar: PCScalar>: Sendable, Equatable {
    /// Every unit is inferred.
    case free
    /// Every unit keeps the value in the state (data, a target, a label).
    case clamped
    /// Units where `mask` is 1 are clamped, those where it is 0 inferred; `mask` is (B × n_v) of 0s and 1s
    /// (the masked N×N form clamps a subset of one node's units).
    case masked(Matrix<Scalar>)
}

/// Which units of a graph are clamped: one ``NodeClamp`` per node (the mode, <doc:ModesAndMemory#Clamp-patterns>).
public struct PCGraphClamps<Scalar: PCScalar>: Sendable, Equatable {
    /// The role of each node. (nodes.count)
    public var nodes: [NodeClamp<Scalar>]

    /// Clamps the nodes in `clamped`, leaves the others free.
    public init(nodeCount: Int, clamped: Set<Int>) {
        nodes = (0..<nodeCount).map { clamped.contains($0) ? .clamped : .free }
    }

    /// One role per node.
    public init(_ nodes: [NodeClamp<Scalar>]) { self.nodes = nodes }

    /// Whether node `v` has at least one free unit.
    func hasFreeUnits(_ v: Int) -> Bool {
        if case .clamped = nodes[v] { return false }
        return true
    }
}

/// The state of inference on a graph: the one state type, ``PCState``, indexed by node
/// (activities x_v, predictions μ_v and errors ε_v, each (B × n_v)).
public typealias PCGraphState<Scalar: PCScalar> = PCState<Scalar>

extension PCState {
    /// A zero state for `graph` and batches of `batchSize`: one (B × n_v) matrix per node.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    public init(for graph: PCGraph<Scalar>, batchSize: Int) throws {
        try self.init(sizes: graph.sizes, batchSize: batchSize)
    }

    /// Draws the free units of every node from N(0, σ²) (<doc:GraphsAndMuPC#Graph-energy>: with cycles there is no feedforward
    /// state, so inference starts from small noise); clamped units keep their values.
    /// - Parameters:
    ///   - clamps: which units are free.
    ///   - standardDeviation: σ (0.05 is typical).
    ///   - generator: the seeded source of the draws.
    public mutating func randomizeFreeUnits(_ clamps: PCGraphClamps<Scalar>, standardDeviation: Double,
                                            using generator: inout Xoshiro256) {
        for v in activities.indices {
            let n = activities[v].count
            switch clamps.nodes[v] {
            case .clamped: continue
            case .free:
                activities[v].withUnsafeMutableStorage { p, _ in
                    for i in 0..<n { p[i] = Scalar(standardDeviation * generator.nextNormal()) }
                }
            case .masked(let mask):
                mask.withUnsafeStorage { pm, _ in
                    activities[v].withUnsafeMutableStorage { p, _ in
                        for i in 0..<n where pm[i] == 0 { p[i] = Scalar(standardDeviation * generator.nextNormal()) }
                    }
                }
            }
        }
    }
}
