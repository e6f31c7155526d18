import PCNumerics

/// A predictive-coding associative memory with a competitive latent: the PC analogue of a modern
/// Hopfield network (<doc:ModesAndMemory#Softmax-memory>; <doc:EnergyAndInference> for the energy and
/// the inference).
///
/// Two nodes per sample: a latent z ∈ ℝᴷ (one unit per stored pattern, or more) and the data
/// x ∈ ℝⁿ. The latent's rate is competitive, s = softmax(β z), and predicts the data linearly:
/// ```text
/// μ = W s,   ε = x − μ,   F = ½ ‖ε‖² + ½ λ ‖z‖²
/// ∂F/∂z = λ z − β (diag(s) − s sᵀ) Wᵀ ε = λ z − β s ⊙ (g − ⟨s, g⟩ 1),   g = Wᵀ ε
/// ∂F/∂x = ε   (free data entries only)
/// ∂F/∂W = −ε sᵀ   (IL: the Hebbian product of the error and the presynaptic rate)
/// ```
/// Storing (``store(_:codes:options:using:)``) is IL: infer z with the pattern clamped, then step W
/// down ∂F/∂W. Recall (``recall(_:observed:workspace:options:)``) is inference with the observed
/// entries of x clamped and z and the rest of x free; as β grows the latent's rate becomes
/// winner-take-all and the free entries are filled from one stored pattern instead of a blur.
///
/// The model (W, β, λ) is immutable during inference; the mutable state lives in a
/// ``SoftmaxMemoryWorkspace``.
public struct SoftmaxMemory<Scalar: PCScalar>: Sendable, Equatable {
    /// W, (n × K): column k is the pattern that latent unit k predicts.
    public internal(set) var weight: Matrix<Scalar>
    /// β > 0, the gain of the softmax (its inverse temperature).
    public let gain: Double
    /// λ ≥ 0, the precision of the latent's Gaussian prior N(0, λ⁻¹ I).
    public let priorPrecision: Double

    /// n, the size of a pattern.
    public var patternSize: Int { weight.rows }
    /// K, the number of latent units.
    public var units: Int { weight.columns }

    /// A memory with W drawn from `initializer`.
    /// - Parameters:
    ///   - patternSize: n.
    ///   - units: K (at least the number of patterns to store, for one unit each).
    ///   - gain: β > 0.
    ///   - priorPrecision: λ ≥ 0.
    ///   - initializer: the distribution of W (default N(0, 0.05²)).
    ///   - generator: the seeded source of W.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for a non-positive gain or a negative prior.
    public init(patternSize: Int, units: Int, gain: Double, priorPrecision: Double,
                initializer: Initializer = .normal(standardDeviation: 0.05), using generator: inout Xoshiro256) throws {
        guard gain > 0, gain.isFinite else { throw PCCoreError.invalidOption(name: "gain", reason: "must be positive (got \(gain))") }
        guard priorPrecision >= 0, priorPrecision.isFinite else {
            throw PCCoreError.invalidOption(name: "priorPrecision", reason: "must be non-negative (got \(priorPrecision))")
        }
        weight = try Matrix(rows: patternSize, columns: units, initializer: initializer, using: &generator)
        self.gain = gain
        self.priorPrecision = priorPrecision
    }
}

/// The mutable state and scratch of a ``SoftmaxMemory`` for a batch of B samples; sized once,
/// nothing allocated per inference step.
public struct SoftmaxMemoryWorkspace<Scalar: PCScalar>: Sendable {
    /// z, the latents, (B × K).
    public var latent: Matrix<Scalar>
    /// x, the data (clamped and free entries), (B × n).
    public var data: Matrix<Scalar>
    /// s = softmax(β z), (B × K).
    public internal(set) var rates: Matrix<Scalar>
    /// μ = W s per sample, (B × n).
    public internal(set) var prediction: Matrix<Scalar>
    /// ε = x − μ, (B × n).
    public internal(set) var predictionError: Matrix<Scalar>
    /// Scratch: β z, then g = Wᵀ ε per sample, (B × K).
    var scratch: Matrix<Scalar>
    /// 1 where x is clamped, 0 where it is free, (B × n) (default all 1: every entry clamped).
    public var observed: Matrix<Scalar>
    /// Free energy after each step of the last settle (capacity fixed at creation).
    public internal(set) var energies: [Double]

    /// - Parameters:
    ///   - memory: the model (for n and K).
    ///   - batchSize: B.
    ///   - traceCapacity: the most energies a settle records without allocating.
    public init(for memory: SoftmaxMemory<Scalar>, batchSize: Int, traceCapacity: Int = 0) throws {
        latent = try Matrix(rows: batchSize, columns: memory.units)
        rates = try Matrix(rows: batchSize, columns: memory.units)
        scratch = try Matrix(rows: batchSize, columns: memory.units)
        data = try Matrix(rows: batchSize, columns: memory.patternSize)
        prediction = try Matrix(rows: batchSize, columns: memory.patternSize)
        predictionError = try Matrix(rows: batchSize, columns: memory.patternSize)
        observed = try Matrix(rows: batchSize, columns: memory.patternSize, repeating: 1)
        energies = []
        energies.reserveCapacity(traceCapacity + 1)
    }

    /// B.
    public var batchSize: Int { latent.rows }
}
