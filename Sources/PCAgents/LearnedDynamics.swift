#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCCore
import PCEnvironment
import PCNumerics
import _PCKernels

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
/// (with tanh evaluated by a vectorisable approximation within 4 ulp of the C library's, so the
/// prediction agrees with the network's to rounding) and its Jacobians are analytic: ∂x_L/∂z = W_L D_{L−1} W_{L−1} ⋯ D₁ W₁ with D_ℓ = diag φ′(x_ℓ),
/// chained through ∂z/∂x (−sin, cos for angles) and ∂z/∂u (zero where u is clipped), so
/// A = I + diag(s) ∂x_L/∂x and B = diag(s) ∂x_L/∂u. The shooting planner never forms A and B: it
/// records each step's forward pass (``adjointTapeCount`` doubles) and backpropagates the errors
/// through it (``pullback(state:action:tape:cotangent:stateCotangent:actionCotangent:)``), which
/// costs n·Σ fewer products than the Jacobians.
///
/// **History.** When the learner stacks k ≥ 2 observations (``ModelLearnerOptions/history``), the
/// state is x = (o_t, …, o_{t−k+1}, a_{t−1}, …, a_{t−k+1}), n = k·o + (k−1)·m, and the network
/// predicts only the newest observation (``predictedDimension`` o outputs); the rest of x′ is exact:
/// ```text
/// x′[0..<o]      = x[0..<o] + d + s ⊙ x_L                      (the network)
/// x′[o..<k·o]    = x[0..<(k−1)·o]                               (older observations shift)
/// x′[k·o..<k·o+m] = clip(u)                                     (the action becomes history)
/// x′[k·o+m..<n]  = x[k·o..<n−m]                                 (older actions shift)
/// ```
/// so A and B gain the shift rows — identity blocks, and ∂clip(u)/∂u = 1 strictly inside the
/// bounds, 0 outside — and the adjoint adds their transposes: (Aᵀξ)ⱼ += ξ_{j+o} (j < (k−1)·o),
/// (Aᵀξ)ⱼ += ξ_{j+m} (k·o ≤ j < n−m), (Bᵀξ)ⱼ += ξ_{k·o+j} inside the bounds.
///
/// **Ensembles.** Built from K networks (``ModelLearnerOptions/ensembleSize``), the model predicts
/// their mean, x′ = x + d + s ⊙ (1/K) Σₖ x_L⁽ᵏ⁾. For one hidden layer that mean *is* one network:
/// W₁ stacks the members' first layers (K·h rows), and W₂ = (1/K)[W₂⁽¹⁾ … W₂⁽ᴷ⁾], b₂ = (1/K) Σₖ b₂⁽ᵏ⁾;
/// deeper members add block-diagonal hidden-to-hidden layers. So the ensemble runs through the same
/// kernels, Jacobians and adjoint as a single network of K·h units per hidden layer, and costs as much.
///
/// `transition` and `linearize` allocate nothing after their first call on a thread: their scratch
/// lives on the stack while each buffer fits Swift's unconditional stack-allocation limit of 1 KiB
/// (Σ_ℓ n_ℓ ≤ 128 units in all and predictedDimension × (widest layer) ≤ 128; the pendulum's 4–32–2
/// network uses 38 and 64), and otherwise in a per-thread buffer that grows once and is reused
/// (e.g. the reacher's 8–64–6 network).
public struct LearnedDynamics: LinearizableModel {
    public let stateDimension: Int
    public let actionDimension: Int
    public let timeStep: Double
    /// k, the observations the state stacks (1: the state is the observation).
    public let history: Int
    /// o, the coordinates the network predicts: the newest observation, the first o of x (= stateDimension when k = 1).
    public let predictedDimension: Int
    /// Layer sizes n₀…n_L (n₀ = featureDimension, n_L = predictedDimension); with an ensemble of K
    /// members each hidden width is K times a member's.
    public let sizes: [Int]
    /// Σ_ℓ n_ℓ and max_ℓ n_ℓ (scratch sizes).
    let totalUnits: Int, widestLayer: Int
    /// K, the networks this model averages (1: one network; see the note on ensembles).
    public let ensembleSize: Int
    /// The standardised input map (x, u) ↦ z.
    let features: FeatureMap
    /// Δo = outputOffset + outputScale ⊙ x_L, (predictedDimension).
    let outputOffset: [Double]
    let outputScale: [Double]
    /// c, a correction added to every predicted change, Δo = outputOffset + c + outputScale ⊙ x_L,
    /// (predictedDimension), zero unless a ``LearningAgent`` with
    /// ``LearningAgentOptions/disturbanceGain`` > 0 estimates it. Copies of one model share it (the
    /// agent's planner and learner hold one model; a copied agent gives its model its own).
    var correction: ScratchStorage
    /// W_ℓ row-major then b_ℓ, for ℓ = 1…L, concatenated (immutable while shared; see
    /// ``reload(from:members:normalization:)``).
    private(set) var parameters: ParameterStorage
    /// Offset of W_ℓ in `parameters`, (L).
    let weightOffsets: [Int]
    /// φ_{ℓ−1} applied before W_ℓ, (L).
    let activations: [Activation]
    /// The model as the batched kernel reads it (pointers into memory it owns).
    let kernel: LearnedKernelModel
    /// The task's reward, if the caller supplied it: the learner models dynamics, not reward.
    /// Without it ``reward(state:action:next:)`` returns NaN. (The PredictiveController never asks:
    /// its goal prior is the cost.)
    public var rewardFunction: (@Sendable (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>,
                                           UnsafeBufferPointer<Double>) -> Double)?

    /// A frozen copy of `network` with the given standardisation — with `members`, of the ensemble
    /// of `network` and `members` (see the type's note on ensembles).
    init(network: PCNetwork<Double>, members: [PCNetwork<Double>] = [], options: ModelLearnerOptions,
         normalization: ModelLearner.Normalization) {
        stateDimension = options.stateDimension
        actionDimension = options.actionDimension
        timeStep = options.timeStep
        history = options.history
        predictedDimension = options.predictedDimension
        let memberSizes = network.sizes, depth = memberSizes.count - 1, k = members.count + 1
        sizes = memberSizes.enumerated().map { l, width in l == 0 || l == depth ? width : k * width }
        totalUnits = sizes.reduce(0, +)
        widestLayer = sizes.max()!
        ensembleSize = k
        features = FeatureMap(options: options, normalization: normalization)
        outputOffset = normalization.outputOffset
        outputScale = normalization.outputScale
        correction = ScratchStorage(count: options.predictedDimension)
        var offsets: [Int] = [], count = 0
        for l in 0..<depth {
            offsets.append(count)
            count += sizes[l + 1] * (sizes[l] + 1)
        }
        self.parameters = ParameterStorage([Double](repeating: 0, count: count))
        weightOffsets = offsets
        activations = network.layers.map(\.inputActivation)
        rewardFunction = nil
        Self.write(network, members, sizes: sizes, offsets: offsets, into: parameters.base)
        kernel = LearnedKernelModel(sizes: sizes, activations: activations, parameters: self.parameters, weightOffsets: offsets,
                                    features: features)
    }

    /// Writes the parameters of `network` (K = 1) or of the ensemble of `network` and `members` into
    /// `p` (the layout of `sizes` and `offsets`: W_ℓ row-major then b_ℓ). Member k fills block k of
    /// each hidden layer: rows k·h…(k+1)·h − 1 of W₁ and b₁, the diagonal block of a hidden-to-hidden
    /// W_ℓ (zero elsewhere), and columns k·h…(k+1)·h − 1 of W_L scaled by 1/K, with b_L the members'
    /// mean — so the one network's output is (1/K) Σₖ x_L⁽ᵏ⁾ exactly (up to rounding). With no hidden
    /// layer the members' W and b are averaged. Allocates nothing.
    static func write(_ network: PCNetwork<Double>, _ members: [PCNetwork<Double>], sizes: [Int], offsets: [Int],
                      into p: UnsafeMutablePointer<Double>) {
        let depth = sizes.count - 1, k = members.count + 1
        for l in 0..<depth {
            let w = p + offsets[l], rows = sizes[l + 1], columns = sizes[l]
            let b = w + rows * columns
            if k == 1 {
                let layer = network.layers[l]
                layer.weight.withUnsafeStorage { source, _ in w.update(from: source, count: rows * columns) }
                if let bias = layer.bias {
                    bias.elements.withUnsafeBufferPointer { b.update(from: $0.baseAddress!, count: rows) }
                } else {
                    b.update(repeating: 0, count: rows)
                }
                continue
            }
            w.update(repeating: 0, count: rows * columns + rows)
            let rowBlocks = l == depth - 1 ? 1 : k, columnBlocks = l == 0 ? 1 : k
            let scale = rowBlocks == 1 ? 1 / Double(k) : 1
            for member in 0..<k {
                let layer = member == 0 ? network.layers[l] : members[member - 1].layers[l]
                let outputs = layer.outputSize, inputs = layer.inputSize
                let rowBase = rowBlocks == 1 ? 0 : member * outputs, columnBase = columnBlocks == 1 ? 0 : member * inputs
                layer.weight.withUnsafeStorage { source, _ in
                    for j in 0..<outputs {
                        let target = w + (rowBase + j) * columns + columnBase, row = source + j * inputs
                        for c in 0..<inputs { target[c] += scale * row[c] }
                    }
                }
                if let bias = layer.bias {
                    for j in 0..<outputs { b[rowBase + j] += scale * bias.elements[j] }
                }
            }
        }
    }

    /// Loads `network`'s parameters (with `members`, the ensemble's) into this model's own storage,
    /// in place and without allocating, when nothing else holds that storage and the networks and
    /// standardisation match this model's (a learning agent reuses its previous model this way at each swap).
    /// - Returns: false, changing nothing, when it cannot: the storage is shared (another copy of
    ///   this model exists), or the sizes, activations, ensemble size or standardisation differ.
    mutating func reload(from network: PCNetwork<Double>, members: [PCNetwork<Double>] = [],
                         normalization: ModelLearner.Normalization) -> Bool {
        let depth = sizes.count - 1
        guard members.count + 1 == ensembleSize, isKnownUniquelyReferenced(&parameters),
              normalization.outputOffset == outputOffset, normalization.outputScale == outputScale,
              normalization.inputOffset == features.inputOffset else { return false }
        for member in 0..<ensembleSize {
            let layers = member == 0 ? network.layers : members[member - 1].layers
            guard layers.count == depth else { return false }
            for l in 0..<depth {
                let layer = layers[l]
                let inputs = l == 0 ? sizes[0] : sizes[l] / ensembleSize
                let outputs = l == depth - 1 ? sizes[depth] : sizes[l + 1] / ensembleSize
                guard layer.inputSize == inputs, layer.outputSize == outputs, layer.inputActivation == activations[l] else {
                    return false
                }
            }
        }
        for i in 0..<features.inputInverseScale.count where features.inputInverseScale[i] != 1 / normalization.inputScale[i] {
            return false
        }
        Self.write(network, members, sizes: sizes, offsets: weightOffsets, into: parameters.base)
        kernel.transposeWeights()
        return true
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
            shift(state: state.baseAddress!, action: action.baseAddress!, next: next.baseAddress!)
            for i in 0..<predictedDimension { next[i] = state[i] + (outputOffset[i] + correction.base[i]) + outputScale[i] * top[i] }
            return
        }
        // Separate buffers: each stays on the stack while it is ≤ 1 KiB (see the type's note).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { activities in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: total) { rates in
                let top = forward(state: state, action: action, activity: activities.baseAddress!, rate: rates.baseAddress!)
                shift(state: state.baseAddress!, action: action.baseAddress!, next: next.baseAddress!)
                for i in 0..<predictedDimension { next[i] = state[i] + (outputOffset[i] + correction.base[i]) + outputScale[i] * top[i] }
            }
        }
    }

    /// The exact part of x′ with a history (nothing when k = 1): x′[o..<k·o] = x[0..<(k−1)·o],
    /// x′[k·o..<k·o+m] = clip(u), x′[k·o+m..<n] = x[k·o..<n−m]. Written from the top down, so it
    /// is right even when `next` is `state`.
    @inline(__always)
    func shift(state: UnsafePointer<Double>, action: UnsafePointer<Double>, next: UnsafeMutablePointer<Double>) {
        guard history > 1 else { return }
        let o = predictedDimension, m = actionDimension, observations = history * o
        for i in stride(from: stateDimension - 1, through: observations + m, by: -1) { next[i] = state[i - m] }
        for j in 0..<m { next[observations + j] = min(max(action[j], features.actionLower[j]), features.actionUpper[j]) }
        for i in stride(from: observations - 1, through: o, by: -1) { next[i] = state[i - o] }
    }

    /// The shift rows of A (n × n) and B (n × m) (nothing when k = 1): rows o…n−1 of A are zero
    /// but for a 1 at column i − o (older observations) or i − m (older actions); rows k·o…k·o+m−1
    /// of B hold ∂clip(u)/∂u (1 strictly inside the bounds, 0 outside), the other shift rows are 0.
    func shiftJacobians(action: UnsafeBufferPointer<Double>, stateJacobian: UnsafeMutableBufferPointer<Double>,
                        actionJacobian: UnsafeMutableBufferPointer<Double>) {
        guard history > 1 else { return }
        let n = stateDimension, m = actionDimension, o = predictedDimension, observations = history * o
        for i in o..<n {
            for j in 0..<n { stateJacobian[i * n + j] = 0 }
            for j in 0..<m { actionJacobian[i * m + j] = 0 }
            if i < observations {
                stateJacobian[i * n + i - o] = 1
            } else if i < observations + m {
                let j = i - observations
                let inside = action[j] > features.actionLower[j] && action[j] < features.actionUpper[j]
                actionJacobian[i * m + j] = inside ? 1 : 0
            } else {
                stateJacobian[i * n + i - m] = 1
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
        let n = predictedDimension, total = totalUnits, widest = widestLayer
        // Scratch: activities and rates of every layer, two (o × widest) products — four buffers,
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

    /// The tape of one step: activities and rates of every layer (Σ_ℓ n_ℓ each), then the raw
    /// features (cos and sin of the angles, unstandardised; featureDimension).
    public var adjointTapeCount: Int { 2 * totalUnits + featureDimension }

    /// x′ = f(x, u), keeping the forward pass in `tape` for ``pullback(state:action:tape:cotangent:stateCotangent:actionCotangent:)``
    /// (the same pass as ``transition(state:action:next:)``, so the same x′ bit for bit).
    public func transitionRecording(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                    next: UnsafeMutableBufferPointer<Double>, tape: UnsafeMutablePointer<Double>) {
        let total = totalUnits
        let top = forward(state: state, action: action, activity: tape, rate: tape + total, raw: tape + 2 * total)
        shift(state: state.baseAddress!, action: action.baseAddress!, next: next.baseAddress!)
        for i in 0..<predictedDimension { next[i] = state[i] + (outputOffset[i] + correction.base[i]) + outputScale[i] * top[i] }
    }

    /// Aᵀξ and Bᵀξ by backpropagating s ⊙ ξ through the recorded pass (the analytic Jacobians'
    /// product, without forming them):
    /// ```text
    /// g_L = s ⊙ ξ,   g_{ℓ−1} = φ′_{ℓ−1}(x_{ℓ−1}) ⊙ W_ℓᵀ g_ℓ,   Aᵀξ = ξ + (∂z/∂x)ᵀ g₀,   Bᵀξ = (∂z/∂u)ᵀ g₀
    /// ```
    /// With a history, g_L = s ⊙ ξ[0..<o], ξ enters Aᵀξ directly only on the first o coordinates,
    /// and the shift rows' transposes are added (see the type's note).
    /// Scratch: two vectors of the widest layer, on the stack while they fit 1 KiB, else per thread.
    public func pullback(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, tape: UnsafePointer<Double>,
                         cotangent: UnsafePointer<Double>, stateCotangent: UnsafeMutablePointer<Double>,
                         actionCotangent: UnsafeMutablePointer<Double>) {
        let widest = widestLayer
        guard widest <= Self.stackLimit else {
            let scratch = ThreadScratch.pointer(count: 2 * widest)
            pullback(state: state, action: action, tape: tape, cotangent: cotangent, stateCotangent: stateCotangent,
                     actionCotangent: actionCotangent, upper: scratch, lower: scratch + widest)
            return
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: widest) { upper in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: widest) { lower in
            pullback(state: state, action: action, tape: tape, cotangent: cotangent, stateCotangent: stateCotangent,
                     actionCotangent: actionCotangent, upper: upper.baseAddress!, lower: lower.baseAddress!)
        }
        }
    }

    private func pullback(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, tape: UnsafePointer<Double>,
                          cotangent: UnsafePointer<Double>, stateCotangent: UnsafeMutablePointer<Double>,
                          actionCotangent: UnsafeMutablePointer<Double>,
                          upper: UnsafeMutablePointer<Double>, lower: UnsafeMutablePointer<Double>) {
        let n = stateDimension, m = actionDimension, depth = sizes.count - 1, total = totalUnits
        let o = predictedDimension
        let activity = tape, rate = tape + total, raw = tape + 2 * total
        let p = parameters.base
        var g = upper, below = lower
        for i in 0..<o { g[i] = outputScale[i] * cotangent[i] }
        var layerStart = total - sizes[depth]
        for l in stride(from: depth, through: 1, by: -1) {
            let inputs = sizes[l - 1], outputs = sizes[l]
            layerStart -= inputs
            let w = p + weightOffsets[l - 1]
            for k in 0..<inputs { below[k] = 0 }
            for j in 0..<outputs {
                let gj = g[j]
                let row = w + j * inputs
                for k in 0..<inputs { below[k] += gj * row[k] }
            }
            let xs = activity + layerStart, rs = rate + layerStart
            let activation = activations[l - 1]
            if case .identity = activation {} else {
                for k in 0..<inputs { below[k] *= derivative(activation, xs[k], rate: rs[k]) }
            }
            swap(&g, &below)
        }
        // g = ∂/∂z; chain through the features: angles as (cos, sin), actions clipped.
        let isAngle = features.isAngle, inverseScale = features.inputInverseScale
        let actionLower = features.actionLower, actionUpper = features.actionUpper
        var k = 0
        for j in 0..<n {
            // ξ itself (the identity of A) only on the predicted coordinates; the shift rows follow.
            let direct = j < o ? cotangent[j] : 0
            if isAngle[j] {
                stateCotangent[j] = direct - raw[k + 1] * inverseScale[k] * g[k] + raw[k] * inverseScale[k + 1] * g[k + 1]
                k += 2
            } else {
                stateCotangent[j] = direct + inverseScale[k] * g[k]
                k += 1
            }
        }
        for j in 0..<m {
            let inside = action[j] > actionLower[j] && action[j] < actionUpper[j]
            actionCotangent[j] = inside ? inverseScale[k + j] * g[k + j] : 0
        }
        guard history > 1 else { return }
        // The shift rows: Aᵀξ gains ξ_{j+o} (older observations) and ξ_{j+m} (older actions), Bᵀξ gains ξ_{k·o+j} inside the bounds.
        let observations = history * o
        for j in 0..<(observations - o) { stateCotangent[j] += cotangent[j + o] }
        for j in observations..<(n - m) { stateCotangent[j] += cotangent[j + m] }
        for j in 0..<m where action[j] > actionLower[j] && action[j] < actionUpper[j] {
            actionCotangent[j] += cotangent[observations + j]
        }
    }

    /// The batch through the kernel `pck_learned_forward_f64` (pc_kernels.h), at the CPU's vector
    /// width, the pairs along the fast axis. It agrees with ``transition(state:action:next:)`` to
    /// rounding (≤ 10⁻¹² relative, `LearnedDynamicsTests`, on every kernel path): the kernel may fuse
    /// multiply–adds, and its tanh, cos and sin are polynomials within a few ulp of the C library's.
    /// Scratch: 2 Σ_ℓ n_ℓ × count + n_L × count doubles per thread, allocated once. (Single pairs —
    /// ``transition(state:action:next:)`` and the planner's recorded steps — go through
    /// `pck_learned_record_f64`, the same arithmetic without the batch layout: through this kernel
    /// one pair at a time, the learned control step measured about 2× slower than in Swift.)
    public func transitionBatch(states: UnsafePointer<Double>, actions: UnsafePointer<Double>,
                                next: UnsafeMutablePointer<Double>, count: Int) {
        guard count > 0 else { return }
        let n = stateDimension, m = actionDimension, top = sizes[sizes.count - 1]
        let needed = 2 * totalUnits * count
        let scratch = ThreadScratch.pointer(count: needed + top * count)
        let output = scratch + needed
        let status = pck_learned_forward_f64(kernel.pointer, count, states, actions, scratch, needed, output)
        precondition(status == 0, "LearnedDynamics.transitionBatch: the kernel refused the model (status \(status))")
        for s in 0..<count {
            for i in 0..<predictedDimension {
                next[s * n + i] = states[s * n + i] + (outputOffset[i] + correction.base[i]) + outputScale[i] * output[i * count + s]
            }
        }
        // With a history the rest of each x′ is the exact shift.
        if history > 1 {
            for s in 0..<count { shift(state: states + s * n, action: actions + s * m, next: next + s * n) }
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
        let n = predictedDimension, m = actionDimension, depth = sizes.count - 1
        let total = totalUnits, stateCount = stateDimension
        do {
            var product = first, spare = second
            let top = forward(state: state, action: action, activity: activity, rate: rate)
            if let next {
                shift(state: state.baseAddress!, action: action.baseAddress!, next: next.baseAddress!)
                for i in 0..<n { next[i] = state[i] + (outputOffset[i] + correction.base[i]) + outputScale[i] * top[i] }
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
                for j in 0..<stateCount {
                    var value: Double
                    if isAngle[j] {
                        value = -sin(state[j]) * inverseScale[k] * row[k] + cos(state[j]) * inverseScale[k + 1] * row[k + 1]
                        k += 2
                    } else {
                        value = inverseScale[k] * row[k]
                        k += 1
                    }
                    stateJacobian[i * stateCount + j] = (i == j ? 1 : 0) + s * value
                }
                for j in 0..<m {
                    let inside = action[j] > actionLower[j] && action[j] < actionUpper[j]
                    actionJacobian[i * m + j] = inside ? s * inverseScale[k + j] * row[k + j] : 0
                }
            }
            shiftJacobians(action: action, stateJacobian: stateJacobian, actionJacobian: actionJacobian)
        }
    }

    /// Writes the standardised features of (x, u) into x₀ = `activity`, runs the feedforward pass
    /// (x_ℓ after x_{ℓ−1}, rates φ(x_ℓ) in `rate`) and returns x_L.
    /// With `raw`, the unstandardised features land there too (featureDimension).
    ///
    /// The pass is the dispatched kernel `pck_learned_record_f64` (pc_kernels.h): the batched
    /// kernel's arithmetic for one pair (the same x_L bit for bit on a kernel path), at the CPU's
    /// vector width. In Swift (SSE2 at most, in a portable build) this pass was about 40% of the
    /// acrobot's learned control step, most of it the hidden layer's tanh.
    @inline(__always)
    private func forward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                         activity: UnsafeMutablePointer<Double>, rate: UnsafeMutablePointer<Double>,
                         raw: UnsafeMutablePointer<Double>? = nil) -> UnsafeMutablePointer<Double> {
        let status = pck_learned_record_f64(kernel.pointer, state.baseAddress!, action.baseAddress!, activity, rate, raw)
        precondition(status == 0, "LearnedDynamics: the kernel refused the model (status \(status))")
        return activity + (totalUnits - sizes[sizes.count - 1])
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
    /// With `raw`, also the features before standardisation, (featureDimension).
    func write(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, into z: UnsafeMutablePointer<Double>,
               raw: UnsafeMutablePointer<Double>? = nil) {
        var k = 0
        for i in 0..<isAngle.count {
            if isAngle[i] {
                (z[k + 1], z[k]) = fastSinCos(state[i]); k += 2
            } else {
                z[k] = state[i]; k += 1
            }
        }
        for j in 0..<actionLower.count { z[k + j] = min(max(action[j], actionLower[j]), actionUpper[j]) }
        if let raw { raw.update(from: z, count: inputOffset.count) }
        for q in 0..<inputOffset.count { z[q] = (z[q] - inputOffset[q]) * inputInverseScale[q] }
    }
}

/// tanh(v) within 4 ulp of the C library's (measured on a dense grid of [−25, 25] and on
/// 10⁻³⁰⁰…10⁻³ by `LearnedDynamicsTests`), branch-free so that a layer's loop vectorises: about 4× faster than
/// `tanh` on x86-64, where the learned model's hidden layer spent most of a control step. The
/// model's passes now run in the kernels (`learned::fast_tanh` in pc_learned_impl.hpp, the same
/// algorithm and constants); this copy is the reference their accuracy is tested through.
///
/// With a = min(|v|, 20) (tanh 20 = 1 − 8·10⁻¹⁸ rounds to 1), E = expm1(−2a) = 2ᵏ(eʳ − 1) + (2ᵏ − 1)
/// with −2a = k ln 2 + r, |r| ≤ ln 2 / 2 (ln 2 split in two parts so the reduction is exact), and
/// eʳ − 1 from its Taylor series to r¹³/13! (the next term is below 5·10⁻¹⁸); then
/// tanh a = −E / (2 + E), which keeps full relative accuracy for small a (E = expm1 there, no
/// cancellation), and the sign of v. NaN gives NaN, ±∞ gives ±1.
@inline(__always)
func fastTanh(_ v: Double) -> Double {
    let a = v.magnitude < 20 ? v.magnitude : (v.isNaN ? v : 20)
    let y = -2 * a
    let magic = 0x1.8p52  // adding it rounds to an integer, kept in the low mantissa bits
    let shifted = y * 1.4426950408889634 + magic
    let k = Int64(bitPattern: shifted.bitPattern &- magic.bitPattern)
    let kd = shifted - magic
    let r = (y - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10
    var q = 1.0 / 6_227_020_800
    q = 1.0 / 479_001_600 + r * q; q = 1.0 / 39_916_800 + r * q; q = 1.0 / 3_628_800 + r * q
    q = 1.0 / 362_880 + r * q; q = 1.0 / 40_320 + r * q; q = 1.0 / 5_040 + r * q; q = 1.0 / 720 + r * q
    q = 1.0 / 120 + r * q; q = 1.0 / 24 + r * q; q = 1.0 / 6 + r * q; q = 0.5 + r * q; q = 1 + r * q
    q = r * q
    let scale = Double(bitPattern: UInt64(bitPattern: (k &+ 1023) << 52))
    let e = scale * q + (scale - 1)
    return Double(signOf: v, magnitudeOf: -e / (2 + e))
}

/// (sin x, cos x) within a few ulp of the C library's (`LearnedDynamicsTests`), about 4× faster:
/// x = k π/2 + r with π/2 in three parts of 33 bits (k·part exact for |k| < 2²⁰), |r| ≤ π/4, the
/// Taylor series of sin r to r¹⁷ and of cos r to r¹⁶ (the next terms are below 10⁻¹⁷), the quadrant
/// k mod 4 choosing and signing them. |x| > 10⁵, NaN and ±∞ go to the C library. The batched
/// kernel (`pck_learned_forward_f64`) evaluates the same polynomials.
@inline(__always)
func fastSinCos(_ x: Double) -> (sin: Double, cos: Double) {
    guard x.magnitude <= 1e5 else { return (sin(x), cos(x)) }
    let magic = 0x1.8p52
    let shifted = x * 0.63661977236758134308 + magic
    let k = Int64(bitPattern: shifted.bitPattern &- magic.bitPattern)
    let kd = shifted - magic
    let r = ((x - kd * 1.57079632673412561417e+00) - kd * 6.07710050630396597660e-11) - kd * 2.02226624871116645580e-21
    let r2 = r * r
    var s = -1.0 / 355_687_428_096_000
    s = 1.0 / 1_307_674_368_000 + r2 * s; s = -1.0 / 6_227_020_800 + r2 * s; s = 1.0 / 39_916_800 + r2 * s
    s = -1.0 / 362_880 + r2 * s; s = 1.0 / 5_040 + r2 * s; s = -1.0 / 120 + r2 * s; s = 1.0 / 6 + r2 * s
    s = r - r * r2 * s
    var c = 1.0 / 20_922_789_888_000
    c = -1.0 / 87_178_291_200 + r2 * c; c = 1.0 / 479_001_600 + r2 * c; c = -1.0 / 3_628_800 + r2 * c
    c = 1.0 / 40_320 + r2 * c; c = -1.0 / 720 + r2 * c; c = 1.0 / 24 + r2 * c
    c = 0.5 - r2 * c
    c = 1 - r2 * c
    let swapped = k & 1 != 0
    let sa = swapped ? c : s, ca = swapped ? s : c
    return (k & 2 != 0 ? -sa : sa, (k &+ 1) & 2 != 0 ? -ca : ca)
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

/// The learned model as `pck_learned_forward_f64` reads it: the descriptor and the arrays it points
/// into, owned here (allocated once per model). The parameters are the model's own storage, so a
/// reload in place is seen by the kernel too; it is not retained here (the model that holds this
/// object holds the storage, and a retain would keep ``LearnedDynamics/reload(from:normalization:)``
/// from ever finding it unshared).
final class LearnedKernelModel: @unchecked Sendable {
    /// The descriptor, in memory this object owns (a kernel call copies nothing); it points into
    /// this object's buffers and into the model's `ParameterStorage`.
    let pointer: UnsafeMutablePointer<pck_learned_model>
    private let sizes, offsets: UnsafeMutablePointer<Int>
    private let codes: UnsafeMutablePointer<Int32>
    private let isAngle: UnsafeMutablePointer<UInt8>
    private let doubles: UnsafeMutablePointer<Double>
    /// The model's parameters (not retained, see above) and each W_ℓᵀ at W_ℓ's offset
    /// (`transposed_weights`, for `pck_learned_record_f64`; the bias slots are unused).
    private let parameters, transposed: UnsafeMutablePointer<Double>
    private let depth: Int

    init(sizes layerSizes: [Int], activations: [Activation], parameters: ParameterStorage, weightOffsets: [Int],
         features: FeatureMap) {
        let depth = layerSizes.count - 1, n = features.isAngle.count, m = features.actionLower.count
        let f = features.inputOffset.count
        sizes = .allocate(capacity: depth + 1)
        sizes.initialize(from: layerSizes, count: depth + 1)
        offsets = .allocate(capacity: depth)
        offsets.initialize(from: weightOffsets, count: depth)
        codes = .allocate(capacity: depth)
        isAngle = .allocate(capacity: n)
        for j in 0..<n { isAngle[j] = features.isAngle[j] ? 1 : 0 }
        // Slopes (L), input offsets and inverse scales (f, f), action bounds (m, m).
        doubles = .allocate(capacity: depth + 2 * f + 2 * m)
        for l in 0..<depth { (codes[l], doubles[l]) = activations[l].kernelCodeAndSlope }
        (doubles + depth).initialize(from: features.inputOffset, count: f)
        (doubles + depth + f).initialize(from: features.inputInverseScale, count: f)
        (doubles + depth + 2 * f).initialize(from: features.actionLower, count: m)
        (doubles + depth + 2 * f + m).initialize(from: features.actionUpper, count: m)
        self.parameters = parameters.base
        self.depth = depth
        transposed = .allocate(capacity: max(parameters.count, 1))
        transposed.initialize(repeating: 0, count: max(parameters.count, 1))
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pck_learned_model(
            state_dimension: n, action_dimension: m, depth: depth, sizes: sizes, activations: codes, slopes: doubles,
            parameters: parameters.base, weight_offsets: offsets, is_angle: isAngle, input_offset: doubles + depth,
            input_inverse_scale: doubles + depth + f, action_lower: doubles + depth + 2 * f,
            action_upper: doubles + depth + 2 * f + m, transposed_weights: transposed))
        transposeWeights()
    }

    /// Rewrites each W_ℓᵀ from the parameters (after a reload in place). Allocates nothing.
    func transposeWeights() {
        for l in 0..<depth {
            let inputs = sizes[l], outputs = sizes[l + 1]
            let w = parameters + offsets[l], t = transposed + offsets[l]
            for j in 0..<outputs {
                for k in 0..<inputs { t[k * outputs + j] = w[j * inputs + k] }
            }
        }
    }

    deinit {
        sizes.deallocate(); offsets.deallocate(); codes.deallocate(); isAngle.deallocate(); doubles.deallocate()
        transposed.deallocate(); pointer.deallocate()
    }
}
