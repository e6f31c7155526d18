/// The predictive controller's arena: every buffer of one horizon, carved once from one block.
///
/// Shapes (row-major; n = stateDimension, m = controlDimension, p = outcomeDimension,
/// H = horizon, K = proposal samples):
/// ```text
/// x  (H+1)·n   states x₀…x_H (x₀ is the perceived state, clamped)
/// u  H·m       controls u₀…u_{H−1}
/// ε  (H+1)·n   dynamics errors ε_t = x_t − f(x_{t−1}, u_{t−1}) (ε₀ unused)
/// e  (H+1)·p   goal errors e_t = o* − g(x_t)                   (e₀ unused)
/// A  H·n·n     ∂f/∂x at (x_t, u_t);  B  H·n·m   ∂f/∂u
/// ∇x, dx (H+1)·n and ∇u, du H·m: gradients and their diagonal curvatures
/// ```
/// C_t ((H+1)·p·n) holds ∂g/∂x at each x_t. A model with an adjoint (``LinearizableModel/adjointTapeCount``
/// T > 0) records its forward pass in the tape (H·T), and its pullbacks land in Aᵀξ (n) and Bᵀξ (m). Constants (precisions, goal, bounds) are copied in
/// too, so the hot loops read plain pointers.
/// A class so that the memory is freed once; ``PredictiveController`` copies it on write.
final class HorizonWorkspace {
    let n: Int, m: Int, p: Int, horizon: Int, samples: Int
    private let memory: UnsafeMutablePointer<Double>

    // Trajectory and inference buffers.
    let x, u, eps, goalError, stateJacobians, controlJacobians: UnsafeMutablePointer<Double>
    let stateGradient, controlGradient, stateCurvature, controlCurvature: UnsafeMutablePointer<Double>
    let savedStates, savedControls, proposalControls: UnsafeMutablePointer<Double>
    // Proposal buffers: K sampled control sequences (K·H·m) and their costs (K).
    let sampledControls, sampleCosts: UnsafeMutablePointer<Double>
    // Scratch vectors.
    let next, outcome, wrapped, rolloutA, rolloutB: UnsafeMutablePointer<Double>
    // Π_x (n), o* (p), Π_g,t ((H+1)·p), ū (m), Π_u (m), bounds (m, m), C_t ((H+1)·p·n), σ (m).
    let modelPrecision, goal, goalPrecision, controlPrior, controlPrecision: UnsafeMutablePointer<Double>
    let lower, upper, outcomeJacobians, noiseScale: UnsafeMutablePointer<Double>
    // The model's adjoint tape (H·T) and the pullbacks Aᵀξ (n), Bᵀξ (m).
    let tape, stateCotangent, actionCotangent: UnsafeMutablePointer<Double>
    // The proposal's rollouts, a chunk of C = min(K, proposalChunk) samples at a time: their
    // current and next states (2·C·n) and their controls at one step (C·m).
    let batchStates, batchActions: UnsafeMutablePointer<Double>
    /// T, the tape's doubles per step (0: the model has no adjoint).
    let tapeCount: Int

    /// The Double count of each buffer, in the order above (in Double arithmetic, so that the memory
    /// estimate of unvalidated sizes cannot overflow).
    static func sizes(n: Double, m: Double, p: Double, horizon h: Double, samples k: Double, tape: Double = 0) -> [Double] {
        [
            (h + 1) * n, h * m, (h + 1) * n, (h + 1) * p, h * n * n, h * n * m,
            (h + 1) * n, h * m, (h + 1) * n, h * m,
            (h + 1) * n, h * m, h * m,
            k * h * m, k,
            n, p, n, n, n,
            n, p, (h + 1) * p, m, m,
            m, m, (h + 1) * p * n, m,
            h * tape, n, m,
            2 * min(k, Double(proposalChunk)) * n, min(k, Double(proposalChunk)) * m,
        ]
    }

    /// Samples of the proposal rolled out together (``LinearizableModel/transitionBatch(states:actions:next:count:)``);
    /// a planning deadline is checked between chunks.
    static let proposalChunk = 16

    /// The number of Doubles the arena holds.
    let count: Int

    init(n: Int, m: Int, p: Int, horizon h: Int, samples k: Int, tape: Int = 0) {
        self.n = n; self.m = m; self.p = p; self.horizon = h; self.samples = k; self.tapeCount = tape
        let sizes = Self.sizes(n: Double(n), m: Double(m), p: Double(p), horizon: Double(h), samples: Double(k),
                               tape: Double(tape)).map { Int($0) }
        count = sizes.reduce(0, +)
        memory = .allocate(capacity: count)
        memory.initialize(repeating: 0, count: count)
        var offset = 0
        var slices: [UnsafeMutablePointer<Double>] = []
        for s in sizes { slices.append(memory + offset); offset += s }
        (x, u, eps, goalError, stateJacobians, controlJacobians) = (slices[0], slices[1], slices[2], slices[3], slices[4], slices[5])
        (stateGradient, controlGradient, stateCurvature, controlCurvature) = (slices[6], slices[7], slices[8], slices[9])
        (savedStates, savedControls, proposalControls) = (slices[10], slices[11], slices[12])
        (sampledControls, sampleCosts) = (slices[13], slices[14])
        (next, outcome, wrapped, rolloutA, rolloutB) = (slices[15], slices[16], slices[17], slices[18], slices[19])
        (modelPrecision, goal, goalPrecision, controlPrior, controlPrecision) = (slices[20], slices[21], slices[22], slices[23], slices[24])
        (lower, upper, outcomeJacobians, noiseScale) = (slices[25], slices[26], slices[27], slices[28])
        (self.tape, stateCotangent, actionCotangent) = (slices[29], slices[30], slices[31])
        (batchStates, batchActions) = (slices[32], slices[33])
    }

    deinit { memory.deallocate() }

    /// An independent copy (value semantics for the agent that owns it).
    func copy() -> HorizonWorkspace {
        let c = HorizonWorkspace(n: n, m: m, p: p, horizon: horizon, samples: samples, tape: tapeCount)
        c.memory.update(from: memory, count: count)
        return c
    }

    /// Clips control t into [lower, upper].
    @inline(__always)
    func clipControls(_ controls: UnsafeMutablePointer<Double>, step t: Int) {
        for j in 0..<m {
            let i = t * m + j
            controls[i] = min(max(controls[i], lower[j]), upper[j])
        }
    }
}
