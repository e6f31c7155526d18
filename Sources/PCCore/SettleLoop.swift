import PCNumerics

// The settle control shared by every PC engine (PCCore article EnergyAndInference): one stopping
// rule, one divergence recovery and one best-state bookkeeping, driving the engine-specific energy
// and update. Each engine's settle describes its side in a small struct (DenseSettle,
// LayeredSettle, GraphSettle; the softmax memory is a graph) and hands its methods to `runSettle` as non-escaping
// closures: unlike protocol witnesses, closures are serialised by cross-module optimisation, so
// clients (pcctl) specialise the whole loop for Float as before. Nothing here allocates.

/// Runs a settle from the state the engine has set up: repeats: measure F_B (`energy`, which also
/// records it in the workspace's trace); stop on divergence (F not finite, or F_t > F_best + θ|F_best|: `restoreBest` puts
/// the best state back when some energy was finite and returns the energy left), on the budget T
/// or with nothing free (`canMove` false), or when |F_t − F_{t−1}| ≤ tolerance·|F_{t−1}|;
/// otherwise `step` (told the iteration and whether the current activities are the best so far,
/// which it must then keep where `restoreBest` finds them). Ties keep the later state as the best.
/// - Parameters:
///   - divergenceThreshold: θ (`.infinity`: only a non-finite F diverges).
///   - trace: the energies recorded, copied into the report once at the end.
@inline(__always)
func runSettle<State, Workspace>(_ state: inout State, _ workspace: inout Workspace, options: InferenceOptions,
                                 canMove: Bool, divergenceThreshold theta: Double,
                                 energy: (inout State, inout Workspace) throws -> Double,
                                 step: (inout State, inout Workspace, _ iteration: Int, _ keepCurrentAsBest: Bool) throws -> Void,
                                 restoreBest: (inout State, inout Workspace, _ haveBest: Bool, _ current: Double) throws -> Double,
                                 trace: (Workspace) -> [Double]) throws -> InferenceReport {
    var bestEnergy = Double.infinity, bestIteration = 0, bestIsCurrent = false
    var stop = InferenceStop.iterationBudget
    var t = 0
    var previous = 0.0, finalEnergy = 0.0
    while true {
        let e = try energy(&state, &workspace)
        finalEnergy = e
        if !e.isFinite || (bestEnergy.isFinite && e - bestEnergy > theta * abs(bestEnergy)) {
            stop = .diverged
            // The current state is never the best here; with no finite energy seen there is nothing to restore.
            finalEnergy = try restoreBest(&state, &workspace, bestEnergy.isFinite, e)
            break
        }
        if e <= bestEnergy { bestEnergy = e; bestIteration = t; bestIsCurrent = true } else { bestIsCurrent = false }
        if t >= options.maxIterations || !canMove { break }
        if options.tolerance > 0, t > 0, abs(e - previous) <= options.tolerance * abs(previous) { stop = .converged; break }
        previous = e
        try step(&state, &workspace, t, bestIsCurrent)
        t += 1
    }
    return InferenceReport(iterations: t, energies: trace(workspace), stop: stop, bestIteration: bestIteration, finalEnergy: finalEnergy)
}

extension InferenceOptions {
    /// The momentum m of a synchronous step (`nil` for plain gradient descent and for SeqIL).
    func momentum<Scalar: PCScalar>(_ scalar: Scalar.Type) -> Scalar? {
        if case .momentum(let m) = method { return Scalar(m) }
        return nil
    }

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
