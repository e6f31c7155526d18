import PCNumerics

// The optimiser over parameter groups (a weight tensor and its optional bias) of any model, for
// the layered models; the same update rules and state layout as for PCNetwork.

extension Optimizer {
    /// A fresh optimiser for parameters shaped like `gradients` (slots in group order: weight, then bias).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for bad hyper-parameters, or
    ///   ``PCCoreError/unsupported(_:)`` for MQ (its per-layer scales are defined for dense layers).
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
        case .mq:
            throw PCCoreError.unsupported("the MQ optimiser is implemented for dense PCNetwork layers only")
        }
    }

    /// Starts one optimiser step (advances t of Adam's bias corrections).
    mutating func beginStep() { stepCount += 1 }

    /// θ ← update(θ, g) for parameter group `group` (weight slot 2·… in order); `slot` is advanced
    /// past the weight and, when present, the bias.
    mutating func update(weight: inout Matrix<Scalar>, bias: inout Vector<Scalar>?, group: Int,
                         gradients: ParameterGradients<Scalar>, slot: inout Int) {
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
