import PCNumerics

/// The map a ``ConvolutionalLayer`` applies to the rates below it.
public enum ConvolutionalLayerKind: Sendable, Hashable, Codable {
    /// μ = conv(r, W) + b (stride and zero padding in the geometry); W is (C_out × C_in·kh·kw), b (C_out).
    case convolution(Convolution2D)
    /// μ = pool(r), average or max over windows; no parameters.
    case pooling(Pooling2D)
    /// μ = r Wᵀ + b; W is (outputSize × inputSize).
    case dense(inputSize: Int, outputSize: Int)
}

/// One predictive layer ℓ of a ``ConvolutionalNetwork``: it predicts x_ℓ from r_{ℓ−1} = φ_{ℓ−1}(x_{ℓ−1}).
///
/// Images are rows in channel-major (NCHW) order, as in ``Convolution2D``: a (B × C·H·W) matrix.
public struct ConvolutionalLayer<Scalar: PCScalar>: Sendable, Equatable {
    /// The map.
    public let kind: ConvolutionalLayerKind
    /// φ_{ℓ−1}, applied to x_{ℓ−1} before the map (identity on the input image by default).
    public let inputActivation: Activation
    /// W_ℓ: (C_out × C_in·kh·kw) for a convolution, (outputSize × inputSize) for a dense layer,
    /// `nil` for pooling.
    public internal(set) var weight: Matrix<Scalar>?
    /// b_ℓ: (C_out) for a convolution, (outputSize) for a dense layer, or `nil`.
    public internal(set) var bias: Vector<Scalar>?

    /// n_{ℓ−1}, the features of the layer below.
    public var inputSize: Int {
        switch kind {
        case .convolution(let c): c.inputFeatures
        case .pooling(let p): p.inputFeatures
        case .dense(let n, _): n
        }
    }
    /// n_ℓ, the features predicted.
    public var outputSize: Int {
        switch kind {
        case .convolution(let c): c.outputFeatures
        case .pooling(let p): p.outputFeatures
        case .dense(_, let n): n
        }
    }

    /// A layer from its parameters.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` when W or b does not fit the kind,
    ///   ``PCCoreError/invalidArchitecture(_:)`` for parameters on a pooling layer.
    public init(kind: ConvolutionalLayerKind, inputActivation: Activation = .identity,
                weight: Matrix<Scalar>?, bias: Vector<Scalar>?) throws {
        let expected: (weight: Shape, bias: Int)?
        switch kind {
        case .convolution(let c): expected = (Shape(c.outputChannels, c.patchSize), c.outputChannels)
        case .pooling: expected = nil
        case .dense(let n, let m):
            guard n > 0, m > 0 else { throw PCCoreError.invalidArchitecture("dense sizes must be positive (got \(n) → \(m))") }
            expected = (Shape(m, n), m)
        }
        if let expected {
            guard let weight else { throw PCCoreError.invalidArchitecture("a \(kind) layer needs a weight") }
            guard weight.shape == expected.weight else {
                throw PCCoreError.shapeMismatch(what: "weight", expected: expected.weight, got: weight.shape)
            }
            if let bias, bias.count != expected.bias {
                throw PCCoreError.shapeMismatch(what: "bias", expected: Shape(expected.bias, 1), got: Shape(bias.count, 1))
            }
        } else if weight != nil || bias != nil {
            throw PCCoreError.invalidArchitecture("a pooling layer has no parameters")
        }
        self.kind = kind
        self.inputActivation = inputActivation
        self.weight = weight
        self.bias = bias
    }

    /// A convolution with He-uniform weights (fan-in C_in·kh·kw) and zero bias.
    /// - Parameters:
    ///   - geometry: channels, image size, kernel, stride and padding.
    ///   - inputActivation: φ applied to the layer below (default identity).
    ///   - bias: whether the layer has a bias (default `true`).
    ///   - generator: the seeded generator of the weights.
    public static func convolution(_ geometry: Convolution2D, inputActivation: Activation = .identity, bias: Bool = true,
                                   initializer: Initializer = .heUniform, using generator: inout Xoshiro256) throws -> ConvolutionalLayer {
        try ConvolutionalLayer(kind: .convolution(geometry), inputActivation: inputActivation,
                               weight: Matrix(rows: geometry.outputChannels, columns: geometry.patchSize, initializer: initializer, using: &generator),
                               bias: bias ? Vector(count: geometry.outputChannels) : nil)
    }

    /// A pooling layer.
    public static func pooling(_ geometry: Pooling2D, inputActivation: Activation = .identity) throws -> ConvolutionalLayer {
        try ConvolutionalLayer(kind: .pooling(geometry), inputActivation: inputActivation, weight: nil, bias: nil)
    }

    /// A dense layer with He-uniform weights (fan-in = inputSize) and zero bias.
    public static func dense(inputSize: Int, outputSize: Int, inputActivation: Activation = .identity, bias: Bool = true,
                             initializer: Initializer = .heUniform, using generator: inout Xoshiro256) throws -> ConvolutionalLayer {
        guard inputSize > 0, outputSize > 0 else {
            throw PCCoreError.invalidArchitecture("dense sizes must be positive (got \(inputSize) → \(outputSize))")
        }
        return try ConvolutionalLayer(kind: .dense(inputSize: inputSize, outputSize: outputSize), inputActivation: inputActivation,
                                      weight: Matrix(rows: outputSize, columns: inputSize, initializer: initializer, using: &generator),
                                      bias: bias ? Vector(count: outputSize) : nil)
    }
}
