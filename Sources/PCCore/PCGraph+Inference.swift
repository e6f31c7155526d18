import PCNumerics

// Inference on a graph: gradient flow of the free units on F with an explicit stopping rule
// (PCCore article GraphsAndMuPC, section Graph energy). Nothing here allocates once the workspace exists.

extension PCGraph {
    /// Settles the free units of `state` on the free energy F.
    ///
    /// From the feedforward state (acyclic graphs) or the activities given (`.keep`; the start for
    /// cyclic graphs), repeats: compute ε and F_B; stop on the budget, the tolerance or divergence;
    /// compute ∂F/∂x of the free units; update them all from that snapshot (synchronous GD or
    /// momentum), or one node after another in ``sweepOrder`` (SeqIL,
    /// <doc:GraphsAndMuPC#Sequential-inference-on-a-graph>). On divergence (F not finite, or F_t > F_best + θ|F_best|) the best state is
    /// restored. On return predictions, errors and rates match the activities, so
    /// ``parameterGradients(_:workspace:into:scale:)`` can follow directly.
    ///
    /// - Parameters:
    ///   - state: clamped units set by the caller (and the start of free units for `.keep`); (B × n_v) each.
    ///   - workspace: scratch sized for this graph and batch.
    ///   - clamps: the role of each node.
    ///   - options: step, budget, tolerance, method (GD, momentum or SeqIL), initialisation.
    /// - Returns: iterations, the energy trace and why it stopped.
    /// - Throws: ``PCCoreError`` for a mismatched state, workspace or clamps, or feedforward on a cyclic graph.
    @discardableResult
    public func settle(_ state: inout PCGraphState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                       clamps: PCGraphClamps<Scalar>, options: InferenceOptions = .standard) throws -> InferenceReport {
        try checkFit(state, workspace, clamps)
        let dynamics = GraphSettle(graph: self, clamps: clamps, options: options)
        try dynamics.start(&state, &workspace)
        return try runSettle(&state, &workspace, options: options, canMove: dynamics.hasFreeActivities, divergenceThreshold: dynamics.divergenceThreshold,
                             energy: { try dynamics.energy(&$0, &$1) }, step: { try dynamics.step(&$0, &$1, iteration: $2, keepCurrentAsBest: $3) },
                             restoreBest: { try dynamics.restoreBest(&$0, &$1, haveBest: $2, current: $3) }, trace: { dynamics.trace($0) })
    }

    /// x ← x − γ g (or v ← m v − γ g, x ← x + v) on the free units, written into the spare buffers
    /// and rotated in, so the previous state can stay as the best one without a copy.
    func step(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>, clamps: PCGraphClamps<Scalar>,
              stepSize gamma: Scalar, momentum: Scalar?, keepCurrentAsBest: Bool) {
        for v in nodes.indices where clamps.hasFreeUnits(v) {
            writeGradientStep(state.activities[v], gradient: workspace.buffers.gradients[v], into: &workspace.buffers.spare[v],
                              velocity: &workspace.buffers.velocities[v], stepSize: gamma, momentum: momentum)
            // Clamped units of a masked node keep their values (and no velocity).
            if case .masked(let mask) = clamps.nodes[v] {
                let n = state.activities[v].count
                state.activities[v].withUnsafeStorage { px, _ in
                    mask.withUnsafeStorage { pm, _ in
                        workspace.buffers.spare[v].withUnsafeMutableStorage { ps, _ in for i in 0..<n where pm[i] != 0 { ps[i] = px[i] } }
                        if momentum != nil {
                            workspace.buffers.velocities[v].withUnsafeMutableStorage { pv, _ in for i in 0..<n where pm[i] != 0 { pv[i] = 0 } }
                        }
                    }
                }
            }
            if keepCurrentAsBest { swap(&state.activities[v], &workspace.buffers.best[v]) }
            swap(&state.activities[v], &workspace.buffers.spare[v])
        }
    }
}

extension PCGraph {
    /// One SeqIL sweep (<doc:GraphsAndMuPC#Sequential-inference-on-a-graph>): for each node v with
    /// free units in ``sweepOrder``, x_v ← x_v − γ_t ∂F/∂x_v on its free units, the gradient taken
    /// at the current state (the nodes earlier in the sweep already moved): exact block coordinate
    /// descent. After each move the rates of v's outgoing edges, the predictions they feed and
    /// those nodes' errors are refreshed, so rates, predictions and errors stay current. On a chain
    /// this is a layered network's top-down sweep.
    func sequentialSweep(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>,
                         clamps: PCGraphClamps<Scalar>, stepSize gamma: Scalar) throws {
        // An index loop: iterating the array itself allocates in unoptimised builds.
        for position in sweepOrder.indices {
            let v = sweepOrder[position]
            guard clamps.hasFreeUnits(v) else { continue }
            try activityGradient(v, state, &workspace)
            if case .masked(let mask) = clamps.nodes[v] {
                descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: gamma, mask: mask)
            } else {
                descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: gamma, mask: nil)
            }
            let outgoing = outgoingStart[v]..<outgoingStart[v + 1]
            for k in outgoing { try refreshRates(outgoingEdges[k], state, &workspace) }
            for k in outgoing { try refreshPrediction(edges[outgoingEdges[k]].target, &state, workspace) }
            for k in outgoing { _ = nodeErrors(edges[outgoingEdges[k]].target, &state, &workspace) }
            if hasEnergy[v] { _ = nodeErrors(v, &state, &workspace) }
        }
    }
}

/// A graph's side of ``PCGraph/settle(_:workspace:clamps:options:)``'s generic loop: the free
/// units of every node move by GD, momentum or SeqIL sweeps; only the rates and predictions they feed are refreshed.
struct GraphSettle<Scalar: PCScalar> {
    let graph: PCGraph<Scalar>
    let clamps: PCGraphClamps<Scalar>
    let options: InferenceOptions
    let momentum: Scalar?

    init(graph: PCGraph<Scalar>, clamps: PCGraphClamps<Scalar>, options: InferenceOptions) {
        self.graph = graph; self.clamps = clamps; self.options = options
        momentum = options.momentum(Scalar.self)
    }

    var hasFreeActivities: Bool { true }
    var divergenceThreshold: Double { options.divergenceThreshold }

    func start(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        switch options.initialization {
        case .feedforward: try graph.feedforward(&state, workspace: &workspace, clamps: clamps)
        case .keep: try graph.refreshAll(&state, &workspace)
        }
        graph.markMoving(clamps, &workspace)
        if momentum != nil { for v in graph.nodes.indices { workspace.buffers.velocities[v].fill(0) } }
        workspace.buffers.energyTrace.removeAll(keepingCapacity: true)
    }

    /// Refreshes the errors, records F_B in the trace and returns it.
    func energy(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws -> Double {
        let energy = graph.computeErrors(&state, &workspace)
        workspace.buffers.energyTrace.append(energy)
        return energy
    }

    func trace(_ workspace: PCGraphWorkspace<Scalar>) -> [Double] { workspace.buffers.energyTrace }

    func step(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>, iteration: Int,
              keepCurrentAsBest: Bool) throws {
        if case .sequential = options.method {
            if keepCurrentAsBest {
                for v in graph.nodes.indices where clamps.hasFreeUnits(v) { try workspace.buffers.best[v].assign(state.activities[v]) }
            }
            try graph.sequentialSweep(&state, &workspace, clamps: clamps, stepSize: Scalar(options.stepSize / Double(1 + iteration)))
            return
        }
        try graph.activityGradients(state, &workspace, clamps: clamps)
        graph.step(&state, &workspace, clamps: clamps, stepSize: Scalar(options.stepSize), momentum: momentum,
                   keepCurrentAsBest: keepCurrentAsBest)
        try graph.refreshMoving(&state, &workspace)
    }

    func restoreBest(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>, haveBest: Bool,
                     current: Double) throws -> Double {
        if haveBest {
            for v in graph.nodes.indices where clamps.hasFreeUnits(v) { swap(&state.activities[v], &workspace.buffers.best[v]) }
        }
        try graph.refreshAll(&state, &workspace)
        return graph.computeErrors(&state, &workspace)
    }
}

/// x ← x − γ g in place on the units where `mask` is 0 (every unit without a mask).
@inline(__always)
func descendFreeUnits<Scalar: PCScalar>(_ x: inout Matrix<Scalar>, gradient g: Matrix<Scalar>, stepSize gamma: Scalar, mask: Matrix<Scalar>?) {
    let n = x.count
    g.withUnsafeStorage { pg, _ in
        x.withUnsafeMutableStorage { px, _ in
            if let mask {
                mask.withUnsafeStorage { pm, _ in for i in 0..<n where pm[i] == 0 { px[i] -= gamma * pg[i] } }
            } else {
                for i in 0..<n { px[i] -= gamma * pg[i] }
            }
        }
    }
}
