import PCNumerics

// The settle control shared by every PC engine (PCCore article EnergyAndInference): one stopping
// rule, one divergence recovery and one best-state bookkeeping, driving the engine-specific energy
// and update through `SettleDynamics`. Engines conform with small structs, so the optimiser
// specialises `runSettle` for each; nothing here allocates.

/// One engine's side of a settle: how F_B is measured, how the free activities move and how the
/// best state is put back. ``runSettle(_:_:_:options:)`` decides when each happens.
protocol SettleDynamics {
    associatedtype State
    associatedtype Workspace

    /// Whether any activity is free; when not, the settle stops after measuring the start.
    var hasFreeActivities: Bool { get }
    /// θ of the divergence rule F_t > F_best + θ|F_best| (`.infinity`: only a non-finite F diverges).
    var divergenceThreshold: Double { get }

    /// Sets the starting state (feedforward or the activities given), clears the velocities and
    /// the energy trace.
    func start(_ state: inout State, _ workspace: inout Workspace) throws
    /// Refreshes the errors of the current state and returns F_B.
    func energy(_ state: inout State, _ workspace: inout Workspace) throws -> Double
    /// Appends F_B to the workspace's trace.
    func record(_ energy: Double, _ workspace: inout Workspace)
    /// The trace recorded so far (copied into the report once, at the end).
    func trace(_ workspace: Workspace) -> [Double]
    /// One update of the free activities, with errors current. With `keepCurrentAsBest` the current
    /// activities are the best so far and must end up where ``restoreBest(_:_:haveBest:current:)``
    /// finds them.
    func step(_ state: inout State, _ workspace: inout Workspace, iteration: Int, keepCurrentAsBest: Bool) throws
    /// After a divergence whose energy is `current`: puts the best state back when `haveBest`
    /// (some energy was finite) and returns the energy of the state left.
    func restoreBest(_ state: inout State, _ workspace: inout Workspace, haveBest: Bool, current: Double) throws -> Double
}

/// Runs a settle: from `dynamics.start`, repeats: measure F_B and record it; stop on divergence (F
/// not finite, or F_t > F_best + θ|F_best|: the best state is restored), on the budget T or with
/// nothing free, or when |F_t − F_{t−1}| ≤ tolerance·|F_{t−1}|; otherwise step.
/// Ties keep the later state as the best one.
func runSettle<Dynamics: SettleDynamics>(_ dynamics: Dynamics, _ state: inout Dynamics.State, _ workspace: inout Dynamics.Workspace,
                                         options: InferenceOptions) throws -> InferenceReport {
    try dynamics.start(&state, &workspace)
    let theta = dynamics.divergenceThreshold
    var bestEnergy = Double.infinity, bestIteration = 0, bestIsCurrent = false
    var stop = InferenceStop.iterationBudget
    var t = 0
    var previous = 0.0, finalEnergy = 0.0
    while true {
        let energy = try dynamics.energy(&state, &workspace)
        dynamics.record(energy, &workspace)
        finalEnergy = energy
        if !energy.isFinite || (bestEnergy.isFinite && energy - bestEnergy > theta * abs(bestEnergy)) {
            stop = .diverged
            // The current state is never the best here; with no finite energy seen there is nothing to restore.
            finalEnergy = try dynamics.restoreBest(&state, &workspace, haveBest: bestEnergy.isFinite, current: energy)
            break
        }
        if energy <= bestEnergy { bestEnergy = energy; bestIteration = t; bestIsCurrent = true } else { bestIsCurrent = false }
        if t >= options.maxIterations || !dynamics.hasFreeActivities { break }
        if options.tolerance > 0, t > 0, abs(energy - previous) <= options.tolerance * abs(previous) { stop = .converged; break }
        previous = energy
        try dynamics.step(&state, &workspace, iteration: t, keepCurrentAsBest: bestIsCurrent)
        t += 1
    }
    return InferenceReport(iterations: t, energies: dynamics.trace(workspace), stop: stop,
                           bestIteration: bestIteration, finalEnergy: finalEnergy)
}

/// The next iterate of one layer's (or node's) free activities: spare ← x − γ g, or with momentum
/// m: v ← m v − γ g and spare ← x + v. The caller rotates `spare` in.
@inline(__always)
func writeGradientStep<Scalar: PCScalar>(_ x: Matrix<Scalar>, gradient g: Matrix<Scalar>, into spare: inout Matrix<Scalar>,
                                         velocity: inout Matrix<Scalar>, stepSize gamma: Scalar, momentum: Scalar?) {
    let n = x.count
    x.withUnsafeStorage { px, _ in
        g.withUnsafeStorage { pg, _ in
            spare.withUnsafeMutableStorage { ps, _ in
                if let m = momentum {
                    velocity.withUnsafeMutableStorage { pv, _ in
                        for i in 0..<n { let v = m * pv[i] - gamma * pg[i]; pv[i] = v; ps[i] = px[i] + v }
                    }
                } else {
                    for i in 0..<n { ps[i] = px[i] - gamma * pg[i] }
                }
            }
        }
    }
}

/// The per-layer (or per-node) buffers every engine's inference uses, each (B × n) for the sizes
/// given, and the energy trace; one of them sits in each engine's workspace.
struct SettleBuffers<Scalar: PCScalar>: Sendable {
    /// The error fed back to a layer or node from the ones it predicts (scratch).
    var feedback: [Matrix<Scalar>]
    /// ∂F/∂x per sample.
    var gradients: [Matrix<Scalar>]
    /// Momentum velocities.
    var velocities: [Matrix<Scalar>]
    /// The activities of the best state so far (divergence recovery).
    var best: [Matrix<Scalar>]
    /// Spare activities the next iterate is written into and rotated in.
    var spare: [Matrix<Scalar>]
    /// The energies of the current settle; capacity reserved up front.
    var energyTrace: [Double]

    /// Zero buffers of (batchSize × n) for every n in `sizes`, and room for `traceCapacity` + 1
    /// energies (more simply grow the trace).
    init(sizes: [Int], batchSize: Int, traceCapacity: Int) throws {
        func make() throws -> [Matrix<Scalar>] { try sizes.map { try Matrix(rows: batchSize, columns: $0) } }
        feedback = try make(); gradients = try make(); velocities = try make(); best = try make(); spare = try make()
        energyTrace = []
        energyTrace.reserveCapacity(traceCapacity + 1)
    }
}
