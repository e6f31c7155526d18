import PCNumerics

// The unrolled chain's products. Parameter groups: 0 = (W_x, b_h), 1 = (W_h), 2 = (W_y, b_y).
extension RecurrentNetwork: LayeredPCModel {
    public func rateActivation(_ l: Int) -> Activation { l == 0 ? .identity : activation }

    public func makeScratch(batchSize: Int) throws -> NoScratch { NoScratch() }

    public func makeGradients() throws -> ParameterGradients<Scalar> {
        let learned = hiddenPrecision.isLearned || outputPrecision.isLearned
        return try ParameterGradients(weightShapes: [inputWeight.shape, recurrentWeight.shape, outputWeight.shape],
                                      biasCounts: [hiddenBias?.count, nil, outputBias?.count],
                                      logVarianceCounts: !learned ? [] : Array(repeating: hiddenPrecision.isLearned ? hiddenSize : nil, count: steps)
                                          + [outputPrecision.isLearned ? outputSize : nil])
    }

    /// Π_h for the hidden layers 1…T, Π_y for the output T + 1 (`nil` where it is the identity).
    public func precision(_ l: Int) -> LayerPrecision<Scalar>? {
        let precision = l <= steps ? hiddenPrecision : outputPrecision
        return precision.isIdentity ? nil : precision
    }

    /// s_h ← clamp(s_h − α_s Σ_t ∂F_B/∂s_ht) (the hidden precision is shared by the time steps, so its
    /// gradient sums over them) and s_y ← clamp(s_y − α_s ∂F_B/∂s_y), for the learned ones;
    /// allocates nothing.
    /// - Parameters:
    ///   - gradients: gradients whose `logVariances` are set, indexed by layer ℓ − 1.
    ///   - learningRate: α_s ≥ 0.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` for gradients of another network.
    public mutating func updatePrecisions(_ gradients: ParameterGradients<Scalar>, learningRate: Double) throws {
        guard hiddenPrecision.isLearned || outputPrecision.isLearned else { return }
        var fits = gradients.logVariances.count == steps + 1
        if fits {
            for t in 0..<steps where hiddenPrecision.isLearned && gradients.logVariances[t]?.count != hiddenSize { fits = false }
            if outputPrecision.isLearned && gradients.logVariances[steps]?.count != outputSize { fits = false }
        }
        guard fits else {
            throw PCCoreError.shapeMismatch(what: "log-variance gradients", expected: Shape(steps + 1, 1), got: Shape(gradients.logVariances.count, 1))
        }
        if hiddenPrecision.isLearned { hiddenPrecision.descend(summing: gradients.logVariances, 0..<steps, learningRate: Scalar(learningRate)) }
        if outputPrecision.isLearned { outputPrecision.descend(gradients.logVariances[steps]!, learningRate: Scalar(learningRate)) }
    }

    /// u_t, the input of time step t (1-based), a view of x₀.
    func stepInput(_ input: Matrix<Scalar>, _ t: Int) -> ColumnBlock<Scalar> {
        ColumnBlock(base: input, start: (t - 1) * inputSize, columns: inputSize)
    }

    public func predict(_ l: Int, rate: Matrix<Scalar>, input: Matrix<Scalar>, into prediction: inout Matrix<Scalar>,
                        scratch: inout NoScratch) throws {
        if l > steps {
            try Matrix.linear(rate, outputWeight, transposeB: true, bias: outputBias, activation: .identity, into: &prediction)
            return
        }
        try Matrix.linear(stepInput(input, l), inputWeight, transposeB: true, bias: hiddenBias, activation: .identity, into: &prediction)
        if l >= 2 {
            try Matrix.multiply(rate, recurrentWeight, transposeB: true, alpha: 1, beta: 1, into: &prediction)
        }
    }

    public func feedback(_ l: Int, error: Matrix<Scalar>, into feedback: inout Matrix<Scalar>, scratch: inout NoScratch) throws {
        try Matrix.multiply(error, l == steps ? outputWeight : recurrentWeight, into: &feedback)
    }

    public func accumulateParameterGradient(_ l: Int, error: Matrix<Scalar>, rate: Matrix<Scalar>, input: Matrix<Scalar>,
                                            alpha: Scalar, into gradients: inout ParameterGradients<Scalar>,
                                            scratch: inout NoScratch) throws {
        if l > steps {
            try Matrix.accumulateOuterProducts(error, rate, alpha: alpha, into: &gradients.weights[2])
            if gradients.biases[2] != nil { try error.sumColumns(alpha: alpha, beta: 1, into: &gradients.biases[2]!) }
            return
        }
        try Matrix.accumulateOuterProducts(error, stepInput(input, l), alpha: alpha, into: &gradients.weights[0])
        if gradients.biases[0] != nil { try error.sumColumns(alpha: alpha, beta: 1, into: &gradients.biases[0]!) }
        if l >= 2 { try Matrix.accumulateOuterProducts(error, rate, alpha: alpha, into: &gradients.weights[1]) }
    }

    public mutating func applyGradients(_ gradients: ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>) throws {
        optimizer.beginStep()
        var slot = 0
        var none: Vector<Scalar>? = nil
        try optimizer.update(weight: &inputWeight, bias: &hiddenBias, group: 0, gradients: gradients, slot: &slot)
        try optimizer.update(weight: &recurrentWeight, bias: &none, group: 1, gradients: gradients, slot: &slot)
        try optimizer.update(weight: &outputWeight, bias: &outputBias, group: 2, gradients: gradients, slot: &slot)
    }
}
