import PCNumerics

// The optimiser over parameter groups (a weight tensor and its optional bias) of any model, for
// the layered models; the same update rules and state layout as for PCNetwork.

extension Optimizer {
    /// A fresh optimiser for parameters shaped like `gradients` (slots in group order: weight, then bias).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for bad hyper-parameters, or
    ///   MQ keeps one scale per parameter group, as per dense layer.
    public init(_ kind: OptimizerKind, parametersLike gradients: ParameterGradients<Scalar>) throws {
        try kind.validate()
        var counts: [Int] = []
        for g in gradients.weights.indices {
            counts.append(gradients.weights[g].count)
            if let b = gradients.biases[g] { counts.append(b.count) }
        }
        switch kind {
        case .sgd:
            self.init(kind: kind, stepCount: 0, firstMoments: [], secondMoments: [], layerScales: [])
        case .momentum:
            self.init(kind: kind, stepCount: 0, firstMoments: counts.map { [Scalar](repeating: 0, count: $0) },
                      secondMoments: [], layerScales: [])
        case .adam, .adamW:
            self.init(kind: kind, stepCount: 0, firstMoments: counts.map { [Scalar](repeating: 0, count: $0) },
                      secondMoments: counts.map { [Scalar](repeating: 0, count: $0) }, layerScales: [])
        case .mq(let alpha, _, _, _, _):
            // One scale per parameter group (a weight and its bias), as per dense layer.
            self.init(kind: kind, stepCount: 0, firstMoments: [], secondMoments: [],
                      layerScales: [Double](repeating: alpha, count: gradients.weights.count))
        }
    }

    /// Throws unless the moments of `slot` (when this optimiser keeps any) hold `count` values.
    private func checkMoments(slot k: Int, count n: Int) throws {
        let fits = (firstMoments.isEmpty || (k < firstMoments.count && firstMoments[k].count == n))
            && (secondMoments.isEmpty || (k < secondMoments.count && secondMoments[k].count == n))
        guard fits else {
            throw PCCoreError.shapeMismatch(what: "optimiser state of slot \(k)", expected: Shape(n, 1),
                                            got: Shape(k < firstMoments.count ? firstMoments[k].count : 0, 1))
        }
    }

    /// Starts one optimiser step (advances t of Adam's bias corrections).
    mutating func beginStep() { stepCount += 1 }

    /// θ ← update(θ, g) for parameter group `group` (weight slot 2·… in order); `slot` is advanced
    /// past the weight and, when present, the bias.
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` before touching anything when the
    ///   gradients or this optimiser's moments were made for other parameters (the update loops
    ///   index all three without bounds checks).
    mutating func update(weight: inout Matrix<Scalar>, bias: inout Vector<Scalar>?, group: Int,
                         gradients: ParameterGradients<Scalar>, slot: inout Int) throws {
        guard group < gradients.weights.count, gradients.weights[group].shape == weight.shape else {
            throw PCCoreError.shapeMismatch(what: "gradient of parameter group \(group)", expected: weight.shape,
                                            got: group < gradients.weights.count ? gradients.weights[group].shape : Shape(0, 0))
        }
        let biasCount = bias != nil ? gradients.biases[group]?.count : nil
        if let bias, biasCount != bias.count {
            throw PCCoreError.shapeMismatch(what: "bias gradient of parameter group \(group)", expected: Shape(bias.count, 1), got: Shape(biasCount ?? 0, 1))
        }
        try checkMoments(slot: slot, count: weight.count)
        if let biasCount { try checkMoments(slot: slot + 1, count: biasCount) }
        if case .mq = kind {
            guard group < layerScales.count else {
                throw PCCoreError.shapeMismatch(what: "MQ scales", expected: Shape(group + 1, 1), got: Shape(layerScales.count, 1))
            }
            mqUpdate(weight: &weight, bias: &bias, group: group, weightGradient: gradients.weights[group], biasGradient: gradients.biases[group])
            slot += bias != nil && gradients.biases[group] != nil ? 2 : 1
            return
        }
        let gw = gradients.weights[group]
        weight.withUnsafeMutableStorage { p, _ in
            gw.withUnsafeStorage { g, _ in update(p, g, gw.count, slot: slot) }
        }
        slot += 1
        if bias != nil, let gb = gradients.biases[group] {
            bias!.withUnsafeMutableBufferPointer { p in
                gb.withUnsafeBufferPointer { g in update(p.baseAddress!, g.baseAddress!, gb.count, slot: slot) }
            }
            slot += 1
        }
    }
}
