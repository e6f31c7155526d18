import PCNumerics

/// A hierarchical predictive-coding network of convolution, pooling and dense layers: the model,
/// immutable during inference.
///
/// Value nodes x₀…x_L hold images (B × C·H·W, NCHW rows) or feature vectors. Layer ℓ predicts
/// μ_ℓ = f_ℓ(φ_{ℓ−1}(x_{ℓ−1})) with f_ℓ a convolution (stride, zero padding) plus bias, an average
/// or max pooling, or a dense map; ε_ℓ = x_ℓ − μ_ℓ and F = Σ_ℓ ½ ε_ℓᵀ Π_ℓ ε_ℓ per sample, with
/// Π_ℓ = I unless ``precisions`` says otherwise (fixed, or learned as a log-variance per unit, which
/// adds ½ Σ_j s_ℓj); a cross-entropy output as in ``OutputEnergy``. Inference, IL, Z-IL and the backprop reference come
/// from ``LayeredPCModel``; conv and pooling products run on ``Convolution2D`` (im2col + GEMM) and
/// ``Pooling2D``.
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let cnn = try ConvolutionalNetwork<Float>.digits(using: &rng)   // 1×8×8 → conv → pool → 64 → 10
/// ```
public struct ConvolutionalNetwork<Scalar: PCScalar>: Sendable, Equatable {
    /// The predictive layers; `layers[ℓ − 1]` predicts x_ℓ. (L)
    public internal(set) var layers: [ConvolutionalLayer<Scalar>]
    /// The energy of the output layer.
    public let outputEnergy: OutputEnergy
    /// n₀…n_L. (L + 1)
    public let sizes: [Int]
    /// The parameter group of each layer (index into ``ParameterGradients``), `nil` for pooling. (L)
    public let parameterGroups: [Int?]
    /// Π_ℓ of each layer's error, `precisions[ℓ − 1]` over its n_ℓ units. (L) Learned ones change
    /// only through ``PCLearner`` (or ``updatePrecisions(_:learningRate:)``).
    public internal(set) var precisions: [LayerPrecision<Scalar>]

    /// A network from its layers.
    /// - Parameters:
    ///   - layers: the predictive layers, `layers[ℓ − 1]` predicting x_ℓ.
    ///   - outputEnergy: squared error (default) or cross-entropy.
    ///   - precisions: Π_ℓ of each layer ℓ = 1…L (L entries; default all identity). A diagonal has
    ///     one value per unit (C·H·W for an image layer); a cross-entropy output takes the identity.
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` when there are no layers, consecutive
    ///   sizes do not chain, or the precisions do not fit; ``PCCoreError/invalidOption(name:reason:)``
    ///   for an invalid precision.
    public init(layers: [ConvolutionalLayer<Scalar>], outputEnergy: OutputEnergy = .squaredError,
                precisions: [PrecisionSpecification]? = nil) throws {
        guard !layers.isEmpty else { throw PCCoreError.invalidArchitecture("a network needs at least one layer") }
        for l in 1..<layers.count where layers[l].inputSize != layers[l - 1].outputSize {
            throw PCCoreError.invalidArchitecture(
                "layer \(l + 1) takes \(layers[l].inputSize) inputs but layer \(l) has \(layers[l - 1].outputSize) units")
        }
        let specifications = precisions ?? layers.map { _ in .identity }
        guard specifications.count == layers.count else {
            throw PCCoreError.invalidArchitecture("\(specifications.count) precisions for \(layers.count) layers")
        }
        self.precisions = try zip(layers, specifications).map { try LayerPrecision($1, size: $0.outputSize) }
        if outputEnergy == .crossEntropy, !self.precisions[layers.count - 1].isIdentity {
            throw PCCoreError.invalidArchitecture("a cross-entropy output has no precision (it must be the identity)")
        }
        self.layers = layers
        self.outputEnergy = outputEnergy
        sizes = [layers[0].inputSize] + layers.map(\.outputSize)
        var next = 0
        parameterGroups = layers.map { layer in
            guard layer.weight != nil else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// The digits CNN: 1×8×8 → conv 3×3 (padding 1) to `channels`×8×8 → φ, `pooling` 2×2 to
    /// `channels`×4×4 → dense `hidden` → φ → dense `classes`.
    /// - Parameters:
    ///   - channels: convolution filters (default 16).
    ///   - hidden: units of the dense hidden layer (default 64).
    ///   - classes: output units (default 10).
    ///   - pooling: average (default) or max.
    ///   - activation: φ of the hidden layers (default ReLU).
    ///   - outputEnergy: squared error (default) or cross-entropy.
    ///   - generator: the seeded generator of every weight.
    public static func digits(channels: Int = 16, hidden: Int = 64, classes: Int = 10, pooling: Pooling2D.Mode = .average,
                              activation: Activation = .relu, outputEnergy: OutputEnergy = .squaredError,
                              using generator: inout Xoshiro256) throws -> ConvolutionalNetwork {
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 8, inputWidth: 8, outputChannels: channels,
                                     kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let pool = try Pooling2D(mode: pooling, channels: channels, inputHeight: 8, inputWidth: 8, window: 2)
        return try ConvolutionalNetwork(layers: [
            .convolution(conv, using: &generator),
            .pooling(pool, inputActivation: activation),
            .dense(inputSize: pool.outputFeatures, outputSize: hidden, using: &generator),
            .dense(inputSize: hidden, outputSize: classes, inputActivation: activation, using: &generator),
        ], outputEnergy: outputEnergy)
    }

    /// The number of trainable parameters (weights, biases and learned log-variances).
    public var parameterCount: Int {
        layers.reduce(0) { $0 + ($1.weight?.count ?? 0) + ($1.bias?.count ?? 0) } + precisions.reduce(0) { $0 + ($1.isLearned ? $1.count : 0) }
    }

    /// Replaces the parameters of layer `index` (0-based, `layers[index]`).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` when a shape differs from the
    ///   current one, ``PCCoreError/invalidArchitecture(_:)`` when adding or removing a parameter.
    public mutating func setParameters(layer index: Int, weight: Matrix<Scalar>?, bias: Vector<Scalar>?) throws {
        let old = layers[index]
        guard (weight == nil) == (old.weight == nil), (bias == nil) == (old.bias == nil) else {
            throw PCCoreError.invalidArchitecture("layer \(index + 1): parameters cannot be added or removed")
        }
        layers[index] = try ConvolutionalLayer(kind: old.kind, inputActivation: old.inputActivation, weight: weight, bias: bias)
    }
}
