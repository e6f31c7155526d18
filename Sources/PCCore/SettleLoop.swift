import PCNumerics

// The one settle of every PC model (PCCore article EnergyAndInference): `settleNodes` moves the free
// units of any model's nodes — a layered model's layers ℓ = 0…L (dense, convolutional, recurrent) or
// a graph's nodes — by gradient descent, momentum or SeqIL sweeps, with one stopping rule, one
// divergence recovery and one best-state bookkeeping (`runSettle`). A model supplies only its
// operators: the clamp role of each node, its sweep order, and how to refresh rates, predictions and
// errors and to write ∂F/∂x (LayeredPCModel+Inference.swift, PCGraph+Inference.swift). They are handed
// over as non-escaping closures: unlike protocol witnesses, closures are serialised by cross-module
// optimisation, so clients (pcctl) specialise the whole loop for Float. Nothing here allocates.

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

/// The one settle (<doc:EnergyAndInference>): from the feedforward state (`feedforward`) or the
/// activities given (`refreshAll`, ``InferenceOptions/initialization`` `.keep`), runs ``runSettle``
/// with these updates of every node whose role is not `.clamped`:
/// - gradient descent or momentum: every ∂F/∂x_v from one snapshot (`gradients`, told the iteration:
///   a model may write the gradients it knows to be exactly zero without computing them), x_v ← x_v − γ g_v
///   (or v ← m v − γ g, x ← x + v) written into the spare buffers and rotated in (the previous state
///   stays as the best one without a copy), clamped units of a masked node kept; then `refreshMoved`
///   (the rates and predictions the moved nodes feed);
/// - SeqIL: node after node in `sweepNode(0…nodeCount−1)` order, x_v ← x_v − γ_t ∂F/∂x_v with
///   γ_t = γ/(1 + t), the gradient taken at the current state (`nodeGradient`) and `moved(v)` refreshing
///   what the next node's gradient reads; `refreshMoved` after the sweep.
/// On divergence the best state's free nodes are swapped back and everything is refreshed.
/// - Parameters:
///   - role: the clamp role of node v (a layered model: x₀ and x_L by its ``Clamps``, the hidden layers free).
///   - energy: refreshes every error and returns F_B (the engine records it in the trace).
///   - refreshMoved: `afterSweep` tells whether a SeqIL sweep (true) or a synchronous step (false) came before.
@inline(__always)
func settleNodes<Model: TrainablePCModel>(
    _ state: inout PCState<Model.Scalar>, _ workspace: inout PCWorkspace<Model>, options: InferenceOptions, nodeCount: Int,
    role: (Int) -> NodeClamp<Model.Scalar>, sweepNode: (Int) -> Int,
    feedforward: (inout PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Void,
    refreshAll: (inout PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Void,
    energy: (inout PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Double,
    gradients: (_ iteration: Int, PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Void,
    nodeGradient: (Int, PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Void,
    moved: (Int, inout PCState<Model.Scalar>, inout PCWorkspace<Model>) throws -> Void,
    refreshMoved: (inout PCState<Model.Scalar>, inout PCWorkspace<Model>, _ afterSweep: Bool) throws -> Void
) throws -> InferenceReport {
    typealias Scalar = Model.Scalar
    let momentum = options.momentum(Scalar.self)
    var canMove = false
    for v in 0..<nodeCount { if case .clamped = role(v) {} else { canMove = true } }
    switch options.initialization {
    case .feedforward: try feedforward(&state, &workspace)
    case .keep: try refreshAll(&state, &workspace)
    }
    if momentum != nil {
        for v in 0..<nodeCount { if case .clamped = role(v) {} else { workspace.buffers.velocities[v].fill(0) } }
    }
    workspace.buffers.energyTrace.removeAll(keepingCapacity: true)
    return try runSettle(&state, &workspace, options: options, canMove: canMove, divergenceThreshold: options.divergenceThreshold,
        energy: { state, workspace in
            let e = try energy(&state, &workspace)
            workspace.buffers.energyTrace.append(e)
            return e
        },
        step: { state, workspace, t, keepCurrentAsBest in
            if case .sequential = options.method {
                for v in 0..<nodeCount where keepCurrentAsBest {
                    if case .clamped = role(v) {} else { try workspace.buffers.best[v].assign(state.activities[v]) }
                }
                let gamma = Scalar(options.stepSize / Double(1 + t))
                for position in 0..<nodeCount {
                    let v = sweepNode(position)
                    let mask: Matrix<Scalar>?
                    switch role(v) {
                    case .clamped: continue
                    case .free: mask = nil
                    case .masked(let m): mask = m
                    }
                    try nodeGradient(v, state, &workspace)
                    descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: gamma, mask: mask)
                    try moved(v, &state, &workspace)
                }
                try refreshMoved(&state, &workspace, true)
                return
            }
            try gradients(t, state, &workspace)
            let gamma = Scalar(options.stepSize)
            for v in 0..<nodeCount {
                let mask: Matrix<Scalar>?
                switch role(v) {
                case .clamped: continue
                case .free: mask = nil
                case .masked(let m): mask = m
                }
                writeGradientStep(state.activities[v], gradient: workspace.buffers.gradients[v], into: &workspace.buffers.spare[v],
                                  velocity: &workspace.buffers.velocities[v], stepSize: gamma, momentum: momentum)
                if let mask { keepClampedUnits(state.activities[v], mask: mask, spare: &workspace.buffers.spare[v],
                                               velocity: &workspace.buffers.velocities[v], momentum: momentum != nil) }
                if keepCurrentAsBest { swap(&state.activities[v], &workspace.buffers.best[v]) }
                swap(&state.activities[v], &workspace.buffers.spare[v])
            }
            try refreshMoved(&state, &workspace, false)
        },
        restoreBest: { state, workspace, haveBest, _ in
            if haveBest {
                for v in 0..<nodeCount { if case .clamped = role(v) {} else { swap(&state.activities[v], &workspace.buffers.best[v]) } }
            }
            try refreshAll(&state, &workspace)
            return try energy(&state, &workspace)
        },
        trace: { $0.buffers.energyTrace })
}

/// The clamped units (mask 1) of a masked node keep their values in the next iterate (and no velocity).
@inline(__always)
func keepClampedUnits<Scalar: PCScalar>(_ x: Matrix<Scalar>, mask: Matrix<Scalar>, spare: inout Matrix<Scalar>,
                                        velocity: inout Matrix<Scalar>, momentum: Bool) {
    let n = x.count
    x.withUnsafeStorage { px, _ in
        mask.withUnsafeStorage { pm, _ in
            spare.withUnsafeMutableStorage { ps, _ in for i in 0..<n where pm[i] != 0 { ps[i] = px[i] } }
            if momentum { velocity.withUnsafeMutableStorage { pv, _ in for i in 0..<n where pm[i] != 0 { pv[i] = 0 } } }
        }
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
