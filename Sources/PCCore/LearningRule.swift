import PCNumerics

/// How a batch updates the parameters (<doc:LearningRules>).
public enum LearningRule: Sendable, Hashable, Codable {
    /// IL (Whittington & Bogacz 2017): settle for T steps, then one optimiser step on ∂F_B/∂θ at the final x.
    case il
    /// iPC (Salvatori et al. 2022): at every one of T steps, ∂F/∂x and ∂F/∂θ from the same snapshot,
    /// both applied (one optimiser step per inference step).
    case ipc
    /// SeqIL (Alonso et al. 2023): IL with sequential top-down inference, γ_t = γ/(1 + t).
    case sequential
    /// Z-IL (Song et al. 2020): feedforward start, γ = 1, L steps; at step t the gradient of layer
    /// L − t is taken from the current snapshot (C1–C3). Equals backprop for unit precisions.
    case zeroDivergence
    /// FPA (Millidge et al. 2020): predictions and Jacobians fixed at their feedforward values,
    /// `iterations` sweeps (nil: L) of step `stepSize` (default 1); equals backprop with step 1 and L sweeps.
    case fixedPrediction(iterations: Int?, stepSize: Double)
    /// The backprop reference on the same network: loss ½‖ŷ − y‖² (squared-error output) or
    /// softmax cross-entropy (cross-entropy output), batch-mean gradients.
    case backprop
}

/// Options of one learning step.
public struct LearningOptions: Sendable, Hashable, Codable {
    /// The rule (default IL).
    public var rule: LearningRule
    /// Inference options (IL, iPC and SeqIL use the step size and budget; SeqIL forces the sequential method).
    public var inference: InferenceOptions
    /// The weight optimiser (default Adam, α = 1e-3).
    public var optimizer: OptimizerKind
    /// PCX output nudging β (<doc:LearningRules#Output-nudging>): x_L = (1 − β)μ_L + βy, held fixed, gradients × 1/β.
    /// `nil` (default) is the hard clamp, identical to β = 1.
    public var outputNudging: Double?
    /// α_s for learned log-variances (default 1e-3, <doc:LearningRules#Learned-precisions>).
    public var precisionLearningRate: Double
    /// The input's role while learning (IL and SeqIL): `.clamped` (default, supervised) or `.free`
    /// for a generative model whose top latent is inferred per batch from the value passed as input
    /// (<doc:ModesAndMemory#Generative-mode>: train generatively on patterns, e.g. for associative memory).
    public var input: InputClamp
    /// Threads that settle parts of the batch concurrently (IL and SeqIL without nudging; default 1).
    /// Samples are independent during inference, so the batch is split into `threads` contiguous
    /// shards whose gradients are combined into the exact batch mean: the result equals one thread's
    /// up to the order of floating-point summation, as long as no settle stops early (each shard
    /// applies the energy tolerance and the divergence check to its own energy). With Adam or
    /// AdamW the combination and the update also run on the threads, each on its own slices of
    /// every tensor. The shards run on a persistent ``WorkerPool`` the learner owns (`threads − 1`
    /// worker threads; two handshakes and no allocation per step). Use at most one thread per
    /// physical core.
    public var threads: Int

    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for β = 0 or bad optimiser settings.
    public init(rule: LearningRule = .il, inference: InferenceOptions = .standard, optimizer: OptimizerKind = .adam(),
                outputNudging: Double? = nil, precisionLearningRate: Double = 1e-3, input: InputClamp = .clamped,
                threads: Int = 1) throws {
        guard (1...64).contains(threads) else { throw PCCoreError.invalidOption(name: "threads", reason: "must be in 1...64 (got \(threads))") }
        if let beta = outputNudging, beta == 0 || !beta.isFinite {
            throw PCCoreError.invalidOption(name: "outputNudging", reason: "β must be finite and non-zero (got \(beta))")
        }
        guard precisionLearningRate >= 0 else {
            throw PCCoreError.invalidOption(name: "precisionLearningRate", reason: "must be ≥ 0 (got \(precisionLearningRate))")
        }
        if case .fixedPrediction(let n, let eta) = rule {
            if let n, n < 0 { throw PCCoreError.invalidOption(name: "iterations", reason: "must be ≥ 0 (got \(n))") }
            guard eta > 0 else { throw PCCoreError.invalidOption(name: "stepSize", reason: "must be positive (got \(eta))") }
        }
        try optimizer.validate()
        self.rule = rule
        self.inference = inference
        self.optimizer = optimizer
        self.outputNudging = outputNudging
        self.precisionLearningRate = precisionLearningRate
        self.input = input
        self.threads = threads
    }
}

/// What one learning step measured.
public struct BatchResult: Sendable, Hashable {
    /// F_B at the start of inference (IL, iPC, SeqIL), or the loss for Z-IL, FPA and backprop
    /// (½‖y − ŷ‖² or cross-entropy, batch mean, at the feedforward state).
    public var energy: Double
    /// F_B after inference (equal to `energy` for the rules without a settle).
    public var finalEnergy: Double
    /// Inference iterations run.
    public var iterations: Int
    /// Whether inference diverged (and recovered).
    public var diverged: Bool
}
