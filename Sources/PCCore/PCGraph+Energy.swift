import PCNumerics

// Energy on a graph: rates φ(x_u), predictions μ_v, errors ε_v and F (PCCore article GraphsAndMuPC, section Graph energy).
// Everything here writes into the state and workspace and allocates nothing.

extension PCGraph {
    /// Refreshes φ_uv(x_u) and φ′_uv(x_u) of edge `e` (nothing for an identity activation; s = softmax(β x_u) for a softmax edge).
    func refreshRates(_ e: Int, _ state: PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        let edge = edges[e]
        guard edge.hasRate else { return }
        if let beta = edge.softmaxGain {
            // s = softmax(β x_u), row-wise; β x_u goes through the derivative buffer.
            let n = state.activities[edge.source].count
            state.activities[edge.source].withUnsafeStorage { px, _ in
                workspace.engine.derivatives[e]!.withUnsafeMutableStorage { pb, _ in for i in 0..<n { pb[i] = beta * px[i] } }
            }
            try workspace.engine.derivatives[e]!.softmaxRows(into: &workspace.engine.rates[e]!)
            return
        }
        try state.activities[edge.source].apply(edge.activation, into: &workspace.engine.rates[e]!)
        try state.activities[edge.source].applyDerivative(edge.activation, into: &workspace.engine.derivatives[e]!)
    }

    /// μ_v = Σ_{e: u→v} a_e φ_e(x_u) W_eᵀ + b_v (batch in rows), from current rates.
    func refreshPrediction(_ v: Int, _ state: inout PCGraphState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>) throws {
        guard hasEnergy[v] else { return }
        let columns = nodes[v].size
        if let bias = nodes[v].bias {
            bias.withUnsafeBufferPointer { pb in
                state.predictions[v].withUnsafeMutableStorage { pm, _ in
                    for r in 0..<state.batchSize { (pm + r * columns).update(from: pb.baseAddress!, count: columns) }
                }
            }
        } else {
            state.predictions[v].fill(0)
        }
        for k in incomingStart[v]..<incomingStart[v + 1] {
            let e = incomingEdges[k]
            let edge = edges[e]
            let rate = rateOrActivity(e, state, workspace)
            switch edge.kind {
            case .dense:
                try Matrix.multiply(rate, edge.weight!, transposeB: true, alpha: edge.scale, beta: 1, into: &state.predictions[v])
            case .identity:
                try state.predictions[v].add(rate, scaledBy: edge.scale)
            }
        }
    }

    /// φ_e(x_u) of edge `e`: its rate buffer, or x_u itself for an identity activation.
    func rateOrActivity(_ e: Int, _ state: PCGraphState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>) -> Matrix<Scalar> {
        if let rate = workspace.engine.rates[e] { return rate }
        return state.activities[edges[e].source]
    }

    /// Refreshes every rate and prediction from the current activities.
    func refreshAll(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        for e in edges.indices { try refreshRates(e, state, &workspace) }
        for v in nodes.indices { try refreshPrediction(v, &state, workspace) }
    }

    /// Refreshes the rates of edges whose source moves and the predictions they feed
    /// (flags set by ``markMoving(_:_:)``).
    func refreshMoving(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        for e in edges.indices where workspace.engine.edgeMoves[e] { try refreshRates(e, state, &workspace) }
        for v in nodes.indices where workspace.engine.predictionMoves[v] { try refreshPrediction(v, &state, workspace) }
    }

    /// Marks which edges' rates and which predictions change when the free units move.
    func markMoving(_ clamps: PCGraphClamps<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) {
        for v in nodes.indices { workspace.engine.predictionMoves[v] = false }
        for e in edges.indices {
            let moves = clamps.hasFreeUnits(edges[e].source)
            workspace.engine.edgeMoves[e] = moves
            if moves { workspace.engine.predictionMoves[edges[e].target] = true }
        }
    }

    /// The feedforward initialisation of an acyclic graph (the feedforward start generalised): in topological order,
    /// the free units of every node with an energy take x_v = μ_v; clamped units and parentless
    /// free nodes keep their values. Leaves every rate and prediction current (each edge's rate is
    /// refreshed when its target is reached, after its source is final).
    /// - Throws: ``PCCoreError/unsupported(_:)`` for a graph with a cycle (start from
    ///   ``PCGraphState/randomizeFreeUnits(_:standardDeviation:using:)`` and `.keep` instead).
    public func feedforward(_ state: inout PCGraphState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                            clamps: PCGraphClamps<Scalar>) throws {
        guard let order = topologicalOrder else {
            throw PCCoreError.unsupported("feedforward initialisation needs an acyclic graph; set the activities and use .keep")
        }
        try checkFit(state, workspace, clamps)
        for position in order.indices {
            let v = order[position]
            for k in incomingStart[v]..<incomingStart[v + 1] { try refreshRates(incomingEdges[k], state, &workspace) }
            try refreshPrediction(v, &state, workspace)
            guard hasEnergy[v] else { continue }
            switch clamps.nodes[v] {
            case .clamped: break
            case .free: try state.activities[v].assign(state.predictions[v])
            case .masked(let mask): takePrediction(state.predictions[v], into: &state.activities[v], mask: mask)
            }
        }
    }

    /// ε_v = x_v − μ_v (and Π_v ε_v where Π_v ≠ I; a cross-entropy node: y_v − softmax(μ_v)) for
    /// every node with an energy; returns F_B = (1/B) Σ_i Σ_v [½ ε_ivᵀ Π_v ε_iv + ½ Σ_j s_vj (learned
    /// precisions only)], a cross-entropy node contributing −y_ivᵀ log softmax(μ_iv).
    func computeErrors(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws -> Double {
        var total = 0.0
        for v in nodes.indices where hasEnergy[v] { total += try nodeErrors(v, &state, &workspace) }
        return total / Double(state.batchSize)
    }

    /// ε_v = x_v − μ_v (and Π_v ε_v where Π_v ≠ I) of one node with an energy, against its current
    /// prediction; returns Σ_i [½ ε_ivᵀ Π_v ε_iv + ½ Σ_j s_vj (learned only)] (a cross-entropy node:
    /// ε_v = y_v − softmax(μ_v) and −Σ_i y_ivᵀ log softmax(μ_iv)).
    func nodeErrors(_ v: Int, _ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws -> Double {
        if crossEntropy[v] {
            // ε_v = y_v − softmax(μ_v); returns −Σ_i y_ivᵀ log softmax(μ_iv).
            return try crossEntropyOutputErrors(targets: state.activities[v], predictions: state.predictions[v],
                                                softmax: &workspace.engine.softmax[v]!, errors: &state.errors[v])
        }
        return writeGaussianErrors(activities: state.activities[v], predictions: state.predictions[v], precision: nodes[v].precision,
                                   errors: &state.errors[v], weighted: &workspace.weightedErrors[v])
    }

    /// Π_v ε_v as computed last.
    func weightedError(_ v: Int, _ state: PCGraphState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>) -> Matrix<Scalar> {
        nodes[v].precision.isIdentity ? state.errors[v] : workspace.weightedErrors[v]
    }

    /// The batch-mean free energy F_B of `state`, from scratch (allocates a workspace; for tests).
    /// - Parameter state: x_v set, (B × n_v) each; predictions and errors are recomputed.
    /// - Returns: F_B = (1/B) Σ_i Σ_v ½ ε_ivᵀ Π_v ε_iv (+ ½ Σ_j s_vj per learned precision).
    public func freeEnergy(of state: inout PCGraphState<Scalar>) throws -> Double {
        var workspace = try PCGraphWorkspace(for: self, batchSize: state.batchSize, traceCapacity: 0)
        try checkFit(state, workspace)
        try refreshAll(&state, &workspace)
        return try computeErrors(&state, &workspace)
    }

    /// Checks that a state, a workspace and clamps fit this graph.
    func checkFit(_ state: PCGraphState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>, _ clamps: PCGraphClamps<Scalar>) throws {
        try checkFit(state, workspace)
        guard clamps.nodes.count == nodes.count else {
            throw PCCoreError.invalidOption(name: "clamps", reason: "\(clamps.nodes.count) clamp roles for \(nodes.count) nodes")
        }
        for v in nodes.indices {
            if case .masked(let mask) = clamps.nodes[v], mask.shape != state.activities[v].shape {
                throw PCCoreError.shapeMismatch(what: "clamp mask of node \(nodes[v].name)", expected: state.activities[v].shape, got: mask.shape)
            }
        }
    }

    /// Throws unless every cross-entropy node is clamped: inference and learning read its
    /// activities as the target y_v (a feedforward pass may leave it free: it then holds μ_v).
    func requireClampedCrossEntropy(_ clamps: PCGraphClamps<Scalar>) throws {
        for v in nodes.indices where crossEntropy[v] && clamps.nodes[v] != .clamped {
            throw PCCoreError.unsupported("node \(nodes[v].name) has a cross-entropy energy: it holds a target and must be clamped to infer or learn (a free class output has no error to descend on; use a squared-error node)")
        }
    }

    /// Throws unless `state` and `workspace` were made for this graph and each other (no allocation).
    func checkFit(_ state: PCGraphState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>) throws {
        // Loops rather than array comparisons: a settle allocates nothing.
        var fits = state.activities.count == nodes.count
        if fits { for v in nodes.indices where state.activities[v].columns != nodes[v].size { fits = false } }
        guard fits else {
            throw PCCoreError.invalidOption(name: "state", reason: "state sizes \(state.activities.map(\.columns)) do not match the graph \(sizes)")
        }
        var workspaceFits = workspace.batchSize == state.batchSize && workspace.sizes.count == nodes.count && workspace.engine.rates.count == edges.count
        if workspaceFits { for v in nodes.indices where workspace.sizes[v] != nodes[v].size { workspaceFits = false } }
        guard workspaceFits else {
            throw PCCoreError.invalidOption(name: "workspace", reason: "workspace sized for \(workspace.sizes) × \(workspace.batchSize), state is \(sizes) × \(state.batchSize)")
        }
        try state.checkShapes(against: workspace)
    }
}
