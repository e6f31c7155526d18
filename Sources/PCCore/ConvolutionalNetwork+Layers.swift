import PCNumerics

/// Kernel scratch of a ``ConvolutionalNetwork``: im2col buffers of each convolution and the
/// maximum positions of each pooling layer, indexed by layer (ℓ − 1).
public struct ConvolutionalScratch<Scalar: PCScalar>: Sendable {
    var convolutions: [Convolution2D.Workspace<Scalar>?]
    var poolings: [Pooling2D.Workspace?]
}

// The three products of each layer (prediction, adjoint, parameter gradient) on the kernels.
extension ConvolutionalNetwork: LayeredPCModel {
    public func rateActivation(_ l: Int) -> Activation { layers[l].inputActivation }

    public func makeScratch(batchSize: Int) throws -> ConvolutionalScratch<Scalar> {
        var convolutions: [Convolution2D.Workspace<Scalar>?] = []
        var poolings: [Pooling2D.Workspace?] = []
        for layer in layers {
            switch layer.kind {
            case .convolution(let c): convolutions.append(try c.makeWorkspace(batch: batchSize, of: Scalar.self)); poolings.append(nil)
            case .pooling(let p): convolutions.append(nil); poolings.append(p.makeWorkspace(batch: batchSize))
            case .dense: convolutions.append(nil); poolings.append(nil)
            }
        }
        return ConvolutionalScratch(convolutions: convolutions, poolings: poolings)
    }

    public func makeGradients() throws -> ParameterGradients<Scalar> {
        let parameterized = layers.filter { $0.weight != nil }
        return try ParameterGradients(weightShapes: parameterized.map { $0.weight!.shape },
                                      biasCounts: parameterized.map { $0.bias?.count },
                                      logVarianceCounts: precisions.contains(where: \.isLearned) ? precisions.map { $0.isLearned ? $0.count : nil } : [])
    }

    public func precision(_ l: Int) -> LayerPrecision<Scalar>? { precisions[l - 1].isIdentity ? nil : precisions[l - 1] }

    /// s_ℓ ← clamp(s_ℓ − α_s ∂F_B/∂s_ℓ, [−10, 10]) for every learned precision (<doc:LearningRules#Learned-precisions>); allocates nothing.
    /// - Parameters:
    ///   - gradients: gradients whose `logVariances` are set, indexed by layer ℓ − 1.
    ///   - learningRate: α_s ≥ 0.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` for gradients of another network.
    public mutating func updatePrecisions(_ gradients: ParameterGradients<Scalar>, learningRate: Double) throws {
        for l in precisions.indices where precisions[l].isLearned {
            guard l < gradients.logVariances.count, let g = gradients.logVariances[l], g.count == precisions[l].count else {
                throw PCCoreError.shapeMismatch(what: "log-variance gradient of layer \(l + 1)", expected: Shape(precisions[l].count, 1),
                                                got: Shape(l < gradients.logVariances.count ? gradients.logVariances[l]?.count ?? 0 : 0, 1))
            }
            precisions[l].descend(g, learningRate: Scalar(learningRate))
        }
    }

    public func predict(_ l: Int, rate: Matrix<Scalar>, input: Matrix<Scalar>, into prediction: inout Matrix<Scalar>,
                        scratch: inout ConvolutionalScratch<Scalar>) throws {
        let layer = layers[l - 1]
        switch layer.kind {
        case .convolution(let c):
            try c.forward(rate, weights: layer.weight!, bias: layer.bias, into: &prediction, workspace: &scratch.convolutions[l - 1]!)
        case .pooling(let p):
            try p.forward(rate, into: &prediction, workspace: &scratch.poolings[l - 1]!)
        case .dense:
            try Matrix.linear(rate, layer.weight!, transposeB: true, bias: layer.bias, activation: .identity, into: &prediction)
        }
    }

    public func feedback(_ l: Int, error: Matrix<Scalar>, into feedback: inout Matrix<Scalar>,
                         scratch: inout ConvolutionalScratch<Scalar>) throws {
        let above = layers[l]
        switch above.kind {
        case .convolution(let c):
            try c.backwardInput(error, weights: above.weight!, into: &feedback, workspace: &scratch.convolutions[l]!)
        case .pooling(let p):
            try p.backward(error, into: &feedback, workspace: scratch.poolings[l]!)
        case .dense:
            try Matrix.multiply(error, above.weight!, into: &feedback)
        }
    }

    public func accumulateParameterGradient(_ l: Int, error: Matrix<Scalar>, rate: Matrix<Scalar>, input: Matrix<Scalar>,
                                            alpha: Scalar, into gradients: inout ParameterGradients<Scalar>,
                                            scratch: inout ConvolutionalScratch<Scalar>) throws {
        guard let group = parameterGroups[l - 1] else { return }
        switch layers[l - 1].kind {
        case .convolution(let c):
            if gradients.biases[group] != nil {
                // Move the bias out (no copy) so that weight and bias can be written in one call.
                var bias: Vector<Scalar>? = nil
                swap(&bias, &gradients.biases[group])
                defer { swap(&bias, &gradients.biases[group]) }
                try withUnsafeMutablePointer(to: &bias!) { pointer in
                    try c.accumulateWeightGradient(input: rate, outputGradient: error, alpha: alpha, weights: &gradients.weights[group],
                                                   bias: pointer, workspace: &scratch.convolutions[l - 1]!)
                }
            } else {
                try c.accumulateWeightGradient(input: rate, outputGradient: error, alpha: alpha, weights: &gradients.weights[group],
                                               workspace: &scratch.convolutions[l - 1]!)
            }
        case .dense:
            try Matrix.accumulateOuterProducts(error, rate, alpha: alpha, into: &gradients.weights[group])
            if gradients.biases[group] != nil { try error.sumColumns(alpha: alpha, beta: 1, into: &gradients.biases[group]!) }
        case .pooling:
            return
        }
    }

    public mutating func applyGradients(_ gradients: ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>) throws {
        optimizer.beginStep()
        var slot = 0
        for l in layers.indices {
            guard let group = parameterGroups[l] else { continue }
            // Move the parameters out and back (no copy of their storage).
            var weight: Matrix<Scalar>? = nil, bias: Vector<Scalar>? = nil
            swap(&weight, &layers[l].weight)
            swap(&bias, &layers[l].bias)
            defer {
                swap(&weight, &layers[l].weight)
                swap(&bias, &layers[l].bias)
            }
            try optimizer.update(weight: &weight!, bias: &bias, group: group, gradients: gradients, slot: &slot)
        }
    }
}
