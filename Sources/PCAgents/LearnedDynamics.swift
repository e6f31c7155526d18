#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCCore
import PCEnvironment
import PCNumerics

/// A transition model learned by a ``ModelLearner``: a frozen copy of its PC network, evaluated at
/// the network's feedforward fixed point.
///
/// With the output free, the feedforward state x_ℓ = μ_ℓ(x_{ℓ−1}) has every ε_ℓ = 0, so it is the
/// minimum of F and the network's prediction (PCCore article EnergyAndInference, section Feedforward start). The model is
/// ```text
/// z   = (features(x, clip(u)) − offset) ⊘ scale                (standardised inputs, (featureDimension))
/// x₁  = W₁ z + b₁,   x_ℓ = W_ℓ φ(x_{ℓ−1}) + b_ℓ   (ℓ = 2…L)     (the PC network's predictions μ_ℓ)
/// x′  = x + d + s ⊙ x_L                                         (d, s: the target mean and scale)
/// ```
/// and its Jacobians are analytic: ∂x_L/∂z = W_L D_{L−1} W_{L−1} ⋯ D₁ W₁ with D_ℓ = diag φ′(x_ℓ),
/// chained through ∂z/∂x (−sin, cos for angles) and ∂z/∂u (zero where u is clipped), so
/// A = I + diag(s) ∂x_L/∂x and B = diag(s) ∂x_L/∂u.
///
/// `transition` and `linearize` allocate nothing after their first call on a thread: their scratch
/// lives on the stack while each buffer fits Swift's unconditional stack-allocation limit of 1 KiB
/// (Σ_ℓ n_ℓ ≤ 128 units in all and stateDimension × (widest layer) ≤ 128; the pendulum's 4–32–2
/// network uses 38 and 64), and otherwise in a per-thread buffer that grows once and is reused
/// (e.g. the reacher's 8–64–6 network).
public struct LearnedDynamics: LinearizableModel {
    public let stateDimension: Int
    public let actionDimension: Int
    public let timeStep: Double
    /// Layer sizes n₀…n_L (n₀ = featureDimension, n_L = stateDimension).
    public let sizes: [Int]
    /// Σ_ℓ n_ℓ and max_ℓ n_ℓ (scratch sizes).
    let totalUnits: Int, widestLayer: Int
    /// The standardised input map (x, u) ↦ z.
    let features: FeatureMap
    /// Δx = outputOffset + outputScale ⊙ x_L, (stateDimension).
    let outputOffset: [Double]
    let outputScale: [Double]
    /// W_ℓ row-major then b_ℓ, for ℓ = 1…L, concatenated (immutable once built).
    let parameters: ParameterStorage
    /// Offset of W_ℓ in `parameters`, (L).
    let weightOffsets: [Int]
    /// φ_{ℓ−1} applied before W_ℓ, (L).
    let activations: [Activation]
    /// The task's reward, if the caller supplied it: the learner models dynamics, not reward.
    /// Without it ``reward(state:action:next:)`` returns NaN. (The PredictiveController never asks:
    /// its goal prior is the cost.)
    public var rewardFunction: (@Sendable (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>,
                                           UnsafeBufferPointer<Double>) -> Double)?

    /// A frozen copy of `network` with the given standardisation.
    init(network: PCNetwork<Double>, options: ModelLearnerOptions, normalization: ModelLearner.Normalization) {
        stateDimension = options.stateDimension
        actionDimension = options.actionDimension
        timeStep = options.timeStep
        sizes = network.sizes
        totalUnits = sizes.reduce(0, +)
        widestLayer = sizes.max()!
        features = FeatureMap(options: options, normalization: normalization)
        outputOffset = normalization.outputOffset
        outputScale = normalization.outputScale
        var parameters: [Double] = [], offsets: [Int] = []
        for layer in network.layers {
            offsets.append(parameters.count)
            parameters += layer.weight.elements
            parameters += layer.bias?.elements ?? [Double](repeating: 0, count: layer.outputSize)
        }
        self.parameters = ParameterStorage(parameters)
        weightOffsets = offsets
        activations = network.layers.map(\.inputActivation)
        rewardFunction = nil
    }

    /// Number of network inputs.
    public var featureDimension: Int { sizes[0] }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        rewardFunction?(state, action, next) ?? .nan
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let total = totalUnits
        guard total <= Self.stackLimit else {
            let scratch = ThreadScratch.pointer(count: 2 * total)
            let top = forward(state: state, action: action, activity: scratch, rate: scratch + total)
            for i in 0..<stateDimension { next[i] = state[i] + outputOffset[i] + outputScale[i] * top[i] }
            return
        }
        // Separate buffers: each stays on the stack while it is ≤ 1 KiB (see the type's note).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { activities in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { rates in
                let top = forward(state: state, action: action, activity: activities.baseAddress!, rate: rates.baseAddress!)
                for i in 0..<stateDimension { next[i] = state[i] + outputOffset[i] + outputScale[i] * top[i] }
            }
        }
    }

    public func linearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                          stateJacobian: UnsafeMutableBufferPointer<Double>,
                          actionJacobian: UnsafeMutableBufferPointer<Double>) {
        evaluate(state: state, action: action, next: nil, stateJacobian: stateJacobian, actionJacobian: actionJacobian)
    }

    /// One forward pass for both x′ and its Jacobians.
    public func transitionAndLinearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                       next: UnsafeMutableBufferPointer<Double>,
                                       stateJacobian: UnsafeMutableBufferPointer<Double>,
                                       actionJacobian: UnsafeMutableBufferPointer<Double>) {
        evaluate(state: state, action: action, next: next, stateJacobian: stateJacobian, actionJacobian: actionJacobian)
    }

    /// The forward pass, x′ if `next` is given, then the backward product for A and B.
    private func evaluate(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                          next: UnsafeMutableBufferPointer<Double>?,
                          stateJacobian: UnsafeMutableBufferPointer<Double>,
                          actionJacobian: UnsafeMutableBufferPointer<Double>) {
        let n = stateDimension, total = totalUnits, widest = widestLayer
        // Scratch: activities and rates of every layer, two (n × widest) products — four buffers,
        // each on the stack while it is ≤ 1 KiB, else one per-thread block (see the type's note).
        guard total <= Self.stackLimit && n * widest <= Self.stackLimit else {
            let scratch = ThreadScratch.pointer(count: 2 * total + 2 * n * widest)
            evaluate(state: state, action: action, next: next, stateJacobian: stateJacobian, actionJacobian: actionJacobian,
                     activity: scratch, rate: scratch + total, first: scratch + 2 * total,
                     second: scratch + 2 * total + n * widest)
            return
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { activities in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { rates in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: n * widest) { first in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: n * widest) { second in
            evaluate(state: state, action: action, next: next, stateJacobian: stateJacobian, actionJacobian: actionJacobian,
                     activity: activities.baseAddress!, rate: rates.baseAddress!, first: first.baseAddress!,
                     second: second.baseAddress!)
        }
        }
        }
        }
    }

    /// Buffers of at most this many doubles (1 KiB) stay on the stack.
    static let stackLimit = 128

    /// ``evaluate(state:action:next:stateJacobian:actionJacobian:)`` in the given scratch:
    /// activities and rates (Σ_ℓ n_ℓ each) and two (n × widest) products.
    private func evaluate(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                          next: UnsafeMutableBufferPointer<Double>?,
                          stateJacobian: UnsafeMutableBufferPointer<Double>,
                          actionJacobian: UnsafeMutableBufferPointer<Double>,
                          activity: UnsafeMutablePointer<Double>, rate: UnsafeMutablePointer<Double>,
                          first: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>) {
        let n = stateDimension, m = actionDimension, depth = sizes.count - 1
        let total = totalUnits
        do {
            var product = first, spare = second
            let top = forward(state: state, action: action, activity: activity, rate: rate)
            if let next {
                for i in 0..<n { next[i] = state[i] + outputOffset[i] + outputScale[i] * top[i] }
            }
            do {
                let p = parameters.base
                // Backward from the top: M = W_L, then M ← (M D_ℓ) W_ℓ for ℓ = L−1 … 1.
                var columns = sizes[depth - 1]
                let top = p + weightOffsets[depth - 1]
                for k in 0..<(n * columns) { product[k] = top[k] }
                var layerStart = total - sizes[depth]
                for l in stride(from: depth - 1, through: 1, by: -1) {
                    layerStart -= sizes[l]
                    let x = activity + layerStart, r = rate + layerStart
                    let w = p + weightOffsets[l - 1]
                    let below = sizes[l - 1]
                    for i in 0..<n {
                        for k in 0..<below { spare[i * below + k] = 0 }
                        for j in 0..<columns {
                            let g = product[i * columns + j] * derivative(activations[l], x[j], rate: r[j])
                            if g == 0 { continue }
                            let row = w + j * below
                            for k in 0..<below { spare[i * below + k] += g * row[k] }
                        }
                    }
                    swap(&product, &spare)
                    columns = below
                }
                // φ₀ on the standardised features (identity by default).
                for i in 0..<n { for k in 0..<columns { product[i * columns + k] *= derivative(activations[0], activity[k], rate: rate[k]) } }
            }
            // Chain through the features: angles as (cos, sin), actions clipped.
            let f = featureDimension
            let isAngle = features.isAngle, inverseScale = features.inputInverseScale
            let actionLower = features.actionLower, actionUpper = features.actionUpper
            for i in 0..<n {
                let row = product + i * f, s = outputScale[i]
                var k = 0
                for j in 0..<n {
                    var value: Double
                    if isAngle[j] {
                        value = -sin(state[j]) * inverseScale[k] * row[k] + cos(state[j]) * inverseScale[k + 1] * row[k + 1]
                        k += 2
                    } else {
                        value = inverseScale[k] * row[k]
                        k += 1
                    }
                    stateJacobian[i * n + j] = (i == j ? 1 : 0) + s * value
                }
                for j in 0..<m {
                    let inside = action[j] > actionLower[j] && action[j] < actionUpper[j]
                    actionJacobian[i * m + j] = inside ? s * inverseScale[k + j] * row[k + j] : 0
                }
            }
        }
    }

    /// Writes the standardised features of (x, u) into x₀ = `activity`, runs the feedforward pass
    /// (x_ℓ after x_{ℓ−1}, rates φ(x_ℓ) in `rate`) and returns x_L.
    private func forward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                         activity: UnsafeMutablePointer<Double>, rate: UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<Double> {
        writeFeatures(state: state, action: action, into: activity)
        let depth = sizes.count - 1
        var start = 0
        let p = parameters.base
        do {
            for l in 1...depth {
                let inputs = sizes[l - 1], outputs = sizes[l]
                let x = activity + start, r = rate + start
                for k in 0..<inputs { r[k] = value(activations[l - 1], x[k]) }
                let w = p + weightOffsets[l - 1], b = w + outputs * inputs
                let y = x + inputs
                for j in 0..<outputs {
                    var s = b[j]
                    let row = w + j * inputs
                    for k in 0..<inputs { s += row[k] * r[k] }
                    y[j] = s
                }
                start += inputs
            }
        }
        return activity + start
    }

    /// The standardised features (cos/sin of angles, other coordinates, clipped actions).
    func writeFeatures(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       into z: UnsafeMutablePointer<Double>) {
        features.write(state: state, action: action, into: z)
    }
}

/// A per-thread scratch block of doubles that grows once and is reused: the first request of a size
/// on a thread allocates, every later one of at most that size does not. Freed when the thread ends.
enum ThreadScratch {
    final class Block {
        var base: UnsafeMutablePointer<Double>
        var capacity: Int
        init(capacity: Int) { self.capacity = capacity; base = .allocate(capacity: capacity) }
        deinit { base.deallocate() }
    }

    static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { block in
            guard let block else { return }
            Unmanaged<Block>.fromOpaque(block).release()
        }
        precondition(status == 0, "ThreadScratch: pthread_key_create failed (\(status))")
        return key
    }()

    /// At least `count` doubles of this thread's scratch (contents undefined).
    static func pointer(count: Int) -> UnsafeMutablePointer<Double> {
        if let raw = pthread_getspecific(key) {
            let block = Unmanaged<Block>.fromOpaque(raw).takeUnretainedValue()
            if block.capacity >= count { return block.base }
            block.base.deallocate()
            block.base = .allocate(capacity: count)
            block.capacity = count
            return block.base
        }
        let block = Block(capacity: count)
        pthread_setspecific(key, Unmanaged.passRetained(block).toOpaque())
        return block.base
    }
}

/// A frozen parameter vector in memory the model owns, read through a raw pointer in the hot loops
/// (no array access, no closure, so nothing is retained or boxed per call, even in debug builds).
final class ParameterStorage: @unchecked Sendable {
    /// The values; written once in `init`, read-only afterwards (hence safe to share across threads).
    let base: UnsafeMutablePointer<Double>
    let count: Int

    init(_ values: [Double]) {
        count = values.count
        base = .allocate(capacity: max(count, 1))
        base.initialize(from: values, count: count)
    }

    deinit { base.deallocate() }
}

/// The map from (x, u) to the network's standardised input z (``ModelLearner``).
struct FeatureMap: Sendable {
    /// Whether each state coordinate is an angle, (stateDimension).
    let isAngle: [Bool]
    /// Offsets and reciprocal scales, (featureDimension).
    let inputOffset: [Double]
    let inputInverseScale: [Double]
    /// Action bounds, (actionDimension).
    let actionLower: [Double]
    let actionUpper: [Double]

    init(options: ModelLearnerOptions, normalization: ModelLearner.Normalization) {
        var angle = [Bool](repeating: false, count: options.stateDimension)
        for i in options.angleIndices { angle[i] = true }
        isAngle = angle
        inputOffset = normalization.inputOffset
        inputInverseScale = normalization.inputScale.map { 1 / $0 }
        actionLower = options.actionLower
        actionUpper = options.actionUpper
    }

    /// Writes z = (features(x, clip(u)) − offset) ⊘ scale, (featureDimension).
    func write(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, into z: UnsafeMutablePointer<Double>) {
        var k = 0
        for i in 0..<isAngle.count {
            if isAngle[i] {
                z[k] = cos(state[i]); z[k + 1] = sin(state[i]); k += 2
            } else {
                z[k] = state[i]; k += 1
            }
        }
        for j in 0..<actionLower.count { z[k + j] = min(max(action[j], actionLower[j]), actionUpper[j]) }
        for q in 0..<inputOffset.count { z[q] = (z[q] - inputOffset[q]) * inputInverseScale[q] }
    }
}

/// φ(v) for the activations the learned model supports (PCNumerics' kernels define the same functions).
@inline(__always)
func value(_ activation: Activation, _ v: Double) -> Double {
    switch activation {
    case .identity: v
    case .tanh: tanh(v)
    case .sigmoid: 1 / (1 + exp(-v))
    case .relu: v > 0 ? v : 0
    case .leakyReLU(let slope): v > 0 ? v : slope * v
    case .softplus: max(v, 0) + log1p(exp(-abs(v)))
    case .gelu: preconditionFailure("LearnedDynamics: gelu is not supported (ModelLearnerOptions rejects it)")
    }
}

/// φ′(v), given the rate φ(v) already computed (tanh′ = 1 − φ², sigmoid′ = φ(1 − φ)).
@inline(__always)
func derivative(_ activation: Activation, _ v: Double, rate: Double) -> Double {
    switch activation {
    case .identity: 1
    case .tanh: 1 - rate * rate
    case .sigmoid: rate * (1 - rate)
    case .relu: v > 0 ? 1 : 0
    case .leakyReLU(let slope): v > 0 ? 1 : slope
    case .softplus: 1 / (1 + exp(-v))
    case .gelu: preconditionFailure("LearnedDynamics: gelu is not supported (ModelLearnerOptions rejects it)")
    }
}
