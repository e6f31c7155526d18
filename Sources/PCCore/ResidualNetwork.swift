import PCNumerics

/// The shape and parameterisation of a residual PC MLP (<doc:GraphsAndMuPC#Residual-parameterisation>).
public struct ResidualNetworkConfiguration: Sendable, Hashable, Codable {
    /// D, the input width.
    public var inputSize: Int
    /// N, the width of every hidden layer.
    public var width: Int
    /// H, the number of hidden layers z₁…z_H (weight layers L = H + 1).
    public var hiddenLayers: Int
    /// The output width (classes).
    public var outputSize: Int
    /// φ, applied to z_ℓ before every weight but the first (default ReLU).
    public var activation: Activation
    /// Standard or μPC (default μPC).
    public var parameterization: Parameterization
    /// Whether z_ℓ = z_{ℓ−1} + a_ℓ W_ℓ φ(z_{ℓ−1}) (true, default) or z_ℓ = a_ℓ W_ℓ φ(z_{ℓ−1}).
    public var residual: Bool
    /// The initialiser of the standard parameterisation (default He-uniform, the core's MLP default);
    /// μPC always draws N(0, 1).
    public var standardInitializer: Initializer
    /// The output node's energy: squared error (default) or cross-entropy on softmax(μ_y)
    /// (``PCGraphNode/energy``).
    public var outputEnergy: OutputEnergy

    /// - Throws: ``PCCoreError/invalidArchitecture(_:)`` for a non-positive size or no hidden layer.
    public init(inputSize: Int, width: Int, hiddenLayers: Int, outputSize: Int, activation: Activation = .relu,
                parameterization: Parameterization = .muPC, residual: Bool = true,
                standardInitializer: Initializer = .heUniform, outputEnergy: OutputEnergy = .squaredError) throws {
        guard inputSize >= 1, width >= 1, outputSize >= 1 else {
            throw PCCoreError.invalidArchitecture("sizes must be positive (input \(inputSize), width \(width), output \(outputSize))")
        }
        guard hiddenLayers >= 1 else { throw PCCoreError.invalidArchitecture("a residual network needs at least one hidden layer (got \(hiddenLayers))") }
        (self.inputSize, self.width, self.hiddenLayers, self.outputSize) = (inputSize, width, hiddenLayers, outputSize)
        (self.activation, self.parameterization, self.residual, self.standardInitializer) = (activation, parameterization, residual, standardInitializer)
        self.outputEnergy = outputEnergy
    }

    private enum CodingKeys: String, CodingKey {
        case inputSize, width, hiddenLayers, outputSize, activation, parameterization, residual, standardInitializer, outputEnergy
    }

    /// Decodes a configuration; a missing `outputEnergy` (encodings before it existed) is squared error.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(inputSize: c.decode(Int.self, forKey: .inputSize), width: c.decode(Int.self, forKey: .width),
                      hiddenLayers: c.decode(Int.self, forKey: .hiddenLayers), outputSize: c.decode(Int.self, forKey: .outputSize),
                      activation: c.decode(Activation.self, forKey: .activation),
                      parameterization: c.decode(Parameterization.self, forKey: .parameterization),
                      residual: c.decode(Bool.self, forKey: .residual), standardInitializer: c.decode(Initializer.self, forKey: .standardInitializer),
                      outputEnergy: c.decodeIfPresent(OutputEnergy.self, forKey: .outputEnergy) ?? .squaredError)
    }

    /// L = H + 1, the number of weight matrices.
    public var weightLayers: Int { hiddenLayers + 1 }
    /// a₁…a_L of ``parameterization``.
    public var scales: [Double] {
        parameterization.scales(inputSize: inputSize, width: width, weightLayers: weightLayers, residual: residual)
    }
}

/// A residual PC MLP as a ``PCGraph`` chain x → z₁ → … → z_H → ŷ (<doc:GraphsAndMuPC#Residual-parameterisation>):
/// μ(z₁) = a₁ W₁ x, μ(z_ℓ) = z_{ℓ−1} + a_ℓ W_ℓ φ(z_{ℓ−1}) (ℓ = 2…H; the skip is an identity edge),
/// μ(ŷ) = a_L W_L φ(z_H); no biases, unit precisions. Node 0 is the input, node H + 1 the output.
///
/// ```swift
/// var rng = Xoshiro256(seed: 0)
/// let config = try ResidualNetworkConfiguration(inputSize: 64, width: 64, hiddenLayers: 128, outputSize: 10)
/// let net = try ResidualNetwork<Float>(config, using: &rng)
/// ```
public struct ResidualNetwork<Scalar: PCScalar>: Sendable {
    /// The architecture.
    public let configuration: ResidualNetworkConfiguration
    /// The graph holding the weights (trained in place).
    public var graph: PCGraph<Scalar>

    /// The input node x (index 0).
    public var inputNode: Int { 0 }
    /// The output node ŷ (index H + 1).
    public var outputNode: Int { configuration.hiddenLayers + 1 }

    /// A freshly initialised network: W ~ N(0, 1) (μPC) or the standard initialiser, drawn in layer order.
    /// - Parameter generator: the seeded source of every weight.
    public init(_ configuration: ResidualNetworkConfiguration, using generator: inout Xoshiro256) throws {
        self.configuration = configuration
        let c = configuration
        let a = c.scales
        let initializer: Initializer = c.parameterization == .muPC ? .normal(standardDeviation: 1) : c.standardInitializer
        var nodes = [try PCGraphNode<Scalar>(name: "x", size: c.inputSize)]
        for l in 1...c.hiddenLayers { nodes.append(try PCGraphNode(name: "z\(l)", size: c.width)) }
        nodes.append(try PCGraphNode(name: "y", size: c.outputSize, energy: c.outputEnergy))
        var edges: [PCGraphEdge<Scalar>] = []
        // z₁ = a₁ W₁ x: no skip, no activation on the input.
        edges.append(try PCGraphEdge(from: 0, to: 1, weight: Matrix(rows: c.width, columns: c.inputSize, initializer: initializer, using: &generator),
                                     scale: a[0]))
        for l in Swift.stride(from: 2, through: c.hiddenLayers, by: 1) {
            edges.append(try PCGraphEdge(from: l - 1, to: l, weight: Matrix(rows: c.width, columns: c.width, initializer: initializer, using: &generator),
                                         activation: c.activation, scale: a[l - 1]))
            if c.residual { edges.append(try PCGraphEdge(identityFrom: l - 1, to: l)) }
        }
        // ŷ = a_L W_L φ(z_H): no skip.
        edges.append(try PCGraphEdge(from: c.hiddenLayers, to: c.hiddenLayers + 1,
                                     weight: Matrix(rows: c.outputSize, columns: c.width, initializer: initializer, using: &generator),
                                     activation: c.activation, scale: a[c.weightLayers - 1]))
        graph = try PCGraph(nodes: nodes, edges: edges)
    }

    /// The clamps of supervised training: input and output clamped, every z_ℓ inferred.
    public var supervisedClamps: PCGraphClamps<Scalar> {
        PCGraphClamps(nodeCount: graph.nodes.count, clamped: [inputNode, outputNode])
    }

    /// The feedforward activities z₁…z_H for `inputs` (B × D), (B × N) each; allocates.
    public func hiddenActivities<M: MatrixOperand>(_ inputs: M) throws -> [Matrix<Scalar>] where M.Scalar == Scalar {
        var state = try PCGraphState(for: graph, batchSize: inputs.rows)
        var workspace = try PCGraphWorkspace(for: graph, batchSize: inputs.rows, traceCapacity: 0)
        try state.setActivity(inputNode, inputs)
        try graph.feedforward(&state, workspace: &workspace, clamps: PCGraphClamps(nodeCount: graph.nodes.count, clamped: [inputNode]))
        return Array(state.activities[1...configuration.hiddenLayers])
    }
}
