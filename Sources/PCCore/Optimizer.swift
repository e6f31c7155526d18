import PCNumerics

/// A weight optimiser and its hyper-parameters (<doc:LearningRules#Optimisers>). Gradients are those of
/// F_B (batch means); every rule moves against them.
public enum OptimizerKind: Sendable, Hashable, Codable {
    /// θ ← θ − α g.
    case sgd(learningRate: Double)
    /// v ← μ v + g, θ ← θ − α v (PyTorch's convention).
    case momentum(learningRate: Double, momentum: Double)
    /// Adam (Kingma & Ba 2015): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α m̂/(√v̂ + ε),
    /// with bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
    case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double)
    /// AdamW (Loshchilov & Hutter 2019): Adam plus decoupled decay θ ← θ − α λ θ.
    case adamW(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double)
    /// MQ (Alonso et al. 2023): one scalar vᵢ per layer (weights and bias together), N the batch count:
    /// ηᵢ = α/(vᵢ + r) + lr_min; θᵢ ← θᵢ − ηᵢ gᵢ; ρ = min(N/(N+1), ρ_max); vᵢ ← ρvᵢ + (1−ρ) mean|gᵢ|;
    /// N incremented before the update, vᵢ(0) = α. With `warmUpSteps` = K > 0, ηᵢ is multiplied by
    /// min(1, N/K) (a warm-up helps, <doc:LearningRules#Optimisers>: with vᵢ(0) = α the first step is ≈ 1 + lr_min); K = 0 is
    /// the reference rule.
    case mq(alpha: Double, r: Double, minimumLearningRate: Double, maximumDecay: Double, warmUpSteps: Int)

    /// Adam with PCKit's defaults: α = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    public static func adam(learningRate: Double = 1e-3) -> OptimizerKind {
        .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
    }
    /// AdamW with α = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8 and the given decay (default 1e-2).
    public static func adamW(learningRate: Double = 1e-3, weightDecay: Double = 1e-2) -> OptimizerKind {
        .adamW(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: weightDecay)
    }
    /// MQ with the reference defaults r = 1e-6, lr_min = 1e-3, ρ_max = 0.9999 and a warm-up of
    /// `warmUpSteps` batches (default 0, the reference rule).
    public static func mq(alpha: Double, warmUpSteps: Int = 0) -> OptimizerKind {
        .mq(alpha: alpha, r: 1e-6, minimumLearningRate: 1e-3, maximumDecay: 0.9999, warmUpSteps: warmUpSteps)
    }

    /// Checks the hyper-parameters.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` naming the first bad one.
    public func validate() throws {
        func positive(_ name: String, _ x: Double) throws {
            guard x > 0, x.isFinite else { throw PCCoreError.invalidOption(name: name, reason: "must be positive (got \(x))") }
        }
        func unit(_ name: String, _ x: Double) throws {
            guard (0..<1).contains(x) else { throw PCCoreError.invalidOption(name: name, reason: "must be in [0, 1) (got \(x))") }
        }
        switch self {
        case .sgd(let lr): try positive("learningRate", lr)
        case .momentum(let lr, let m): try positive("learningRate", lr); try unit("momentum", m)
        case .adam(let lr, let b1, let b2, let eps): try positive("learningRate", lr); try unit("beta1", b1); try unit("beta2", b2); try positive("epsilon", eps)
        case .adamW(let lr, let b1, let b2, let eps, let wd):
            try positive("learningRate", lr); try unit("beta1", b1); try unit("beta2", b2); try positive("epsilon", eps)
            guard wd >= 0 else { throw PCCoreError.invalidOption(name: "weightDecay", reason: "must be ≥ 0 (got \(wd))") }
        case .mq(let alpha, let r, let lrMin, let rhoMax, let warmUp):
            try positive("alpha", alpha); try positive("r", r); try unit("maximumDecay", rhoMax)
            guard warmUp >= 0 else { throw PCCoreError.invalidOption(name: "warmUpSteps", reason: "must be ≥ 0 (got \(warmUp))") }
            guard lrMin >= 0 else { throw PCCoreError.invalidOption(name: "minimumLearningRate", reason: "must be ≥ 0 (got \(lrMin))") }
        }
    }
}

/// An optimiser with its state for one network: the moments of Adam, the velocities of momentum,
/// or MQ's one scalar per layer. The state is saved in checkpoints.
public struct Optimizer<Scalar: PCScalar>: Sendable, Equatable {
    /// The rule and its hyper-parameters.
    public let kind: OptimizerKind
    /// Steps taken (t of Adam, N of MQ).
    public internal(set) var stepCount: Int
    /// First moments (Adam) or velocities (momentum), one per parameter tensor, flattened in layer
    /// order (weight, then bias) — empty for SGD and MQ.
    public internal(set) var firstMoments: [[Scalar]]
    /// Second moments (Adam), same layout — empty otherwise.
    public internal(set) var secondMoments: [[Scalar]]
    /// MQ's vᵢ, one per layer — empty otherwise.
    public internal(set) var layerScales: [Double]

    /// A fresh optimiser for `network`'s weights and biases.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for bad hyper-parameters.
    public init(_ kind: OptimizerKind, for network: PCNetwork<Scalar>) throws {
        try kind.validate()
        self.kind = kind
        stepCount = 0
        let counts = network.layers.flatMap { [$0.weight.count] + ($0.bias.map { [$0.count] } ?? []) }
        switch kind {
        case .sgd: firstMoments = []; secondMoments = []; layerScales = []
        case .momentum: firstMoments = counts.map { [Scalar](repeating: 0, count: $0) }; secondMoments = []; layerScales = []
        case .adam, .adamW:
            firstMoments = counts.map { [Scalar](repeating: 0, count: $0) }
            secondMoments = counts.map { [Scalar](repeating: 0, count: $0) }
            layerScales = []
        case .mq(let alpha, _, _, _, _):
            firstMoments = []; secondMoments = []
            layerScales = [Double](repeating: alpha, count: network.depth)
        }
    }

    /// An optimiser with restored state (checkpoints).
    init(kind: OptimizerKind, stepCount: Int, firstMoments: [[Scalar]], secondMoments: [[Scalar]], layerScales: [Double]) {
        self.kind = kind; self.stepCount = stepCount
        self.firstMoments = firstMoments; self.secondMoments = secondMoments; self.layerScales = layerScales
    }

    /// Applies one update to the weights and biases of `network` from `gradients` (∂F_B/∂θ).
    /// Learned log-variances are not touched (see ``PCNetwork/updatePrecisions(_:learningRate:)``).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` when `gradients` or this
    ///   optimiser's state were made for a network of other shapes (checked before any update).
    public mutating func step(_ network: inout PCNetwork<Scalar>, gradients: ParameterGradients<Scalar>) throws {
        try checkFits(network, gradients)
        stepCount += 1
        var slot = 0
        for l in network.layers.indices {
            if case .mq = kind {
                mqUpdate(&network.layers[l], group: l, weightGradient: gradients.weights[l], biasGradient: gradients.biases[l])
                continue
            }
            network.layers[l].weight.withUnsafeMutableStorage { p, _ in
                gradients.weights[l].withUnsafeStorage { g, _ in update(p, g, gradients.weights[l].count, slot: slot) }
            }
            slot += 1
            if network.layers[l].bias != nil, let gb = gradients.biases[l] {
                network.layers[l].bias!.withUnsafeMutableBufferPointer { p in
                    gb.withUnsafeBufferPointer { g in update(p.baseAddress!, g.baseAddress!, gb.count, slot: slot) }
                }
                slot += 1
            }
        }
    }

    /// Checks that `gradients` and the moments have `network`'s shapes (O(L), no allocation): the
    /// update loops and the Adam kernel index them by the network's counts without bounds checks.
    func checkFits(_ network: PCNetwork<Scalar>, _ gradients: ParameterGradients<Scalar>) throws {
        guard gradients.weights.count == network.depth, gradients.biases.count == network.depth else {
            throw PCCoreError.shapeMismatch(what: "gradients (layers)", expected: Shape(network.depth, 1),
                                            got: Shape(gradients.weights.count, 1))
        }
        var slot = 0
        for l in 0..<network.depth {
            let layer = network.layers[l]
            guard gradients.weights[l].shape == layer.weight.shape else {
                throw PCCoreError.shapeMismatch(what: "weight gradient of layer \(l + 1)", expected: layer.weight.shape,
                                                got: gradients.weights[l].shape)
            }
            try checkMoments(slot, layer.weight.count, l)
            slot += 1
            if let bias = layer.bias {
                if let gradient = gradients.biases[l], gradient.count != bias.count {
                    throw PCCoreError.shapeMismatch(what: "bias gradient of layer \(l + 1)", expected: Shape(bias.count, 1),
                                                    got: Shape(gradient.count, 1))
                }
                try checkMoments(slot, bias.count, l)
                slot += 1
            }
        }
        if !firstMoments.isEmpty && firstMoments.count != slot || !secondMoments.isEmpty && secondMoments.count != slot {
            throw PCCoreError.shapeMismatch(what: "optimizer state (tensors)", expected: Shape(slot, 1),
                                            got: Shape(max(firstMoments.count, secondMoments.count), 1))
        }
        if case .mq = kind, layerScales.count != network.depth {
            throw PCCoreError.shapeMismatch(what: "MQ layer scales", expected: Shape(network.depth, 1), got: Shape(layerScales.count, 1))
        }
    }

    /// Checks moment tensor `slot` (of layer `l`) has `count` values, for the rules that keep moments.
    private func checkMoments(_ slot: Int, _ count: Int, _ l: Int) throws {
        if !firstMoments.isEmpty, slot >= firstMoments.count || firstMoments[slot].count != count {
            throw PCCoreError.shapeMismatch(what: "optimizer state of layer \(l + 1)", expected: Shape(count, 1),
                                            got: Shape(slot < firstMoments.count ? firstMoments[slot].count : 0, 1))
        }
        if !secondMoments.isEmpty, slot >= secondMoments.count || secondMoments[slot].count != count {
            throw PCCoreError.shapeMismatch(what: "optimizer state of layer \(l + 1)", expected: Shape(count, 1),
                                            got: Shape(slot < secondMoments.count ? secondMoments[slot].count : 0, 1))
        }
    }

    /// Adam's constants for step t = ``stepCount`` (nil for the other rules): β₁, β₂,
    /// a = α/(1−β₁ᵗ), c₂ = 1/(1−β₂ᵗ), ε and the AdamW decay αλ (0 for Adam).
    var adamConstants: (beta1: Scalar, beta2: Scalar, a: Scalar, c2: Scalar, epsilon: Scalar, decay: Scalar)? {
        let lr, b1, b2, eps: Double
        var decay: Scalar = 0
        switch kind {
        case .adam(let l, let x, let y, let e): (lr, b1, b2, eps) = (l, x, y, e)
        case .adamW(let l, let x, let y, let e, let wd): (lr, b1, b2, eps) = (l, x, y, e); decay = Scalar(l * wd)
        default: return nil
        }
        let t = Double(stepCount)
        let c1 = Scalar(1 / (1 - pow(b1, t))), c2 = Scalar(1 / (1 - pow(b2, t)))
        return (Scalar(b1), Scalar(b2), Scalar(lr) * c1, c2, Scalar(eps), decay)
    }

    mutating func update(_ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ n: Int, slot: Int) {
        switch kind {
        case .sgd(let lr):
            let a = Scalar(lr)
            for i in 0..<n { p[i] -= a * g[i] }
        case .momentum(let lr, let mu):
            let a = Scalar(lr), m = Scalar(mu)
            firstMoments[slot].withUnsafeMutableBufferPointer { v in
                for i in 0..<n { v[i] = m * v[i] + g[i]; p[i] -= a * v[i] }
            }
        case .adam, .adamW:
            let c = adamConstants!
            firstMoments[slot].withUnsafeMutableBufferPointer { mb in
                secondMoments[slot].withUnsafeMutableBufferPointer { vb in
                    // One vectorised kernel pass: p ← p − a·m/(√(c₂v) + ε) − decay·p.
                    adamUpdate(n, p, g, mb.baseAddress!, vb.baseAddress!, beta1: c.beta1, beta2: c.beta2, a: c.a, c2: c.c2,
                                epsilon: c.epsilon, decay: c.decay)
                }
            }
        case .mq: break
        }
    }

    /// MQ on dense layer `k` (its weight and bias are the group).
    private mutating func mqUpdate(_ layer: inout DenseLayer<Scalar>, group k: Int, weightGradient gw: Matrix<Scalar>, biasGradient gb: Vector<Scalar>?) {
        mqUpdate(weight: &layer.weight, bias: &layer.bias, group: k, weightGradient: gw, biasGradient: gb)
    }

    /// MQ on one parameter group, a weight and its optional bias sharing one scale v_k (a dense
    /// layer, or a layered model's group): η = ramp·(α/(v_k + r) + η_min), θ ← θ − η g, then
    /// v_k ← ρ v_k + (1 − ρ) mean|g| with ρ = min(N/(N + 1), ρ_max) over N batches.
    mutating func mqUpdate(weight: inout Matrix<Scalar>, bias: inout Vector<Scalar>?, group k: Int,
                           weightGradient gw: Matrix<Scalar>, biasGradient gb: Vector<Scalar>?) {
        guard case .mq(let alpha, let r, let lrMin, let rhoMax, let warmUp) = kind else { return }
        let ramp = warmUp > 0 ? min(1, Double(stepCount) / Double(warmUp)) : 1
        let eta = Scalar(ramp * (alpha / (layerScales[k] + r) + lrMin))
        var absSum = 0.0
        var count = 0
        weight.withUnsafeMutableStorage { p, _ in
            gw.withUnsafeStorage { g, _ in
                let n = gw.count
                for i in 0..<n { p[i] -= eta * g[i]; absSum += Double(abs(g[i])) }
                count += n
            }
        }
        if bias != nil, let gb {
            bias!.withUnsafeMutableBufferPointer { p in
                gb.withUnsafeBufferPointer { g in
                    for i in 0..<gb.count { p[i] -= eta * g[i]; absSum += Double(abs(g[i])) }
                }
            }
            count += gb.count
        }
        // N counts batches: the step counter was incremented before this update.
        let n = Double(stepCount)
        let rho = min(n / (n + 1), rhoMax)
        layerScales[k] = rho * layerScales[k] + (1 - rho) * absSum / Double(count)
    }
}

extension PCNetwork {
    /// s_ℓ ← clamp(s_ℓ − α_s ∂F_B/∂s_ℓ, [−10, 10]) for every learned precision (<doc:LearningRules#Learned-precisions>).
    /// - Parameters:
    ///   - gradients: gradients whose `logVariances` are set.
    ///   - learningRate: α_s (PCKit default 1e-3).
    public mutating func updatePrecisions(_ gradients: ParameterGradients<Scalar>, learningRate: Double) throws {
        for l in layers.indices where layers[l].precision.isLearned {
            guard let g = gradients.logVariances[l] else { continue }
            guard g.count == layers[l].precision.count else {
                throw PCCoreError.shapeMismatch(what: "log-variance gradient", expected: Shape(layers[l].precision.count, 1), got: Shape(g.count, 1))
            }
            layers[l].precision.descend(g, learningRate: Scalar(learningRate))
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
