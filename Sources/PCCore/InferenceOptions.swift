import PCNumerics

/// How the free activities move during inference (<doc:EnergyAndInference>).
public enum InferenceMethod: Sendable, Hashable, Codable {
    /// Synchronous gradient descent: all ∂F/∂x_ℓ from one snapshot, then x ← x − γ ∂F/∂x.
    case gradientDescent
    /// Heavy-ball momentum: v ← m v − γ ∂F/∂x, x ← x + v, with 0 ≤ m < 1; v = 0 at every settle.
    case momentum(Double)
    /// SeqIL (Alonso et al. 2023): hidden layers updated one after another from ℓ = L−1 down to 1
    /// (after a free output), each with the layer above already updated, with γ_t = γ/(1 + t).
    case sequential
}

/// Where inference starts.
public enum InferenceInitialization: Sendable, Hashable, Codable {
    /// x_ℓ = μ_ℓ(x_{ℓ−1}) for the hidden layers and the free output entries (<doc:EnergyAndInference#Feedforward-start>).
    case feedforward
    /// The activities already in the state (warm start, or set by a learning rule).
    case keep
}

/// Options of ``PCNetwork/settle(_:workspace:clamps:options:)``.
/// The implementation of ``PCNetwork/settle(_:workspace:clamps:options:)``.
public enum InferenceKernel: String, Sendable, Hashable, Codable {
    /// The fused kernel (one call for the whole loop, two elementwise passes per layer and
    /// iteration) for synchronous gradient descent and for SeqIL's sequential sweep with the
    /// input and output clamped and a squared-error output; the generic loop for everything else.
    case automatic
    /// Always the generic loop (one kernel call per operation): the reference implementation.
    case generic
}

public struct InferenceOptions: Sendable, Hashable, Codable {
    /// γ, the step on the per-sample gradient ∂F_i/∂x_i (default 0.1). For a quadratic energy
    /// GD is stable for γ < 2/λ_max(∇²ₓF).
    public var stepSize: Double
    /// T, the iteration budget (default 20).
    public var maxIterations: Int
    /// Stop early when |F_t − F_{t−1}| ≤ tolerance·|F_{t−1}| (default 0: run the whole budget).
    public var tolerance: Double
    /// The update (default synchronous gradient descent).
    public var method: InferenceMethod
    /// The starting point (default feedforward).
    public var initialization: InferenceInitialization
    /// Divergence is declared when F is not finite or F_t > F_best + divergenceThreshold·|F_best|
    /// (default 1: the energy doubled over the best seen); the best state is then restored.
    public var divergenceThreshold: Double
    /// Which implementation runs the loop (default ``InferenceKernel/automatic``: the fused kernel
    /// where it applies). Both give the same states to rounding; `.generic` is the reference.
    public var kernel: InferenceKernel = .automatic

    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for a non-positive step, a negative
    ///   budget or tolerance, or a momentum outside [0, 1).
    public init(stepSize: Double = 0.1, maxIterations: Int = 20, tolerance: Double = 0,
                method: InferenceMethod = .gradientDescent, initialization: InferenceInitialization = .feedforward,
                divergenceThreshold: Double = 1) throws {
        guard stepSize > 0, stepSize.isFinite else { throw PCCoreError.invalidOption(name: "stepSize", reason: "must be positive (got \(stepSize))") }
        guard maxIterations >= 0 else { throw PCCoreError.invalidOption(name: "maxIterations", reason: "must be ≥ 0 (got \(maxIterations))") }
        guard tolerance >= 0 else { throw PCCoreError.invalidOption(name: "tolerance", reason: "must be ≥ 0 (got \(tolerance))") }
        guard divergenceThreshold > 0 else { throw PCCoreError.invalidOption(name: "divergenceThreshold", reason: "must be positive (got \(divergenceThreshold))") }
        if case .momentum(let m) = method, !(0..<1).contains(m) {
            throw PCCoreError.invalidOption(name: "momentum", reason: "must be in [0, 1) (got \(m))")
        }
        self.stepSize = stepSize
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.method = method
        self.initialization = initialization
        self.divergenceThreshold = divergenceThreshold
    }

    private enum CodingKeys: String, CodingKey {
        case stepSize, maxIterations, tolerance, method, initialization, divergenceThreshold, kernel
    }

    /// Decodes the options; a missing `kernel` (encodings before it existed) means `.automatic`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(stepSize: c.decode(Double.self, forKey: .stepSize), maxIterations: c.decode(Int.self, forKey: .maxIterations),
                      tolerance: c.decode(Double.self, forKey: .tolerance), method: c.decode(InferenceMethod.self, forKey: .method),
                      initialization: c.decode(InferenceInitialization.self, forKey: .initialization),
                      divergenceThreshold: c.decode(Double.self, forKey: .divergenceThreshold))
        kernel = try c.decodeIfPresent(InferenceKernel.self, forKey: .kernel) ?? .automatic
    }

    /// The PCKit defaults: γ = 0.1, T = 20, synchronous GD from the feedforward state.
    public static var standard: InferenceOptions { try! InferenceOptions() }
}

/// Why a settle stopped.
public enum InferenceStop: Sendable, Hashable, Codable {
    /// The iteration budget T was used up.
    case iterationBudget
    /// The relative energy change fell below the tolerance.
    case converged
    /// The energy became non-finite or rose past the divergence threshold; the best state was restored.
    case diverged
}

/// What a settle did.
public struct InferenceReport: Sendable, Hashable {
    /// Updates applied.
    public var iterations: Int
    /// F_B before each update and at the end: F(x⁰), F(x¹), …; its last entry is the energy of the
    /// state returned, except after a divergence (then see ``finalEnergy``).
    public var energies: [Double]
    /// Why inference stopped.
    public var stop: InferenceStop
    /// The iteration whose state has the lowest energy.
    public var bestIteration: Int
    /// The energy of the state left in `PCState` (the best one after a divergence).
    public var finalEnergy: Double

    /// Whether the tolerance was reached.
    public var converged: Bool { stop == .converged }
    /// Whether divergence was detected (and the best state restored).
    public var diverged: Bool { stop == .diverged }
    /// F_B at the start.
    public var initialEnergy: Double { energies.first ?? finalEnergy }
}
