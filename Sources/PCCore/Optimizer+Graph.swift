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
    public mutating func step(_ graph: inout PCGraph<Scalar>, gradients: PCGraphGradients<Scalar>) {
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
