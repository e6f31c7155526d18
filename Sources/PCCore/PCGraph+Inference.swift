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
        try requireClampedCrossEntropy(clamps)
        let graph = self
        return try settleNodes(&state, &workspace, options: options, nodeCount: nodes.count,
            role: { clamps.nodes[$0] },
            sweepNode: { graph.sweepOrder[$0] },
            feedforward: { state, workspace in
                try graph.feedforward(&state, workspace: &workspace, clamps: clamps)
                graph.markMoving(clamps, &workspace)
            },
            refreshAll: { state, workspace in
                try graph.refreshAll(&state, &workspace)
                graph.markMoving(clamps, &workspace)
            },
            energy: { try graph.computeErrors(&$0, &$1) },
            gradients: { try graph.activityGradients($1, &$2, clamps: clamps) },
            nodeGradient: { try graph.activityGradient($0, $1, &$2) },
            moved: { try graph.nodeMoved($0, &$1, &$2) },
            refreshMoved: { state, workspace, afterSweep in if !afterSweep { try graph.refreshMoving(&state, &workspace) } })
    }

    /// After SeqIL moved node v (block coordinate descent, <doc:GraphsAndMuPC#Sequential-inference-on-a-graph>):
    /// the rates of v's outgoing edges, the predictions they feed and those nodes' errors, and v's own
    /// error, so the next node's gradient is taken at the current state. On a chain this is a
    /// layered network's top-down sweep.
    func nodeMoved(_ v: Int, _ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>) throws {
        let outgoing = outgoingStart[v]..<outgoingStart[v + 1]
        for k in outgoing { try refreshRates(outgoingEdges[k], state, &workspace) }
        for k in outgoing { try refreshPrediction(edges[outgoingEdges[k]].target, &state, workspace) }
        for k in outgoing { _ = try nodeErrors(edges[outgoingEdges[k]].target, &state, &workspace) }
        if hasEnergy[v] { _ = try nodeErrors(v, &state, &workspace) }
    }
}
