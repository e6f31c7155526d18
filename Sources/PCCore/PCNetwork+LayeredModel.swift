import PCNumerics

// A PCNetwork is a layered model: its dense layers supply the three products the layered engine is
// written against (PCCore article ConvolutionalAndRecurrent), so generic code over LayeredPCModel
// runs the dense network, the CNN and the RNN alike (every engine shares PCWorkspace and PCState).
// Its own methods are the fused settle kernel (FusedInference.swift), sharded learning and its
// parameter gradients, exact rules and optimiser step (PCNetwork+Learning.swift); every other settle
// (momentum, free inputs and outputs, masks, the generic kernel) is the layered engine's.

extension PCNetwork: LayeredPCModel {
    public func rateActivation(_ l: Int) -> Activation { layers[l].inputActivation }

    /// A dense network's input feeds layer 1 only, through W₁: it can be inferred (a free input).
    public var inputFeedback: Bool { true }

    public func makeScratch(batchSize: Int) throws -> NoScratch { NoScratch() }

    public func makeGradients() throws -> ParameterGradients<Scalar> { try ParameterGradients(for: self) }

    /// μ_ℓ = r_{ℓ−1} W_ℓᵀ + b_ℓ.
    public func predict(_ l: Int, rate: Matrix<Scalar>, input: Matrix<Scalar>, into prediction: inout Matrix<Scalar>,
                        scratch: inout NoScratch) throws {
        let layer = layers[l - 1]
        try Matrix.linear(rate, layer.weight, transposeB: true, bias: layer.bias, activation: .identity, into: &prediction)
    }

    /// e W_{ℓ+1}, 0 ≤ ℓ ≤ L − 1.
    public func feedback(_ l: Int, error: Matrix<Scalar>, into feedback: inout Matrix<Scalar>, scratch: inout NoScratch) throws {
        try Matrix.multiply(error, layers[l].weight, into: &feedback)
    }

    /// ∂/∂W_ℓ += α eᵀ r_{ℓ−1}, ∂/∂b_ℓ += α Σ_i e_i.
    public func accumulateParameterGradient(_ l: Int, error: Matrix<Scalar>, rate: Matrix<Scalar>, input: Matrix<Scalar>,
                                            alpha: Scalar, into gradients: inout ParameterGradients<Scalar>,
                                            scratch: inout NoScratch) throws {
        try Matrix.multiply(error, transposeA: true, rate, alpha: alpha, beta: 1, into: &gradients.weights[l - 1])
        if gradients.biases[l - 1] != nil { try error.sumColumns(alpha: alpha, beta: 1, into: &gradients.biases[l - 1]!) }
    }

    public mutating func applyGradients(_ gradients: ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>) throws {
        try optimizer.step(&self, gradients: gradients)
    }

    public func precision(_ l: Int) -> LayerPrecision<Scalar>? {
        layers[l - 1].precision.isIdentity ? nil : layers[l - 1].precision
    }
}
