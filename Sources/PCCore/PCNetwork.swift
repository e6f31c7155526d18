import PCNumerics

/// The energy of the output layer x_L (<doc:EnergyAndInference#Energy>).
public enum OutputEnergy: Sendable, Hashable, Codable {
    /// Gaussian: ½ ε_Lᵀ Π_L ε_L with ε_L = x_L − μ_L; x_L is a node (clamped to the target, or free).
    case squaredError
    /// F_L = −yᵀ log softmax(μ_L); x_L is not a node and holds the target y. The output error is
    /// ε_L := y − softmax(μ_L), so that every formula of the squared-error case holds with Π_L = I.
    case crossEntropy
}

/// One dense predictive layer ℓ (1 ≤ ℓ ≤ L): it predicts x_ℓ from x_{ℓ−1}.
///
/// **Convention (activation before the linear map, as in JPC and Alonso et al.):**
/// μ_ℓ = W_ℓ φ_{ℓ−1}(x_{ℓ−1}) + b_ℓ, per sample; for a batch in rows, M_ℓ = φ(X_{ℓ−1}) W_ℓᵀ + 1 b_ℓᵀ.
/// φ₀ (the input layer's activation) is the identity by default.
public struct DenseLayer<Scalar: PCScalar>: Sendable, Equatable {
    /// W_ℓ, (outputSize × inputSize). Change it with ``setWeight(_:)`` (same shape).
    public internal(set) var weight: Matrix<Scalar>
    /// b_ℓ, (outputSize), or `nil` for a layer without bias. Change it with ``setBias(_:)``.
    public internal(set) var bias: Vector<Scalar>?
    /// φ_{ℓ−1}, applied to the presynaptic activities x_{ℓ−1} before W_ℓ.
    public let inputActivation: Activation
    /// Π_ℓ, the precision of ε_ℓ = x_ℓ − μ_ℓ. Change it with ``setPrecision(_:)``.
    public internal(set) var precision: LayerPrecision<Scalar>

    /// Number of presynaptic units n_{ℓ−1}.
    public var inputSize: Int { weight.columns }
    /// Number of units n_ℓ predicted.
    public var outputSize: Int { weight.rows }

    /// A layer from its parameters.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` if the bias or precision length differs from W's rows.
    public init(weight: Matrix<Scalar>, bias: Vector<Scalar>?, inputActivation: Activation,
                precision: LayerPrecision<Scalar>? = nil) throws {
        if let bias, bias.count != weight.rows {
            throw PCCoreError.shapeMismatch(what: "bias", expected: Shape(weight.rows, 1), got: Shape(bias.count, 1))
        }
        let precision = try precision ?? LayerPrecision(.identity, size: weight.rows)
        guard precision.count == weight.rows else {
            throw PCCoreError.shapeMismatch(what: "precision", expected: Shape(weight.rows, 1), got: Shape(precision.count, 1))
        }
        self.weight = weight
        self.bias = bias
        self.inputActivation = inputActivation
        self.precision = precision
    }

    /// Replaces W_ℓ by `weight`, which must have its shape (the learner, the optimizer and the fused
    /// kernels size their buffers from it).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` naming the shape it needs.
    public mutating func setWeight(_ weight: Matrix<Scalar>) throws {
        guard weight.shape == self.weight.shape else {
            throw PCCoreError.shapeMismatch(what: "weight", expected: self.weight.shape, got: weight.shape)
        }
        self.weight = weight
    }

    /// Replaces b_ℓ by `bias`, (outputSize) values.
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for a layer built without a bias (a bias
    ///   cannot be added), ``PCCoreError/shapeMismatch(what:expected:got:)`` for another length.
    public mutating func setBias(_ bias: Vector<Scalar>) throws {
        guard self.bias != nil else {
            throw PCCoreError.invalidArchitecture("this layer was built without a bias; build one with `bias:` to have one")
        }
        guard bias.count == outputSize else {
            throw PCCoreError.shapeMismatch(what: "bias", expected: Shape(outputSize, 1), got: Shape(bias.count, 1))
        }
        self.bias = bias
    }

    /// Replaces Π_ℓ by `precision`, which must have (outputSize) values and be learned exactly when
    /// the current one is (a learner keeps optimizer state for learned log-variances).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` for another size,
    ///   ``PCCoreError/invalidArchitecture(_:)`` for a change between fixed and learned.
    public mutating func setPrecision(_ precision: LayerPrecision<Scalar>) throws {
        guard precision.count == outputSize else {
            throw PCCoreError.shapeMismatch(what: "precision", expected: Shape(outputSize, 1), got: Shape(precision.count, 1))
        }
        guard precision.isLearned == self.precision.isLearned else {
            throw PCCoreError.invalidArchitecture("a precision cannot change between fixed and learned (this layer's is \(self.precision.isLearned ? "learned" : "fixed")); build the layer with the precision it needs")
        }
        self.precision = precision
    }
}

/// A hierarchical predictive-coding network of dense layers: the model, immutable during inference.
///
/// Layers ℓ = 0…L hold activities x_ℓ (n_ℓ units). x₀ is the input, x_L the output; layer
/// `layers[ℓ − 1]` predicts x_ℓ by μ_ℓ = W_ℓ φ_{ℓ−1}(x_{ℓ−1}) + b_ℓ. The free energy of a sample is
/// F = Σ_ℓ ½ ε_ℓᵀ Π_ℓ ε_ℓ (+ ½ Σ s_j for learned precisions), ε_ℓ = x_ℓ − μ_ℓ (<doc:EnergyAndInference#Energy>).
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let net = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu, using: &rng)
/// ```
public struct PCNetwork<Scalar: PCScalar>: Sendable, Equatable {
    /// The predictive layers; `layers[ℓ − 1]` predicts x_ℓ. (L) Read-only: change parameters with
    /// ``setWeight(_:layer:)``, ``setBias(_:layer:)`` and ``setPrecision(_:layer:)``, which keep
    /// every shape the learner and the fused kernels rely on.
    public internal(set) var layers: [DenseLayer<Scalar>]
    /// The energy of the output layer.
    public let outputEnergy: OutputEnergy

    /// Layer sizes n₀…n_L. (L + 1) Stored: the layers' shapes never change after construction, and
    /// the engine reads the sizes in every settle.
    public let sizes: [Int]
    /// The number of predictive layers L.
    public var depth: Int { layers.count }

    /// A network from its layers.
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` when there are no layers, consecutive sizes
    ///   do not chain, or a cross-entropy output has a non-identity precision.
    public init(layers: [DenseLayer<Scalar>], outputEnergy: OutputEnergy = .squaredError) throws {
        guard !layers.isEmpty else { throw PCCoreError.invalidArchitecture("a network needs at least one layer") }
        for l in 1..<layers.count where layers[l].inputSize != layers[l - 1].outputSize {
            throw PCCoreError.invalidArchitecture(
                "layer \(l + 1) takes \(layers[l].inputSize) inputs but layer \(l) has \(layers[l - 1].outputSize) units")
        }
        if outputEnergy == .crossEntropy, !layers[layers.count - 1].precision.isIdentity {
            throw PCCoreError.invalidArchitecture("a cross-entropy output has no precision (it must be the identity)")
        }
        self.layers = layers
        sizes = [layers[0].inputSize] + layers.map(\.outputSize)
        self.outputEnergy = outputEnergy
    }

    /// A multilayer network with freshly initialised weights and zero biases.
    ///
    /// - Parameters:
    ///   - sizes: n₀…n_L, at least two, all positive (e.g. `[64, 128, 128, 10]`).
    ///   - activation: φ_ℓ of the hidden layers ℓ = 1…L−1 (applied before W_{ℓ+1}).
    ///   - inputActivation: φ₀, applied to the input before W₁ (default identity).
    ///   - bias: whether layers have biases (default `true`).
    ///   - initializer: the weight distribution (default He-uniform, reading fan-in = n_{ℓ−1}).
    ///   - outputEnergy: squared error (default) or cross-entropy.
    ///   - precision: the precision of each layer ℓ = 1…L (default identity); one value for all
    ///     layers, or `precisions` for one per layer.
    ///   - generator: the seeded generator every weight is drawn from.
    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for bad sizes.
    public init(sizes: [Int], activation: Activation, inputActivation: Activation = .identity, bias: Bool = true,
                initializer: Initializer = .heUniform, outputEnergy: OutputEnergy = .squaredError,
                precision: PrecisionSpecification = .identity, precisions: [PrecisionSpecification]? = nil,
                using generator: inout Xoshiro256) throws {
        guard sizes.count >= 2 else { throw PCCoreError.invalidArchitecture("need at least an input and an output size (got \(sizes))") }
        guard sizes.allSatisfy({ $0 > 0 }) else { throw PCCoreError.invalidArchitecture("sizes must be positive (got \(sizes))") }
        if let precisions, precisions.count != sizes.count - 1 {
            throw PCCoreError.invalidArchitecture("\(precisions.count) precisions for \(sizes.count - 1) layers")
        }
        var layers: [DenseLayer<Scalar>] = []
        for l in 1..<sizes.count {
            let weight = try Matrix<Scalar>(rows: sizes[l], columns: sizes[l - 1], initializer: initializer, using: &generator)
            let spec = precisions?[l - 1] ?? precision
            layers.append(try DenseLayer(weight: weight, bias: bias ? try Vector(count: sizes[l]) : nil,
                                         inputActivation: l == 1 ? inputActivation : activation,
                                         precision: LayerPrecision(spec, size: sizes[l])))
        }
        try self.init(layers: layers, outputEnergy: outputEnergy)
    }

    /// Replaces W of `layers[layer]` (same shape). - Throws: as ``DenseLayer/setWeight(_:)``, or
    /// ``PCCoreError/invalidArchitecture(_:)`` for a layer index outside 0..<depth.
    public mutating func setWeight(_ weight: Matrix<Scalar>, layer: Int) throws {
        try checkLayer(layer)
        try layers[layer].setWeight(weight)
    }

    /// Replaces b of `layers[layer]` (same length; the layer must have a bias).
    /// - Throws: as ``DenseLayer/setBias(_:)``, or for a layer index outside 0..<depth.
    public mutating func setBias(_ bias: Vector<Scalar>, layer: Int) throws {
        try checkLayer(layer)
        try layers[layer].setBias(bias)
    }

    /// Replaces Π of `layers[layer]` (same size, fixed or learned as before; a cross-entropy
    /// output's stays the identity).
    /// - Throws: as ``DenseLayer/setPrecision(_:)``, or for a layer index outside 0..<depth.
    public mutating func setPrecision(_ precision: LayerPrecision<Scalar>, layer: Int) throws {
        try checkLayer(layer)
        if outputEnergy == .crossEntropy && layer == depth - 1 && !precision.isIdentity {
            throw PCCoreError.invalidArchitecture("a cross-entropy output has no precision (it must be the identity)")
        }
        try layers[layer].setPrecision(precision)
    }

    /// Copies every parameter of `other` into this network in place (no allocation when the
    /// precisions are equal or fixed).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` or
    ///   ``PCCoreError/invalidArchitecture(_:)`` when `other` has other sizes, biases or precision kinds.
    public mutating func assignParameters(from other: PCNetwork<Scalar>) throws {
        try checkSameParameterShapes(as: other)
        for l in 0..<depth {
            try layers[l].weight.assign(other.layers[l].weight)
            if layers[l].bias != nil { try layers[l].bias!.assign(other.layers[l].bias!) }
            if layers[l].precision != other.layers[l].precision { try setPrecision(other.layers[l].precision, layer: l) }
        }
    }

    /// Moves every weight and bias a fraction `alpha` of the way toward `other`'s, in place:
    /// θ ← θ + α (θ_other − θ) (an exponential moving average of parameters when called after each
    /// update); a precision that differs is copied. Allocates nothing when the precisions agree.
    /// - Throws: as ``assignParameters(from:)`` when `other` has other shapes.
    public mutating func moveParameters(toward other: PCNetwork<Scalar>, fraction alpha: Scalar) throws {
        try checkSameParameterShapes(as: other)
        for l in 0..<depth {
            let count = layers[l].weight.count
            other.layers[l].weight.withUnsafeStorage { source, _ in
                layers[l].weight.withUnsafeMutableStorage { target, _ in
                    for i in 0..<count { target[i] += alpha * (source[i] - target[i]) }
                }
            }
            if layers[l].bias != nil {
                other.layers[l].bias!.withUnsafeBufferPointer { source in
                    layers[l].bias!.withUnsafeMutableBufferPointer { target in
                        for i in 0..<source.count { target[i] += alpha * (source[i] - target[i]) }
                    }
                }
            }
            if layers[l].precision != other.layers[l].precision { try setPrecision(other.layers[l].precision, layer: l) }
        }
    }

    /// Checks that `other` has this network's depth, weight shapes and biases (present in both,
    /// same length, or absent in both), reading presence without holding a copy of a bias (which
    /// would make an in-place update of it copy its storage).
    private func checkSameParameterShapes(as other: PCNetwork<Scalar>) throws {
        guard other.depth == depth else {
            throw PCCoreError.invalidArchitecture("a network of \(other.depth) layers against one of \(depth)")
        }
        for l in 0..<depth {
            guard other.layers[l].weight.shape == layers[l].weight.shape else {
                throw PCCoreError.shapeMismatch(what: "weight of layer \(l + 1)", expected: layers[l].weight.shape,
                                                got: other.layers[l].weight.shape)
            }
            let hasBias = layers[l].bias != nil
            guard hasBias == (other.layers[l].bias != nil), !hasBias || other.layers[l].bias!.count == layers[l].bias!.count else {
                throw PCCoreError.invalidArchitecture("layer \(l + 1): the biases differ in presence or length")
            }
        }
    }

    private func checkLayer(_ layer: Int) throws {
        guard (0..<depth).contains(layer) else {
            throw PCCoreError.invalidArchitecture("layer index \(layer) is outside 0..<\(depth)")
        }
    }

    /// The number of trainable parameters (weights, biases and learned log-variances).
    public var parameterCount: Int {
        layers.reduce(0) { $0 + $1.weight.count + ($1.bias?.count ?? 0) + ($1.precision.isLearned ? $1.precision.count : 0) }
    }
}
