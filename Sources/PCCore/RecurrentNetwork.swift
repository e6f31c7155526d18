import PCNumerics

/// A many-to-one recurrent predictive-coding network, unrolled over T time steps with shared weights,
/// for sequence classification.
///
/// Input: a sequence u₁…u_T of `inputSize` features, stored as one row per sample
/// x₀ = [u₁ … u_T] (B × T·n_in); an 8×8 digit read row by row is exactly its 64 pixels.
/// Value nodes: the hidden states x_t (B × n_h), t = 1…T, and the output x_{T+1} (B × n_out).
/// Predictions (activation before the linear maps, as for ``PCNetwork``):
///
///   μ₁ = W_x u₁ + b_h,   μ_t = W_h φ(x_{t−1}) + W_x u_t + b_h (t = 2…T),   μ_{T+1} = W_y φ(x_T) + b_y,
///
/// ε_t = x_t − μ_t, F = Σ_{t=1..T+1} ½ ε_tᵀ Π_t ε_t per sample (or a cross-entropy output), with
/// one hidden precision Π_h shared by every time step and an output precision Π_y (identity by
/// default; fixed, or learned as log-variances that add ½ Σ_j s_j per term). The chain
/// x₁ → … → x_T → x_{T+1} is a ``LayeredPCModel`` of depth T + 1 whose layers share W_x, W_h, b_h,
/// so IL, Z-IL and the backprop reference (backprop through time) come from the engine; the
/// parameter gradients sum over time steps, e.g. ∂F_B/∂W_h = −(1/B) Σ_{t≥2} Σ_i ε_it φ(x_i,t−1)ᵀ.
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let rnn = try RecurrentNetwork<Float>(steps: 8, inputSize: 8, hiddenSize: 64, outputSize: 10, using: &rng)
/// ```
public struct RecurrentNetwork<Scalar: PCScalar>: Sendable, Equatable {
    /// T, the number of time steps.
    public let steps: Int
    /// n_in, features per time step.
    public let inputSize: Int
    /// n_h, hidden units.
    public let hiddenSize: Int
    /// n_out, output units.
    public let outputSize: Int
    /// φ, applied to a hidden state before W_h and W_y.
    public let activation: Activation
    /// The energy of the output layer.
    public let outputEnergy: OutputEnergy
    /// W_x, (n_h × n_in).
    public internal(set) var inputWeight: Matrix<Scalar>
    /// W_h, (n_h × n_h).
    public internal(set) var recurrentWeight: Matrix<Scalar>
    /// b_h, (n_h).
    public internal(set) var hiddenBias: Vector<Scalar>?
    /// W_y, (n_out × n_h).
    public internal(set) var outputWeight: Matrix<Scalar>
    /// b_y, (n_out).
    public internal(set) var outputBias: Vector<Scalar>?
    /// n₀…n_{T+1}: T·n_in, then n_h T times, then n_out. (T + 2)
    public let sizes: [Int]
    /// Π_h, the precision of every hidden error ε_t (t = 1…T), (n_h); learned ones change only
    /// through ``PCLearner`` (or ``updatePrecisions(_:learningRate:)``).
    public internal(set) var hiddenPrecision: LayerPrecision<Scalar>
    /// Π_y, the precision of the output error, (n_out); the identity for a cross-entropy output.
    public internal(set) var outputPrecision: LayerPrecision<Scalar>

    /// A network from its parameters.
    /// - Parameters:
    ///   - hiddenPrecision: Π_h, shared by the T hidden errors (default identity).
    ///   - outputPrecision: Π_y (default identity; a cross-entropy output takes no other).
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for fewer than one step or a precision on a
    ///   cross-entropy output, ``PCCoreError/shapeMismatch(what:expected:got:)`` when the parameters
    ///   do not chain, ``PCCoreError/invalidOption(name:reason:)`` for an invalid precision.
    public init(steps: Int, activation: Activation = .tanh, inputWeight: Matrix<Scalar>, recurrentWeight: Matrix<Scalar>,
                hiddenBias: Vector<Scalar>?, outputWeight: Matrix<Scalar>, outputBias: Vector<Scalar>?,
                outputEnergy: OutputEnergy = .squaredError, hiddenPrecision: PrecisionSpecification = .identity,
                outputPrecision: PrecisionSpecification = .identity) throws {
        guard steps >= 1 else { throw PCCoreError.invalidArchitecture("a recurrent network needs at least one time step (got \(steps))") }
        let h = inputWeight.rows
        self.hiddenPrecision = try LayerPrecision(hiddenPrecision, size: h)
        self.outputPrecision = try LayerPrecision(outputPrecision, size: outputWeight.rows)
        if outputEnergy == .crossEntropy, !self.outputPrecision.isIdentity {
            throw PCCoreError.invalidArchitecture("a cross-entropy output has no precision (it must be the identity)")
        }
        guard recurrentWeight.shape == Shape(h, h) else {
            throw PCCoreError.shapeMismatch(what: "recurrentWeight", expected: Shape(h, h), got: recurrentWeight.shape)
        }
        guard outputWeight.columns == h else {
            throw PCCoreError.shapeMismatch(what: "outputWeight", expected: Shape(outputWeight.rows, h), got: outputWeight.shape)
        }
        if let b = hiddenBias, b.count != h { throw PCCoreError.shapeMismatch(what: "hiddenBias", expected: Shape(h, 1), got: Shape(b.count, 1)) }
        if let b = outputBias, b.count != outputWeight.rows {
            throw PCCoreError.shapeMismatch(what: "outputBias", expected: Shape(outputWeight.rows, 1), got: Shape(b.count, 1))
        }
        self.steps = steps
        self.inputSize = inputWeight.columns
        self.hiddenSize = h
        self.outputSize = outputWeight.rows
        self.activation = activation
        self.outputEnergy = outputEnergy
        self.inputWeight = inputWeight
        self.recurrentWeight = recurrentWeight
        self.hiddenBias = hiddenBias
        self.outputWeight = outputWeight
        self.outputBias = outputBias
        sizes = [steps * inputWeight.columns] + Array(repeating: h, count: steps) + [outputWeight.rows]
    }

    /// A network with weights drawn from U(−1/√n_h, 1/√n_h) (W_x, W_h, and W_y likewise with its
    /// fan-in n_h) and zero biases.
    /// - Parameters:
    ///   - steps: T ≥ 1.
    ///   - inputSize: n_in, features per step.
    ///   - hiddenSize: n_h.
    ///   - outputSize: n_out.
    ///   - activation: φ (default tanh).
    ///   - bias: whether the hidden and output layers have biases (default `true`).
    ///   - outputEnergy: squared error (default) or cross-entropy.
    ///   - hiddenPrecision: Π_h, shared by the T hidden errors (default identity).
    ///   - outputPrecision: Π_y (default identity).
    ///   - generator: the seeded generator of every weight.
    public init(steps: Int, inputSize: Int, hiddenSize: Int, outputSize: Int, activation: Activation = .tanh, bias: Bool = true,
                outputEnergy: OutputEnergy = .squaredError, hiddenPrecision: PrecisionSpecification = .identity,
                outputPrecision: PrecisionSpecification = .identity, using generator: inout Xoshiro256) throws {
        guard inputSize > 0, hiddenSize > 0, outputSize > 0 else {
            throw PCCoreError.invalidArchitecture("sizes must be positive (got \(inputSize), \(hiddenSize), \(outputSize))")
        }
        let a = 1 / Double(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(low: -a, high: a)
        try self.init(steps: steps, activation: activation,
                      inputWeight: Matrix(rows: hiddenSize, columns: inputSize, initializer: uniform, using: &generator),
                      recurrentWeight: Matrix(rows: hiddenSize, columns: hiddenSize, initializer: uniform, using: &generator),
                      hiddenBias: bias ? Vector(count: hiddenSize) : nil,
                      outputWeight: Matrix(rows: outputSize, columns: hiddenSize, initializer: uniform, using: &generator),
                      outputBias: bias ? Vector(count: outputSize) : nil, outputEnergy: outputEnergy,
                      hiddenPrecision: hiddenPrecision, outputPrecision: outputPrecision)
    }

    /// Replaces parameters (`nil`: keep), each with the shape it has (the learner sizes its buffers
    /// from them); a bias cannot be added to or removed from a network.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` naming the parameter and the
    ///   shape it needs, ``PCCoreError/invalidArchitecture(_:)`` for a bias the network lacks.
    public mutating func setParameters(inputWeight: Matrix<Scalar>? = nil, recurrentWeight: Matrix<Scalar>? = nil,
                                       hiddenBias: Vector<Scalar>? = nil, outputWeight: Matrix<Scalar>? = nil,
                                       outputBias: Vector<Scalar>? = nil) throws {
        func check(_ new: Matrix<Scalar>?, _ old: Matrix<Scalar>, _ what: String) throws {
            if let new, new.shape != old.shape { throw PCCoreError.shapeMismatch(what: what, expected: old.shape, got: new.shape) }
        }
        func check(_ new: Vector<Scalar>?, _ old: Vector<Scalar>?, _ what: String) throws {
            guard let new else { return }
            guard let old else { throw PCCoreError.invalidArchitecture("this network was built without \(what); it cannot be added") }
            if new.count != old.count { throw PCCoreError.shapeMismatch(what: what, expected: Shape(old.count, 1), got: Shape(new.count, 1)) }
        }
        try check(inputWeight, self.inputWeight, "inputWeight")
        try check(recurrentWeight, self.recurrentWeight, "recurrentWeight")
        try check(outputWeight, self.outputWeight, "outputWeight")
        try check(hiddenBias, self.hiddenBias, "hiddenBias")
        try check(outputBias, self.outputBias, "outputBias")
        if let inputWeight { self.inputWeight = inputWeight }
        if let recurrentWeight { self.recurrentWeight = recurrentWeight }
        if let outputWeight { self.outputWeight = outputWeight }
        if let hiddenBias { self.hiddenBias = hiddenBias }
        if let outputBias { self.outputBias = outputBias }
    }

    /// The number of trainable parameters (learned log-variances included, the shared hidden one once).
    public var parameterCount: Int {
        inputWeight.count + recurrentWeight.count + outputWeight.count + (hiddenBias?.count ?? 0) + (outputBias?.count ?? 0)
            + (hiddenPrecision.isLearned ? hiddenSize : 0) + (outputPrecision.isLearned ? outputSize : 0)
    }
}
