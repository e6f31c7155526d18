import PCNumerics

/// Gradients of F_B with respect to a graph's parameters (<doc:GraphsAndMuPC#Graph-energy>):
/// ∂F_B/∂W_uv = −(a_uv/B) Σ_i (Π_v ε_iv) φ_uv(x_iu)ᵀ ⊙ M_uv, ∂F_B/∂b_v = −(1/B) Σ_i Π_v ε_iv,
/// ∂F_B/∂s_vj = (1/B) Σ_i ½ (1 − ε_ivj² e^{−s_vj}) for a learned precision.
public struct PCGraphGradients<Scalar: PCScalar>: Sendable {
    /// ∂F_B/∂W_e per edge, (n_v × n_u); `nil` for an identity edge.
    public var weights: [Matrix<Scalar>?]
    /// ∂F_B/∂b_v per node, (n_v); `nil` for a node without bias.
    public var biases: [Vector<Scalar>?]
    /// ∂F_B/∂s_v per node, (n_v); `nil` for a node whose precision is fixed.
    public var logVariances: [Vector<Scalar>?]

    /// Zero gradients shaped like `graph`'s parameters.
    public init(for graph: PCGraph<Scalar>) throws {
        weights = try graph.edges.map { edge in try edge.weight.map { try Matrix(rows: $0.rows, columns: $0.columns) } }
        biases = try graph.nodes.map { node in try node.bias.map { try Vector(count: $0.count) } }
        logVariances = try graph.nodes.map { node in node.precision.isLearned ? try Vector(count: node.size) : nil }
    }
}

extension PCGraph {
    /// Writes ∂F/∂x_v (per sample) of every node with free units into the workspace:
    /// g_v = Π_v ε_v [if v has an energy] − Σ_{e: v→t} a_e φ′_e(x_v) ⊙ ((Π_t ε_t) W_e)
    /// (identity edge: W_e = I). Errors and rates must be current.
    func activityGradients(_ state: PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>,
                           clamps: PCGraphClamps<Scalar>) throws {
        for v in nodes.indices where clamps.hasFreeUnits(v) { try activityGradient(v, state, &workspace) }
    }

    /// ∂F/∂x_v of one node into workspace.buffers.gradients[v], from the current errors and rates.
    func activityGradient(_ v: Int, _ state: PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        if hasEnergy[v] {
            try workspace.buffers.gradients[v].assign(weightedError(v, state, workspace))
        } else {
            workspace.buffers.gradients[v].fill(0)
        }
        for k in outgoingStart[v]..<outgoingStart[v + 1] {
            let e = outgoingEdges[k]
            let edge = edges[e]
            let error = weightedError(edge.target, state, workspace)
            if !edge.hasRate {
                // φ′ = 1: accumulate −a (Πε_t) W (or −a Πε_t) straight into the gradient.
                if edge.kind == .dense {
                    try Matrix.multiply(error, edge.weight!, alpha: -edge.scale, beta: 1, into: &workspace.buffers.gradients[v])
                } else {
                    try workspace.buffers.gradients[v].add(error, scaledBy: -edge.scale)
                }
            } else {
                if edge.kind == .dense {
                    try Matrix.multiply(error, edge.weight!, alpha: edge.scale, beta: 0, into: &workspace.buffers.feedback[v])
                } else {
                    try workspace.buffers.feedback[v].assign(error)
                    workspace.buffers.feedback[v].scale(by: edge.scale)
                }
                subtractDerivativeProduct(e, v, &workspace)
            }
        }
    }

    /// g_v −= φ′_e(x_v) ⊙ feedback_v, elementwise; for a softmax edge g_v −= β s ⊙ (f − ⟨s, f⟩) per sample.
    func subtractDerivativeProduct(_ e: Int, _ v: Int, _ workspace: inout PCGraphWorkspace<Scalar>) {
        let n = workspace.buffers.gradients[v].count
        if let beta = edges[e].softmaxGain {
            let columns = nodes[v].size, rows = n / columns
            let s = workspace.engine.rates[e]!, f = workspace.buffers.feedback[v]
            s.withUnsafeStorage { ps, _ in
                f.withUnsafeStorage { pf, _ in
                    workspace.buffers.gradients[v].withUnsafeMutableStorage { pg, _ in
                        for r in 0..<rows {
                            let o = r * columns
                            var mean: Scalar = 0
                            for j in 0..<columns { mean += ps[o + j] * pf[o + j] }
                            for j in 0..<columns { pg[o + j] -= beta * ps[o + j] * (pf[o + j] - mean) }
                        }
                    }
                }
            }
            return
        }
        let d = workspace.engine.derivatives[e]!, f = workspace.buffers.feedback[v]
        d.withUnsafeStorage { pd, _ in
            f.withUnsafeStorage { pf, _ in
                workspace.buffers.gradients[v].withUnsafeMutableStorage { pg, _ in for i in 0..<n { pg[i] -= pd[i] * pf[i] } }
            }
        }
    }

    /// Writes ∂F_B/∂θ of every edge and bias at the current errors and rates into `gradients`,
    /// multiplied by `scale`.
    /// - Parameters:
    ///   - state: a state whose errors are current (e.g. after ``settle(_:workspace:clamps:options:)``).
    ///   - workspace: the workspace of that settle (its rates are current).
    public func parameterGradients(_ state: PCGraphState<Scalar>, workspace: PCGraphWorkspace<Scalar>,
                                   into gradients: inout PCGraphGradients<Scalar>, scale: Scalar = 1) throws {
        try checkFit(state, workspace)
        guard gradients.weights.count == edges.count, gradients.biases.count == nodes.count, gradients.logVariances.count == nodes.count else {
            throw PCCoreError.invalidOption(name: "gradients", reason: "made for a graph of \(gradients.weights.count) edges and \(gradients.biases.count) nodes, this one has \(edges.count) and \(nodes.count)")
        }
        for v in nodes.indices where nodes[v].precision.isLearned && gradients.logVariances[v]?.count != nodes[v].size {
            throw PCCoreError.shapeMismatch(what: "log-variance gradient of \(nodes[v].name)", expected: Shape(nodes[v].size, 1),
                                            got: Shape(gradients.logVariances[v]?.count ?? 0, 1))
        }
        let inverseBatch = scale / Scalar(state.batchSize)
        for e in edges.indices where edges[e].kind == .dense {
            let edge = edges[e]
            let rate = rateOrActivity(e, state, workspace)
            try Matrix.multiply(weightedError(edge.target, state, workspace), transposeA: true, rate,
                                alpha: -edge.scale * inverseBatch, beta: 0, into: &gradients.weights[e]!)
            if let mask = edge.mask {
                let n = mask.count
                mask.withUnsafeStorage { pm, _ in
                    gradients.weights[e]!.withUnsafeMutableStorage { pg, _ in for i in 0..<n { pg[i] *= pm[i] } }
                }
            }
        }
        for v in nodes.indices where nodes[v].bias != nil {
            try weightedError(v, state, workspace).sumColumns(alpha: -inverseBatch, into: &gradients.biases[v]!)
        }
        for v in nodes.indices where nodes[v].precision.isLearned {
            writeLogVarianceGradient(errors: state.errors[v], precision: nodes[v].precision, scale: scale, into: &gradients.logVariances[v]!)
        }
    }

    /// ∂F/∂x_v of every node computed from scratch (allocates; for tests). Clamped units get zeros.
    /// - Returns: one (B × n_v) matrix per node.
    public func activityGradients(of state: inout PCGraphState<Scalar>, clamps: PCGraphClamps<Scalar>) throws -> [Matrix<Scalar>] {
        var workspace = try PCGraphWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace, clamps)
        try requireClampedCrossEntropy(clamps)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace)
        try activityGradients(state, &workspace, clamps: clamps)
        var result = workspace.buffers.gradients
        for v in nodes.indices {
            switch clamps.nodes[v] {
            case .free: break
            case .clamped: result[v].fill(0)
            case .masked(let mask):
                let n = mask.count
                mask.withUnsafeStorage { pm, _ in
                    result[v].withUnsafeMutableStorage { pg, _ in for i in 0..<n where pm[i] != 0 { pg[i] = 0 } }
                }
            }
        }
        return result
    }

    /// ∂F_B/∂θ computed from scratch at `state` (allocates; for tests).
    public func parameterGradients(of state: inout PCGraphState<Scalar>) throws -> PCGraphGradients<Scalar> {
        var workspace = try PCGraphWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try refreshAll(&state, &workspace)
        _ = try computeErrors(&state, &workspace)
        var gradients = try PCGraphGradients(for: self)
        try parameterGradients(state, workspace: workspace, into: &gradients)
        return gradients
    }
}
