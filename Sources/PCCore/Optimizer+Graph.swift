import PCNumerics

// The core's optimisers applied to a graph's parameter tensors (edge weights and node biases).
// The same update rules; only the tensor bookkeeping differs from the layered network's.

extension Optimizer {
    /// A fresh optimiser for `graph`'s dense edge weights and node biases (in that order: edges, then nodes).
    /// MQ keeps one scalar per tensor (each edge weight and each bias is its own matrix).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for bad hyper-parameters.
    public init(_ kind: OptimizerKind, for graph: PCGraph<Scalar>) throws {
        try kind.validate()
        let counts = graph.edges.compactMap { $0.weight?.count } + graph.nodes.compactMap { $0.bias?.count }
        switch kind {
        case .sgd:
            self.init(kind: kind, stepCount: 0, firstMoments: [], secondMoments: [], layerScales: [])
        case .momentum:
            self.init(kind: kind, stepCount: 0, firstMoments: counts.map { [Scalar](repeating: 0, count: $0) }, secondMoments: [], layerScales: [])
        case .adam, .adamW:
            let zeros = counts.map { [Scalar](repeating: 0, count: $0) }
            self.init(kind: kind, stepCount: 0, firstMoments: zeros, secondMoments: zeros, layerScales: [])
        case .mq(let alpha, _, _, _, _):
            self.init(kind: kind, stepCount: 0, firstMoments: [], secondMoments: [],
                      layerScales: [Double](repeating: alpha, count: counts.count))
        }
    }

    /// Applies one update to `graph`'s weights and biases from `gradients` (∂F_B/∂θ).
    /// Masked weights have zero gradients, so no rule moves them (Adam's moments stay 0; AdamW's
    /// decay of a zero weight is zero).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` before touching anything when
    ///   `gradients` or this optimiser's state were made for another graph (the update loops index
    ///   the parameters, gradients and moments without bounds checks).
    public mutating func step(_ graph: inout PCGraph<Scalar>, gradients: PCGraphGradients<Scalar>) throws {
        try checkFits(graph, gradients)
        stepCount += 1
        var slot = 0
        for e in graph.edges.indices where graph.edges[e].weight != nil {
            let g = gradients.weights[e]!
            graph.edges[e].weight!.withUnsafeMutableStorage { p, _ in
                g.withUnsafeStorage { pg, _ in updateTensor(p, pg, g.count, slot: slot) }
            }
            slot += 1
        }
        for v in graph.nodes.indices where graph.nodes[v].bias != nil {
            let g = gradients.biases[v]!
            graph.withBias(v) { bias in
                bias.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { pg in updateTensor(p.baseAddress!, pg.baseAddress!, g.count, slot: slot) }
                }
            }
            slot += 1
        }
    }

    /// Checks `gradients` and the optimiser's state against `graph`'s parameter tensors (no allocation).
    func checkFits(_ graph: PCGraph<Scalar>, _ gradients: PCGraphGradients<Scalar>) throws {
        guard gradients.weights.count == graph.edges.count, gradients.biases.count == graph.nodes.count else {
            throw PCCoreError.shapeMismatch(what: "graph gradients (edges, nodes)", expected: Shape(graph.edges.count, graph.nodes.count),
                                            got: Shape(gradients.weights.count, gradients.biases.count))
        }
        var slot = 0
        func check(_ count: Int, _ gradientCount: Int?, _ what: String) throws {
            guard gradientCount == count else {
                throw PCCoreError.shapeMismatch(what: "gradient of \(what)", expected: Shape(count, 1), got: Shape(gradientCount ?? 0, 1))
            }
            let moments = (firstMoments.isEmpty || (slot < firstMoments.count && firstMoments[slot].count == count))
                && (secondMoments.isEmpty || (slot < secondMoments.count && secondMoments[slot].count == count))
                && (layerScales.isEmpty || slot < layerScales.count)
            guard moments else {
                throw PCCoreError.shapeMismatch(what: "optimiser state of \(what)", expected: Shape(count, 1),
                                                got: Shape(slot < firstMoments.count ? firstMoments[slot].count : 0, 1))
            }
            slot += 1
        }
        for e in graph.edges.indices {
            guard let w = graph.edges[e].weight else { continue }
            guard gradients.weights[e]?.shape == w.shape else {
                throw PCCoreError.shapeMismatch(what: "gradient of edge \(e)", expected: w.shape, got: gradients.weights[e]?.shape ?? Shape(0, 0))
            }
            try check(w.count, gradients.weights[e]?.count, "edge \(e)")
        }
        for v in graph.nodes.indices {
            guard let b = graph.nodes[v].bias else { continue }
            try check(b.count, gradients.biases[v]?.count, "the bias of \(graph.nodes[v].name)")
        }
    }

    /// One tensor's update; MQ's per-tensor scale here, the other rules through the core's update.
    private mutating func updateTensor(_ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ n: Int, slot: Int) {
        guard case .mq(let alpha, let r, let lrMin, let rhoMax, let warmUp) = kind else {
            update(p, g, n, slot: slot)
            return
        }
        let ramp = warmUp > 0 ? min(1, Double(stepCount) / Double(warmUp)) : 1
        let eta = Scalar(ramp * (alpha / (layerScales[slot] + r) + lrMin))
        var absSum = 0.0
        for i in 0..<n { p[i] -= eta * g[i]; absSum += Double(abs(g[i])) }
        let count = Double(stepCount)
        let rho = min(count / (count + 1), rhoMax)
        layerScales[slot] = rho * layerScales[slot] + (1 - rho) * absSum / Double(n)
    }
}
