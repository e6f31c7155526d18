import PCNumerics

/// A node of a ``PCGraph``: a group of `size` value units x_v, with an optional bias b_v and the
/// precision Π_v of its prediction error.
///
/// A node has an energy ½ ε_vᵀ Π_v ε_v (ε_v = x_v − μ_v) when it has at least one incoming edge or
/// a bias; a parentless node without bias contributes nothing (<doc:GraphsAndMuPC#Graph-energy>: only nodes with a
/// prior count — the bias of a parentless node is its prior mean).
public struct PCGraphNode<Scalar: PCScalar>: Sendable, Equatable {
    /// A name for messages and diagnostics (e.g. "input", "z12").
    public let name: String
    /// n_v, the number of units.
    public let size: Int
    /// b_v, (n_v), or `nil`.
    public internal(set) var bias: Vector<Scalar>?
    /// Π_v: fixed (identity, scalar or diagonal) or learned (a log-variance per unit, updated by
    /// ``PCLearner`` or ``PCGraph/updatePrecisions(_:learningRate:)``).
    public internal(set) var precision: LayerPrecision<Scalar>
    /// The node's energy: Gaussian, ½ ε_vᵀ Π_v ε_v (the default), or cross-entropy,
    /// −y_vᵀ log softmax(μ_v) with the node's activities holding the target y_v (a class output);
    /// its error is then ε_v = y_v − softmax(μ_v), and the node must be clamped.
    public let energy: OutputEnergy

    /// - Parameters:
    ///   - precision: Π_v (default identity); `.learnedLogVariance` adds ½ Σ_j s_j per sample to the
    ///     node's energy and is learned (the node needs an incoming edge or a bias).
    ///   - energy: Gaussian (`.squaredError`, default) or `.crossEntropy` (identity precision only;
    ///     the node needs an incoming edge or a bias, and is clamped to its target during inference).
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for a non-positive size, a bias of the wrong
    ///   length or a cross-entropy node with a precision, ``PCCoreError/invalidOption(name:reason:)`` for an invalid precision.
    public init(name: String, size: Int, bias: Vector<Scalar>? = nil, precision: PrecisionSpecification = .identity,
                energy: OutputEnergy = .squaredError) throws {
        try self.init(name: name, size: size, bias: bias, layerPrecision: LayerPrecision(precision, size: max(size, 1)), energy: energy)
    }

    /// A node with a precision as it stands (a layer's learned log-variances included).
    init(name: String, size: Int, bias: Vector<Scalar>?, layerPrecision: LayerPrecision<Scalar>, energy: OutputEnergy = .squaredError) throws {
        guard size >= 1 else { throw PCCoreError.invalidArchitecture("node \(name) needs a positive size (got \(size))") }
        if let bias, bias.count != size {
            throw PCCoreError.invalidArchitecture("node \(name): bias has \(bias.count) entries for \(size) units")
        }
        guard layerPrecision.count == size else {
            throw PCCoreError.invalidArchitecture("node \(name): precision has \(layerPrecision.count) values for \(size) units")
        }
        if energy == .crossEntropy, !layerPrecision.isIdentity {
            throw PCCoreError.invalidArchitecture("node \(name): a cross-entropy energy has no precision (use the identity)")
        }
        (self.name, self.size, self.bias, self.precision, self.energy) = (name, size, bias, layerPrecision, energy)
    }
}

/// What an edge u → v carries.
public enum PCGraphEdgeKind: Sendable, Hashable, Codable {
    /// A learned weight matrix W_uv, (n_v × n_u).
    case dense
    /// A fixed identity map (a residual skip); needs n_u = n_v.
    case identity
}

/// A directed edge u → v of a ``PCGraph``: it adds a_uv W_uv φ_uv(x_u) to the prediction μ_v
/// (<doc:GraphsAndMuPC#Graph-energy>), or a_uv φ_uv(x_u) for an identity edge.
///
/// A mask M_uv ∈ {0, 1}^(n_v × n_u) removes connections: masked weights are zero from the start and
/// their gradients are zeroed, so they never change (the masked N×N form, <doc:GraphsAndMuPC#Masked-form>, is one node with a
/// masked self-edge).
public struct PCGraphEdge<Scalar: PCScalar>: Sendable, Equatable {
    /// u, the index of the presynaptic node.
    public let source: Int
    /// v, the index of the node predicted.
    public let target: Int
    /// Dense (learned) or identity (fixed skip).
    public let kind: PCGraphEdgeKind
    /// φ_uv, applied to x_u before the weight.
    public let activation: Activation
    /// a_uv, the fixed multiplier of the edge (1 in the standard parameterisation; μPC: <doc:GraphsAndMuPC#Residual-parameterisation>).
    public let scale: Scalar
    /// β of a competitive rate, or `nil`. When set, the edge carries φ_uv(x_u) = softmax(β x_u) per
    /// sample (instead of an elementwise activation, which is then the identity); its Jacobian is
    /// β (diag(s) − s sᵀ), so the feedback to x_u is β s ⊙ (f − ⟨s, f⟩) for f = a (Π_v ε_v) W_uv.
    /// This is the latent of a PC modern-Hopfield memory (see ``SoftmaxMemory``).
    public let softmaxGain: Scalar?
    /// W_uv, (n_v × n_u); `nil` for an identity edge. Set through ``setWeight(_:)`` so the mask holds.
    public internal(set) var weight: Matrix<Scalar>?
    /// M_uv, (n_v × n_u) of 0s and 1s, or `nil` for a full connection.
    public let mask: Matrix<Scalar>?

    /// A dense edge.
    /// - Parameters:
    ///   - weight: W_uv, (n_v × n_u); entries where `mask` is 0 are set to 0.
    ///   - mask: M_uv, same shape, 0 or 1 (default none).
    ///   - scale: a_uv (default 1).
    ///   - softmaxGain: β of a competitive rate softmax(β x_u) (default `nil`: the elementwise `activation`).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for a non-finite scale, a non-binary mask,
    ///   or a softmax gain that is not positive or comes with a non-identity activation.
    public init(from source: Int, to target: Int, weight: Matrix<Scalar>, activation: Activation = .identity,
                scale: Double = 1, mask: Matrix<Scalar>? = nil, softmaxGain: Double? = nil) throws {
        guard scale.isFinite else { throw PCCoreError.invalidOption(name: "scale", reason: "must be finite (got \(scale))") }
        if let softmaxGain {
            guard softmaxGain > 0, softmaxGain.isFinite else {
                throw PCCoreError.invalidOption(name: "softmaxGain", reason: "must be positive (got \(softmaxGain))")
            }
            guard activation == .identity else {
                throw PCCoreError.invalidOption(name: "softmaxGain", reason: "a softmax rate replaces the activation (got \(activation))")
            }
        }
        if let mask {
            guard mask.shape == weight.shape else { throw PCCoreError.shapeMismatch(what: "edge mask", expected: weight.shape, got: mask.shape) }
            guard mask.elements.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw PCCoreError.invalidOption(name: "mask", reason: "entries must be 0 or 1")
            }
        }
        self.init(source: source, target: target, kind: .dense, activation: activation, scale: Scalar(scale),
                  softmaxGain: softmaxGain.map { Scalar($0) }, mask: mask, weight: weight)
        applyMask()
    }

    /// An identity (skip) edge: adds a_uv φ_uv(x_u) to μ_v.
    public init(identityFrom source: Int, to target: Int, activation: Activation = .identity, scale: Double = 1) throws {
        guard scale.isFinite else { throw PCCoreError.invalidOption(name: "scale", reason: "must be finite (got \(scale))") }
        self.init(source: source, target: target, kind: .identity, activation: activation, scale: Scalar(scale),
                  softmaxGain: nil, mask: nil, weight: nil)
    }

    /// Every field as given (the public initialisers check them first).
    private init(source: Int, target: Int, kind: PCGraphEdgeKind, activation: Activation, scale: Scalar,
                 softmaxGain: Scalar?, mask: Matrix<Scalar>?, weight: Matrix<Scalar>?) {
        self.source = source; self.target = target; self.kind = kind; self.activation = activation
        self.scale = scale; self.softmaxGain = softmaxGain; self.mask = mask; self.weight = weight
    }

    /// Replaces W_uv; masked entries are set to zero.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` for another shape, ``PCCoreError/unsupported(_:)`` on an identity edge.
    public mutating func setWeight(_ newWeight: Matrix<Scalar>) throws {
        guard let weight else { throw PCCoreError.unsupported("an identity edge has no weight") }
        guard newWeight.shape == weight.shape else { throw PCCoreError.shapeMismatch(what: "edge weight", expected: weight.shape, got: newWeight.shape) }
        self.weight = newWeight
        applyMask()
    }

    /// Whether the edge has a rate buffer φ_uv(x_u) (a non-identity activation or a softmax).
    var hasRate: Bool { activation != .identity || softmaxGain != nil }

    /// W ← M ⊙ W.
    mutating func applyMask() {
        guard let mask, weight != nil else { return }
        let n = mask.count
        mask.withUnsafeStorage { pm, _ in
            weight!.withUnsafeMutableStorage { pw, _ in for i in 0..<n where pm[i] == 0 { pw[i] = 0 } }
        }
    }
}

/// A predictive-coding network on an arbitrary directed graph (cycles allowed): the model,
/// immutable during inference (<doc:GraphsAndMuPC#Graph-energy>).
///
/// Per sample, μ_v = Σ_{edges u→v} a_uv W_uv φ_uv(x_u) + b_v, ε_v = x_v − μ_v and
/// F = Σ_v ½ ε_vᵀ Π_v ε_v over the nodes with an energy. Any set of units can be clamped
/// (``PCGraphClamps``); the rest are inferred by gradient descent on F. A layered ``PCNetwork`` is the
/// chain 0 → 1 → … → L (``init(layered:)``); the μPC residual network is a graph too
/// (``ResidualNetwork``).
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let memory = try PCGraph<Double>.fullyConnected(size: 96, activation: .tanh, using: &rng)
/// ```
public struct PCGraph<Scalar: PCScalar>: Sendable, Equatable {
    /// The nodes, indexed 0..<nodes.count.
    public private(set) var nodes: [PCGraphNode<Scalar>]
    /// The edges; weights change by learning, structure never.
    public internal(set) var edges: [PCGraphEdge<Scalar>]
    /// The edges into each node, by edge index. (nodes.count)
    public let incoming: [[Int]]
    /// The edges out of each node, by edge index. (nodes.count)
    public let outgoing: [[Int]]
    /// Whether each node has an energy term (an incoming edge or a bias). (nodes.count)
    public let hasEnergy: [Bool]
    /// Whether each node's energy is cross-entropy (read in every iteration). (nodes.count)
    let crossEntropy: [Bool]
    /// `incoming` flattened (CSR): the edges into node v are `incomingEdges[incomingStart[v]..<incomingStart[v + 1]]`.
    /// Hot loops index these flat arrays (iterating a nested array allocates in debug builds).
    let incomingEdges: [Int], incomingStart: [Int]
    /// `outgoing` flattened the same way.
    let outgoingEdges: [Int], outgoingStart: [Int]
    /// A topological order of the nodes when the graph is acyclic, `nil` when it has a cycle
    /// (a self-edge counts as a cycle).
    public let topologicalOrder: [Int]?
    /// The order of a SeqIL sweep (<doc:GraphsAndMuPC#Sequential-inference-on-a-graph>): the
    /// topological order reversed (predicted nodes before the nodes predicting them, as a layered
    /// network's top-down sweep), or the node indices from last to first on a graph with a cycle.
    public let sweepOrder: [Int]

    /// A graph from its nodes and edges.
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for an edge naming a missing node, a weight
    ///   whose shape is not (n_v × n_u), or an identity edge between nodes of different sizes.
    public init(nodes: [PCGraphNode<Scalar>], edges: [PCGraphEdge<Scalar>]) throws {
        guard !nodes.isEmpty else { throw PCCoreError.invalidArchitecture("a graph needs at least one node") }
        var incoming = [[Int]](repeating: [], count: nodes.count)
        var outgoing = [[Int]](repeating: [], count: nodes.count)
        for (e, edge) in edges.enumerated() {
            guard nodes.indices.contains(edge.source), nodes.indices.contains(edge.target) else {
                throw PCCoreError.invalidArchitecture("edge \(e) joins \(edge.source) → \(edge.target), but there are \(nodes.count) nodes")
            }
            let (u, v) = (nodes[edge.source], nodes[edge.target])
            switch edge.kind {
            case .dense:
                guard edge.weight!.shape == Shape(v.size, u.size) else {
                    throw PCCoreError.invalidArchitecture("edge \(u.name) → \(v.name): weight is \(edge.weight!.shape), expected \(Shape(v.size, u.size))")
                }
            case .identity:
                guard u.size == v.size else {
                    throw PCCoreError.invalidArchitecture("identity edge \(u.name) → \(v.name) joins \(u.size) to \(v.size) units")
                }
            }
            incoming[edge.target].append(e)
            outgoing[edge.source].append(e)
        }
        self.nodes = nodes
        self.edges = edges
        self.incoming = incoming
        self.outgoing = outgoing
        incomingEdges = incoming.flatMap { $0 }
        incomingStart = incoming.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        outgoingEdges = outgoing.flatMap { $0 }
        outgoingStart = outgoing.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        hasEnergy = nodes.indices.map { !incoming[$0].isEmpty || nodes[$0].bias != nil }
        crossEntropy = nodes.map { $0.energy == .crossEntropy }
        for v in nodes.indices where crossEntropy[v] && !hasEnergy[v] {
            throw PCCoreError.invalidArchitecture("node \(nodes[v].name) has a cross-entropy energy but no incoming edge or bias, so no prediction to score; give it a parent")
        }
        for v in nodes.indices where nodes[v].precision.isLearned && !hasEnergy[v] {
            throw PCCoreError.invalidArchitecture("node \(nodes[v].name) learns its precision but has no incoming edge or bias, so no error to weigh; give it a parent or a bias, or a fixed precision")
        }
        let order = Self.sort(nodeCount: nodes.count, edges: edges, incoming: incoming)
        topologicalOrder = order
        sweepOrder = order.map { Array($0.reversed()) } ?? Array(nodes.indices.reversed())
    }

    /// Kahn's algorithm; `nil` when a cycle remains.
    private static func sort(nodeCount: Int, edges: [PCGraphEdge<Scalar>], incoming: [[Int]]) -> [Int]? {
        var remaining = incoming.map(\.count)
        var ready = (0..<nodeCount).filter { remaining[$0] == 0 }
        var order: [Int] = []
        var outgoing = [[Int]](repeating: [], count: nodeCount)
        for edge in edges { outgoing[edge.source].append(edge.target) }
        while let u = ready.popLast() {
            order.append(u)
            for v in outgoing[u] {
                remaining[v] -= 1
                if remaining[v] == 0 { ready.append(v) }
            }
        }
        return order.count == nodeCount ? order : nil
    }

    /// Node sizes n_v. (nodes.count)
    public var sizes: [Int] { nodes.map(\.size) }
    /// Whether the graph has no directed cycle.
    public var isAcyclic: Bool { topologicalOrder != nil }
    /// The number of trainable parameters (unmasked weights, biases and learned log-variances).
    public var parameterCount: Int {
        edges.reduce(0) { total, edge in
            guard let w = edge.weight else { return total }
            return total + (edge.mask.map { m in m.elements.reduce(0) { $0 + Int($1) } } ?? w.count)
        } + nodes.reduce(0) { $0 + ($1.bias?.count ?? 0) + ($1.precision.isLearned ? $1.size : 0) }
    }

    /// Replaces the weight of edge `e` (masked entries are zeroed).
    public mutating func setWeight(_ weight: Matrix<Scalar>, ofEdge e: Int) throws {
        try edges[e].setWeight(weight)
    }

    /// Replaces the bias of node `v`.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` or ``PCCoreError/unsupported(_:)`` (a node without bias).
    public mutating func setBias(_ bias: Vector<Scalar>, ofNode v: Int) throws {
        guard let old = nodes[v].bias else { throw PCCoreError.unsupported("node \(nodes[v].name) has no bias") }
        guard old.count == bias.count else { throw PCCoreError.shapeMismatch(what: "bias of \(nodes[v].name)", expected: Shape(old.count, 1), got: Shape(bias.count, 1)) }
        nodes[v].bias = bias
    }

    /// s_v ← clamp(s_v − α_s ∂F_B/∂s_v, [−10, 10]) for every node whose precision is learned
    /// (<doc:LearningRules#Learned-precisions>); allocates nothing.
    /// - Parameters:
    ///   - gradients: gradients whose `logVariances` are set (``parameterGradients(_:workspace:into:scale:)``).
    ///   - learningRate: α_s ≥ 0 (``LearningOptions/precisionLearningRate``).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` for gradients of another graph.
    public mutating func updatePrecisions(_ gradients: PCGraphGradients<Scalar>, learningRate: Double) throws {
        guard gradients.logVariances.count == nodes.count else {
            throw PCCoreError.shapeMismatch(what: "log-variance gradients (nodes)", expected: Shape(nodes.count, 1), got: Shape(gradients.logVariances.count, 1))
        }
        for v in nodes.indices where nodes[v].precision.isLearned {
            guard let g = gradients.logVariances[v], g.count == nodes[v].size else {
                throw PCCoreError.shapeMismatch(what: "log-variance gradient of \(nodes[v].name)", expected: Shape(nodes[v].size, 1),
                                                got: Shape(gradients.logVariances[v]?.count ?? 0, 1))
            }
            nodes[v].precision.descend(g, learningRate: Scalar(learningRate))
        }
    }

    /// Mutable access to node biases for optimisers.
    mutating func withBias(_ v: Int, _ body: (inout Vector<Scalar>) -> Void) {
        if nodes[v].bias != nil { body(&nodes[v].bias!) }
    }
}
