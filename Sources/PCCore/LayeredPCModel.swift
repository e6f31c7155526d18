import PCNumerics

/// A predictive-coding model whose value nodes form a chain x₀ → x₁ → … → x_L, each layer ℓ
/// predicting x_ℓ from the rate r_{ℓ−1} = φ_{ℓ−1}(x_{ℓ−1}) of the layer below (and, for models with
/// a clamped input drive such as a recurrent network, from the input x₀ itself).
///
/// Convolutional networks (``ConvolutionalNetwork``) and unrolled recurrent networks
/// (``RecurrentNetwork``) conform; one engine then gives them energy, inference, the IL, Z-IL and
/// backprop gradients and training (<doc:EnergyAndInference>, <doc:LearningRules>):
///
///   F = Σ_{ℓ=1..L} ½ ε_ℓᵀ Π_ℓ ε_ℓ (+ ½ Σ_j s_ℓj for a learned precision),   ε_ℓ = x_ℓ − μ_ℓ(r_{ℓ−1}, x₀)
///
/// (per sample; batch energy F_B = mean). Π_ℓ is the identity unless the model gives one
/// (``precision(_:)``; a ``ConvolutionalNetwork`` can fix or learn a diagonal Π_ℓ per layer).
///
/// with a cross-entropy output replacing the last term by −yᵀ log softmax(μ_L) and ε_L := y − softmax(μ_L).
/// A conforming model supplies the three products of each layer: the prediction μ_ℓ, its adjoint with
/// respect to the rate below (the feedback of ε_{ℓ+1} to layer ℓ), and the parameter gradient; it is
/// then a ``TrainablePCModel`` that ``PCLearner`` trains with the layered engine's defaults.
public protocol LayeredPCModel: TrainablePCModel
where EngineBuffers == LayeredBuffers<Self>, Gradients == ParameterGradients<Scalar>, Clamping == Clamps<Scalar> {
    /// Per-layer kernel scratch (im2col buffers, max-pooling positions), sized once per batch size.
    associatedtype Scratch: Sendable

    /// n₀…n_L, the features of each value node per sample. (L + 1)
    var sizes: [Int] { get }
    /// The number of predictive layers L (default `sizes.count − 1`; a model whose ``sizes`` is
    /// computed should give it directly, since the engine reads it in every iteration).
    var depth: Int { get }
    /// The energy of the output layer.
    var outputEnergy: OutputEnergy { get }
    /// Whether ``feedback(_:error:into:scratch:)`` is defined for ℓ = 0 (the adjoint of layer 1's
    /// prediction with respect to r₀) and no other layer reads x₀, so the input can be inferred
    /// (``InputClamp/free(priorPrecision:)``). Default `false`; a ``PCNetwork`` has it.
    var inputFeedback: Bool { get }
    /// φ_ℓ, applied to x_ℓ before it feeds layer ℓ + 1, for ℓ = 0…L−1.
    func rateActivation(_ l: Int) -> Activation
    /// Scratch for batches of `batchSize`.
    func makeScratch(batchSize: Int) throws -> Scratch
    /// Zero gradients shaped like the parameters (one group per weight tensor with its optional bias).
    func makeGradients() throws -> ParameterGradients<Scalar>

    /// μ_ℓ (B × n_ℓ) from the rate r_{ℓ−1} (B × n_{ℓ−1}) and the input x₀ (B × n₀), 1 ≤ ℓ ≤ L.
    func predict(_ l: Int, rate: Matrix<Scalar>, input: Matrix<Scalar>, into prediction: inout Matrix<Scalar>,
                 scratch: inout Scratch) throws
    /// The adjoint of layer ℓ + 1's prediction with respect to r_ℓ applied to `error`, 1 ≤ ℓ ≤ L − 1
    /// (and ℓ = 0 for a model with ``inputFeedback``):
    /// feedback = (∂μ_{ℓ+1}/∂r_ℓ)ᵀ e, (B × n_ℓ), e (B × n_{ℓ+1}). Reads the scratch of the last
    /// ``predict(_:rate:input:into:scratch:)`` of layer ℓ + 1 (max-pooling positions).
    func feedback(_ l: Int, error: Matrix<Scalar>, into feedback: inout Matrix<Scalar>, scratch: inout Scratch) throws
    /// gradients += α Σ_i (∂μ_iℓ/∂θ)ᵀ e_i for the parameters of layer ℓ (nothing for a layer without any).
    func accumulateParameterGradient(_ l: Int, error: Matrix<Scalar>, rate: Matrix<Scalar>, input: Matrix<Scalar>,
                                     alpha: Scalar, into gradients: inout ParameterGradients<Scalar>,
                                     scratch: inout Scratch) throws
    /// One optimiser step on every parameter from `gradients` (∂/∂θ of a batch-mean objective).
    mutating func applyGradients(_ gradients: ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>) throws
    /// Π_ℓ of layer ℓ's error, 1 ≤ ℓ ≤ L, or `nil` for the identity (the default implementation).
    func precision(_ l: Int) -> LayerPrecision<Scalar>?
    /// One step s_ℓ ← clamp(s_ℓ − α_s ∂F_B/∂s_ℓ) on every learned precision from
    /// `gradients.logVariances` (indexed by layer ℓ − 1); the default has none to update.
    mutating func updatePrecisions(_ gradients: ParameterGradients<Scalar>, learningRate: Double) throws

    /// Z-IL's gradients (equal to backprop); the layered engine's by default.
    func zeroDivergenceGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                 into gradients: inout ParameterGradients<Scalar>) throws -> Double
    /// FPA's gradients after `iterations` sweeps of step `stepSize`; the layered engine's by default.
    func fixedPredictionGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                  into gradients: inout ParameterGradients<Scalar>, iterations: Int, stepSize: Double) throws -> Double
    /// The backprop reference's gradients; the layered engine's by default.
    func backpropGradients(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                           into gradients: inout ParameterGradients<Scalar>) throws -> Double
}

extension LayeredPCModel {
    /// The number of predictive layers L, from ``sizes``.
    public var depth: Int { sizes.count - 1 }

    /// No feedback to the input: x₀ stays clamped.
    public var inputFeedback: Bool { false }

    /// Identity precisions.
    public func precision(_ l: Int) -> LayerPrecision<Scalar>? { nil }

    /// Nothing to update with identity precisions.
    public mutating func updatePrecisions(_ gradients: ParameterGradients<Scalar>, learningRate: Double) throws {}

    /// Whether any layer's precision is other than the identity.
    var hasPrecisions: Bool {
        for l in Swift.stride(from: 1, through: depth, by: 1) where precision(l) != nil { return true }
        return false
    }

    /// Throws ``PCCoreError/unsupported(_:)`` naming `rule` unless every precision is the identity.
    func requireUnitPrecisions(_ rule: String) throws {
        if hasPrecisions { throw PCCoreError.unsupported("\(rule) is defined here for unit precisions; this model has a precision other than the identity") }
    }
}

/// Scratch for models that need none.
public struct NoScratch: Sendable {
    public init() {}
}
