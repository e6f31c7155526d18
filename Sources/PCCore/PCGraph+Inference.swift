import PCNumerics

// Inference on a graph: gradient flow of the free units on F with an explicit stopping rule
// (PCCore article GraphsAndMuPC, section Graph energy). Nothing here allocates once the workspace exists.

extension PCGraph {
    /// Settles the free units of `state` on the free energy F.
    ///
    /// From the feedforward state (acyclic graphs) or the activities given (`.keep`; the start for
    /// cyclic graphs), repeats: compute ε and F_B; stop on the budget, the tolerance or divergence;
    /// compute ∂F/∂x of the free units; update them all from that snapshot (synchronous GD or
    /// momentum). On divergence (F not finite, or F_t > F_best + θ|F_best|) the best state is
    /// restored. On return predictions, errors and rates match the activities, so
    /// ``parameterGradients(_:workspace:into:scale:)`` can follow directly.
    ///
    /// - Parameters:
    ///   - state: clamped units set by the caller (and the start of free units for `.keep`); (B × n_v) each.
    ///   - workspace: scratch sized for this graph and batch.
    ///   - clamps: the role of each node.
    ///   - options: step, budget, tolerance, method (`.sequential` is not defined on graphs), initialisation.
    /// - Returns: iterations, the energy trace and why it stopped.
    /// - Throws: ``PCCoreError`` for a mismatched state, workspace or clamps, SeqIL, or feedforward on a cyclic graph.
    @discardableResult
    public func settle(_ state: inout PCGraphState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                       clamps: PCGraphClamps<Scalar>, options: InferenceOptions = .standard) throws -> InferenceReport {
        try checkFit(state, workspace, clamps)
        var momentum: Scalar? = nil
        switch options.method {
        case .gradientDescent: break
        case .momentum(let m): momentum = Scalar(m)
        case .sequential: throw PCCoreError.unsupported("sequential (SeqIL) inference needs a layered network; graphs use GD or momentum")
        }

        // Start: feedforward, or the activities given.
        switch options.initialization {
        case .feedforward: try feedforward(&state, workspace: &workspace, clamps: clamps)
        case .keep: try refreshAll(&state, &workspace)
        }
        markMoving(clamps, &workspace)
        if momentum != nil { for v in nodes.indices { workspace.velocities[v].fill(0) } }

        workspace.energyTrace.removeAll(keepingCapacity: true)
        var bestEnergy = Double.infinity
        var bestIteration = 0
        var bestIsCurrent = false
        var stop = InferenceStop.iterationBudget
        var t = 0
        var finalEnergy = 0.0
        while true {
            // Energy of the current state.
            let energy = computeErrors(&state, &workspace)
            workspace.energyTrace.append(energy)
            finalEnergy = energy
            if !energy.isFinite || (bestEnergy.isFinite && energy - bestEnergy > options.divergenceThreshold * abs(bestEnergy)) {
                stop = .diverged
                if bestEnergy.isFinite {
                    for v in nodes.indices where clamps.hasFreeUnits(v) { swap(&state.activities[v], &workspace.best[v]) }
                }
                try refreshAll(&state, &workspace)
                finalEnergy = computeErrors(&state, &workspace)
                break
            }
            if energy <= bestEnergy { bestEnergy = energy; bestIteration = t; bestIsCurrent = true } else { bestIsCurrent = false }
            if t >= options.maxIterations { break }
            if options.tolerance > 0, t > 0 {
                let previous = workspace.energyTrace[t - 1]
                if abs(energy - previous) <= options.tolerance * abs(previous) { stop = .converged; break }
            }

            // One synchronous update of the free units.
            try activityGradients(state, &workspace, clamps: clamps)
            step(&state, &workspace, clamps: clamps, stepSize: Scalar(options.stepSize), momentum: momentum,
                 keepCurrentAsBest: bestIsCurrent)
            try refreshMoving(&state, &workspace)
            t += 1
        }
        return InferenceReport(iterations: t, energies: workspace.energyTrace, stop: stop,
                               bestIteration: bestIteration, finalEnergy: finalEnergy)
    }

    /// x ← x − γ g (or v ← m v − γ g, x ← x + v) on the free units, written into the spare buffers
    /// and rotated in, so the previous state can stay as the best one without a copy.
    func step(_ state: inout PCGraphState<Scalar>, _ workspace: inout PCGraphWorkspace<Scalar>, clamps: PCGraphClamps<Scalar>,
              stepSize gamma: Scalar, momentum: Scalar?, keepCurrentAsBest: Bool) {
        for v in nodes.indices where clamps.hasFreeUnits(v) {
            let n = state.activities[v].count
            let x = state.activities[v], g = workspace.gradients[v]
            var mask: Matrix<Scalar>? = nil
            if case .masked(let m) = clamps.nodes[v] { mask = m }
            x.withUnsafeStorage { px, _ in
                g.withUnsafeStorage { pg, _ in
                    workspace.spare[v].withUnsafeMutableStorage { ps, _ in
                        if let m = momentum {
                            workspace.velocities[v].withUnsafeMutableStorage { pv, _ in
                                for i in 0..<n { let u = m * pv[i] - gamma * pg[i]; pv[i] = u; ps[i] = px[i] + u }
                            }
                        } else {
                            for i in 0..<n { ps[i] = px[i] - gamma * pg[i] }
                        }
                        // Clamped units of a masked node keep their values (and no velocity).
                        if let mask {
                            mask.withUnsafeStorage { pm, _ in
                                for i in 0..<n where pm[i] != 0 { ps[i] = px[i] }
                            }
                            if momentum != nil {
                                workspace.velocities[v].withUnsafeMutableStorage { pv, _ in
                                    mask.withUnsafeStorage { pm, _ in for i in 0..<n where pm[i] != 0 { pv[i] = 0 } }
                                }
                            }
                        }
                    }
                }
            }
            if keepCurrentAsBest { swap(&state.activities[v], &workspace.best[v]) }
            swap(&state.activities[v], &workspace.spare[v])
        }
    }
}
