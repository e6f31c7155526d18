#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCCore
import PCNumerics

/// Learns an environment's dynamics online with a predictive-coding network.
///
/// The caller feeds it transitions (x, u, x′) from the environment — motor babbling first
/// (``MotorBabbling``), then on-policy data from a controller planning on the model so far — and
/// calls ``train(batches:)`` between episodes. The network predicts the standardised state change:
/// ```text
/// input  z = (features(x, clip(u)) − offset) ⊘ scale      features: (cos xᵢ, sin xᵢ) for angles, xᵢ otherwise, then u
/// target y = (Δx − d) ⊘ s,   Δx = x′ − x (angles wrapped)  d, s: mean and standard deviation of Δx
/// ```
/// Each batch is learned by the PC rule of ``ModelLearnerOptions/learning`` (default IL: x₀ = z and
/// x_L = y clamped, hidden activities settled on F = Σ_ℓ ½‖x_ℓ − μ_ℓ‖², then one optimiser step on
/// ∂F/∂θ = −ε_ℓ φ(x_{ℓ−1})ᵀ; <doc:ModelLearning#Learning-rule>). With a ``ModelLearnerOptions/history``
/// of k ≥ 2 observations in the state, targets, Δ, the output standardisation and every prediction
/// error cover only the newest observation (its o = ``ModelLearnerOptions/predictedDimension``
/// coordinates, the first o of x): the rest of x′ is a shift of x and u, not learned. The standardisation is fitted to the training
/// transitions held when ``train(batches:)`` first runs, and fixed afterwards.
///
/// **Prediction error is tracked three ways**: on the training set and on the held-out set (every
/// k-th transition never trained on), by ``predictionError(heldOut:)``; and online — each transition
/// is predicted by the current model *before* it is learned, accumulated in ``onlineError``.
/// ``dynamics`` is the learned model as a ``LinearizableModel`` for the ``PredictiveController``.
///
/// ```swift
/// var learner = try ModelLearner(options: options)
/// try learner.record(state: x, action: u, next: xNext)     // many times
/// let report = try learner.train(batches: 2_000)
/// let controller = try PredictiveController(model: learner.dynamics!, options: .pendulumSwingUp)
/// ```
public struct ModelLearner: Sendable {
    /// Fixed input and target standardisation (fitted once).
    public struct Normalization: Sendable, Equatable {
        /// Feature offsets and scales, (featureDimension).
        public var inputOffset: [Double], inputScale: [Double]
        /// Target offsets d and scales s, (predictedDimension: stateDimension unless a history is stacked).
        public var outputOffset: [Double], outputScale: [Double]
    }

    /// Root-mean-square one-step prediction error of x′, per predicted coordinate (state units; angles wrapped).
    public struct PredictionError: Sendable, Equatable, Codable {
        /// √(mean (x̂′ᵢ − x′ᵢ)²), (predictedDimension: stateDimension unless a history is stacked).
        public var rootMeanSquare: [Double]
        /// Transitions measured.
        public var count: Int
    }

    /// What ``train(batches:)`` did.
    public struct TrainingReport: Sendable, Equatable {
        /// Batches learned in this call.
        public var batches: Int
        /// Mean F_B of the batches at the start of inference (½ the mean squared standardised error)
        /// over the first and the last tenth of the call.
        public var initialEnergy: Double, finalEnergy: Double
        /// Batches whose inference diverged (and recovered).
        public var divergedBatches: Int
    }

    /// The options (validated).
    public let options: ModelLearnerOptions
    /// The PC network: featureDimension → hiddenSizes → predictedDimension (= stateDimension unless a history is stacked).
    public private(set) var network: PCNetwork<Double>
    /// The exponential moving average of ``network``'s parameters (``ModelLearnerOptions/averagingDecay``
    /// > 0, from the first batch on; nil otherwise).
    public private(set) var averagedNetwork: PCNetwork<Double>?
    /// The network ``dynamics`` is built from: ``averagedNetwork`` when there is one, else ``network``
    /// (with an ensemble, the first member; ``ensembleMembers`` holds the others).
    public var modelNetwork: PCNetwork<Double> { averagedNetwork ?? network }
    /// Members 2…K of an ensemble (``ModelLearnerOptions/ensembleSize`` K; empty when K = 1):
    /// ``network`` is member 1, and ``dynamics`` predicts the members' mean.
    public private(set) var ensembleMembers: [PCNetwork<Double>]
    /// The standardisation, once fitted.
    public private(set) var normalization: Normalization?
    /// The learned model at the last ``train(batches:)`` (nil before the first).
    public internal(set) var dynamics: LearnedDynamics?
    /// Transitions recorded (training and held-out).
    public private(set) var transitionCount = 0
    /// Batches learned so far.
    public private(set) var batchesLearned = 0
    /// Online error: each transition recorded after the first training, predicted before it is learned.
    public var onlineError: PredictionError {
        PredictionError(rootMeanSquare: onlineSquares.map { onlineCount > 0 ? ($0 / Double(onlineCount)).squareRoot() : 0 },
                        count: onlineCount)
    }
    /// Transitions in ``onlineError``.
    var onlineCount = 0

    var learner: PCLearner<PCNetwork<Double>>
    /// The learners of ``ensembleMembers`` (each keeps its own optimiser state), (K − 1).
    var memberLearners: [PCLearner<PCNetwork<Double>>]
    var generator: Xoshiro256
    var training: TransitionMemory
    var heldOut: TransitionMemory
    var batchInput: Matrix<Double>
    var batchTarget: Matrix<Double>
    var onlineSquares: [Double]
    /// Scratch of `recordChecked` (predicted x′, (stateDimension), then Δ, (predictedDimension)).
    var scratch: ScratchStorage
    /// Whether each state coordinate is an angle, (stateDimension).
    let isAngle: [Bool]
    var batchRows: [Int]
    /// The input map of the fitted standardisation (nil before it is fitted).
    var featureMap: FeatureMap?

    /// A learner with a freshly initialised network.
    /// - Throws: ``AgentConfigurationError`` for bad options; ``ModelLearnerError/learningFailed(_:)``
    ///   if the PC core refuses the network or learning options.
    public init(options: ModelLearnerOptions) throws {
        try options.validate()
        self.options = options
        generator = Xoshiro256(seed: options.seed)
        let n = options.stateDimension, f = options.featureDimension, o = options.predictedDimension
        do {
            network = try PCNetwork(sizes: [f] + options.hiddenSizes + [o], activation: options.activation,
                                    initializer: .xavierUniform, using: &generator)
            learner = try PCLearner(for: network, batchSize: options.batchSize, options: options.learning)
            ensembleMembers = []
            memberLearners = []
            for k in 1..<options.ensembleSize {
                // Member k's initial weights from its own generator: member 1 (``network``) and the
                // batch draws are exactly those of a single-network learner with the same seed.
                var memberGenerator = Xoshiro256(seed: Self.memberSeed(options.seed, k))
                let member = try PCNetwork<Double>(sizes: [f] + options.hiddenSizes + [o], activation: options.activation,
                                                   initializer: .xavierUniform, using: &memberGenerator)
                ensembleMembers.append(member)
                memberLearners.append(try PCLearner(for: member, batchSize: options.batchSize, options: options.learning))
            }
            batchInput = try Matrix(rows: options.batchSize, columns: f)
            batchTarget = try Matrix(rows: options.batchSize, columns: o)
        } catch {
            throw ModelLearnerError.learningFailed("\(error)")
        }
        training = TransitionMemory(stateDimension: n, actionDimension: options.actionDimension, capacity: options.capacity,
                                    deltaDimension: o)
        heldOut = TransitionMemory(stateDimension: n, actionDimension: options.actionDimension, capacity: options.capacity,
                                   deltaDimension: o)
        onlineSquares = [Double](repeating: 0, count: o)
        scratch = ScratchStorage(count: n + o)
        var angle = [Bool](repeating: false, count: n)
        for i in options.angleIndices { angle[i] = true }
        isAngle = angle
        batchRows = [Int](repeating: 0, count: options.batchSize)
    }

    /// The seed of ensemble member k + 1's initial weights (k ≥ 1): `seed` mixed with k.
    static func memberSeed(_ seed: UInt64, _ k: Int) -> UInt64 {
        seed ^ (UInt64(k) &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7)
    }

    /// Transitions available for training and held out.
    public var trainingCount: Int { training.count }
    public var heldOutCount: Int { heldOut.count }

    /// Records one transition x → x′ under u.
    /// - Parameters:
    ///   - state: x, (stateDimension).
    ///   - action: u as sent to the environment, (actionDimension).
    ///   - next: x′, (stateDimension); with a history only its newest observation (the first
    ///     predictedDimension values) is learned, the rest is the shift of x and u by definition.
    /// - Throws: ``ModelLearnerError`` for a wrong length or a non-finite value (nothing is recorded).
    public mutating func record(state: [Double], action: [Double], next: [Double]) throws {
        let n = options.stateDimension, m = options.actionDimension
        try Self.check(state, "state", n)
        try Self.check(action, "action", m)
        try Self.check(next, "next", n)
        state.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in
                next.withUnsafeBufferPointer { recordChecked(state: x, action: u, next: $0) }
            }
        }
    }

    /// Throws unless `vector` holds `count` finite values.
    static func check(_ vector: [Double], _ what: String, _ count: Int) throws {
        guard vector.count == count else { throw ModelLearnerError.dimensionMismatch(what: what, expected: count, got: vector.count) }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) { throw ModelLearnerError.nonFiniteTransition(what: what, index: bad) }
    }

    /// Records a transition whose lengths and values the caller has checked. Allocates nothing once
    /// the memories are reserved (``reserveMemory()``) or full.
    /// - Parameters:
    ///   - state: x, (stateDimension).
    ///   - action: u, (actionDimension).
    ///   - next: the newest observation of x′, (≥ predictedDimension; only the first predictedDimension are read).
    /// - Returns: the current ``dynamics``' prediction f(x, u), (stateDimension), valid until the next
    ///   call; nil without a model.
    @discardableResult
    mutating func recordChecked(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                                next: UnsafeBufferPointer<Double>) -> UnsafePointer<Double>? {
        let n = options.stateDimension, o = options.predictedDimension
        // Online error: predict before learning. Scratch through raw pointers, no closures: this
        // path runs every control step of a LearningAgent and allocates nothing.
        if !isKnownUniquelyReferenced(&scratch) { scratch = scratch.copy() }
        let predicted = scratch.base, delta = scratch.base + n
        if let dynamics {
            dynamics.transition(state: state, action: action, next: UnsafeMutableBufferPointer(start: predicted, count: n))
            for i in 0..<o {
                let e = difference(predicted[i], next[i], coordinate: i)
                onlineSquares[i] += e * e
            }
            onlineCount += 1
        }
        for i in 0..<o { delta[i] = difference(next[i], state[i], coordinate: i) }
        transitionCount += 1
        let deltas = UnsafeBufferPointer(start: delta, count: o)
        if transitionCount % options.heldOutEvery == 0 {
            heldOut.append(state: state, action: action, delta: deltas)
        } else {
            training.append(state: state, action: action, delta: deltas)
        }
        return dynamics == nil ? nil : UnsafePointer(predicted)
    }

    /// Reserves both transition memories at full capacity now, so recording never allocates later.
    mutating func reserveMemory() {
        training.reserve()
        heldOut.reserve()
    }

    /// Records one transition given as observations, decoded by ``ModelLearnerOptions/observation``.
    /// - Parameters:
    ///   - observation: o before the step, (observation.observationDimension).
    ///   - action: u, (actionDimension).
    ///   - nextObservation: o′ after it.
    /// - Throws: ``ModelLearnerError`` when an observation has the wrong length or a non-finite value.
    public mutating func record(observation: [Double], action: [Double], nextObservation: [Double]) throws {
        let layout = options.observation, n = options.stateDimension
        var state = [Double](repeating: 0, count: n), next = [Double](repeating: 0, count: n)
        for (what, source) in [("observation", observation), ("nextObservation", nextObservation)] {
            guard source.count == layout.observationDimension else {
                throw ModelLearnerError.dimensionMismatch(what: what, expected: layout.observationDimension, got: source.count)
            }
            if let bad = source.firstIndex(where: { !$0.isFinite }) { throw ModelLearnerError.nonFiniteTransition(what: what, index: bad) }
        }
        _ = state.withUnsafeMutableBufferPointer { layout.decode(observation, into: $0.baseAddress!) }
        _ = next.withUnsafeMutableBufferPointer { layout.decode(nextObservation, into: $0.baseAddress!) }
        try record(state: state, action: action, next: next)
    }

    /// Learns `batches` batches of `batchSize` training transitions drawn uniformly (with
    /// replacement, from the learner's seeded generator), then refreshes ``dynamics``.
    /// - Throws: ``ModelLearnerError/insufficientData(required:available:)`` with fewer than one
    ///   batch of training transitions; ``ModelLearnerError/learningFailed(_:)`` if the PC core fails.
    @discardableResult
    public mutating func train(batches: Int) throws -> TrainingReport {
        precondition(batches >= 0, "ModelLearner.train: batches must be ≥ 0 (got \(batches))")
        guard training.count >= options.batchSize else {
            throw ModelLearnerError.insufficientData(required: options.batchSize, available: training.count)
        }
        fitNormalizationIfNeeded()
        let window = max(1, batches / 10)
        var report = TrainingReport(batches: batches, initialEnergy: 0, finalEnergy: 0, divergedBatches: 0)
        for b in 0..<batches {
            let result = try learnBatch()
            if b < window { report.initialEnergy += result.energy / Double(window) }
            if b >= batches - window { report.finalEnergy += result.energy / Double(window) }
            if result.diverged { report.divergedBatches += 1 }
        }
        refreshDynamics()
        return report
    }

    /// Fits the standardisation to the training transitions held now, once.
    mutating func fitNormalizationIfNeeded() {
        guard normalization == nil else { return }
        let fitted = fitNormalization()
        normalization = fitted
        featureMap = FeatureMap(options: options, normalization: fitted)
    }

    /// Draws and learns one batch (the standardisation must be fitted); counts it in ``batchesLearned``.
    /// With an ensemble, batch b trains member b mod K.
    mutating func learnBatch() throws -> BatchResult {
        fillBatch()
        let result: BatchResult
        let member = batchesLearned % options.ensembleSize
        do {
            if member == 0 {
                result = try learner.step(&network, input: batchInput, target: batchTarget)
            } else {
                result = try memberLearners[member - 1].step(&ensembleMembers[member - 1], input: batchInput, target: batchTarget)
            }
        } catch {
            throw ModelLearnerError.learningFailed("\(error)")
        }
        batchesLearned += 1
        updateAverage()
        return result
    }

    /// θ̄ ← β θ̄ + (1 − β) θ for every weight and bias (β = ``ModelLearnerOptions/averagingDecay``),
    /// in place; the first call copies θ. Nothing when β = 0. Allocates only at the first call.
    mutating func updateAverage() {
        let beta = options.averagingDecay
        guard beta > 0 else { return }
        guard var average = averagedNetwork, average.layers.count == network.layers.count else {
            averagedNetwork = network
            return
        }
        averagedNetwork = nil   // moved out so its storage stays uniquely referenced (no copy)
        do {
            try average.moveParameters(toward: network, fraction: 1 - beta)
            averagedNetwork = average
        } catch {
            averagedNetwork = network   // shapes cannot differ (both are this learner's); restart the average if they did
        }
    }

    /// Freezes the current ``modelNetwork`` as ``dynamics`` (allocates the model's parameter copy).
    mutating func refreshDynamics() {
        guard let normalization else { return }
        dynamics = LearnedDynamics(network: modelNetwork, members: ensembleMembers, options: options, normalization: normalization)
    }

    /// Restores a learned state: the network and the other ensemble members (same sizes as this
    /// learner's, K − 1 of them), its standardisation and optionally the transition memories;
    /// ``dynamics`` is rebuilt from them. The members' optimiser states start afresh.
    mutating func restore(network: PCNetwork<Double>, members: [PCNetwork<Double>], normalization: Normalization, batchesLearned: Int,
                          transitionCount: Int, training: TransitionMemory?, heldOut: TransitionMemory?) {
        precondition(members.count == options.ensembleSize - 1, "ModelLearner.restore: \(members.count) other members for an ensemble of \(options.ensembleSize)")
        self.network = network
        ensembleMembers = members
        averagedNetwork = nil   // a parameter average (if any) restarts from the restored network
        self.normalization = normalization
        featureMap = FeatureMap(options: options, normalization: normalization)
        self.batchesLearned = batchesLearned
        self.transitionCount = transitionCount
        if let training { self.training = training }
        if let heldOut { self.heldOut = heldOut }
        refreshDynamics()
    }

    /// The RMS one-step prediction error of the current ``dynamics`` on the training set or the
    /// held-out set (nil before the first training or for an empty set).
    public func predictionError(heldOut: Bool) -> PredictionError? {
        guard let dynamics else { return nil }
        let memory = heldOut ? self.heldOut : training
        guard memory.count > 0 else { return nil }
        let n = options.stateDimension, m = options.actionDimension, o = options.predictedDimension
        var squares = [Double](repeating: 0, count: o)
        var predicted = [Double](repeating: 0, count: n)
        for k in 0..<memory.count {
            memory.states.withUnsafeBufferPointer { s in
                memory.actions.withUnsafeBufferPointer { a in
                    predicted.withUnsafeMutableBufferPointer {
                        dynamics.transition(state: UnsafeBufferPointer(rebasing: s[(k * n)..<(k * n + n)]),
                                            action: UnsafeBufferPointer(rebasing: a[(k * m)..<(k * m + m)]), next: $0)
                    }
                }
            }
            for i in 0..<o {
                // x̂′ − x′ = (x̂′ − x) − Δx, wrapped for angles.
                let e = difference(predicted[i] - memory.states[k * n + i], memory.deltas[k * o + i], coordinate: i)
                squares[i] += e * e
            }
        }
        return PredictionError(rootMeanSquare: squares.map { ($0 / Double(memory.count)).squareRoot() }, count: memory.count)
    }

    /// a − b, wrapped to (−π, π] for angle coordinates.
    func difference(_ a: Double, _ b: Double, coordinate i: Int) -> Double {
        let d = a - b
        // A flag lookup: `angleIndices.contains` allocates in unoptimised builds, and this runs every control step.
        guard isAngle[i] else { return d }
        return d - 2 * Double.pi * (d / (2 * Double.pi)).rounded()
    }

    /// Means and standard deviations of the features and of Δ (predictedDimension) over the training transitions.
    /// Angle features (cos, sin) keep offset 0 and scale 1; actions are centred on their bounds'
    /// midpoint and scaled by the half range; a constant coordinate gets scale 1.
    func fitNormalization() -> Normalization {
        let n = options.stateDimension, m = options.actionDimension, f = options.featureDimension
        var offset = [Double](repeating: 0, count: f), scale = [Double](repeating: 1, count: f)
        var k = 0
        for i in 0..<n {
            if options.angleIndices.contains(i) { k += 2; continue }
            let (mean, deviation) = training.moments { $0.states[$1 * n + i] }
            offset[k] = mean; scale[k] = deviation > 1e-9 ? deviation : 1
            k += 1
        }
        for j in 0..<m {
            offset[k + j] = 0.5 * (options.actionLower[j] + options.actionUpper[j])
            scale[k + j] = 0.5 * (options.actionUpper[j] - options.actionLower[j])
        }
        let o = options.predictedDimension
        var outputOffset = [Double](repeating: 0, count: o), outputScale = [Double](repeating: 1, count: o)
        for i in 0..<o {
            let (mean, deviation) = training.moments { $0.deltas[$1 * o + i] }
            outputOffset[i] = mean; outputScale[i] = deviation > 1e-9 ? deviation : 1
        }
        return Normalization(inputOffset: offset, inputScale: scale, outputOffset: outputOffset, outputScale: outputScale)
    }

    /// Draws a batch: standardised features into `batchInput`, standardised Δx into `batchTarget`.
    mutating func fillBatch() {
        let n = options.stateDimension, m = options.actionDimension, o = options.predictedDimension
        let norm = normalization!
        let map = featureMap!
        let available = training.count
        for r in 0..<options.batchSize { batchRows[r] = generator.nextInt(below: available) }
        let memory = training, rows = batchRows
        batchInput.withUnsafeMutableStorage { z, ld in
            memory.states.withUnsafeBufferPointer { s in
                memory.actions.withUnsafeBufferPointer { a in
                    for r in 0..<rows.count {
                        let k = rows[r]
                        map.write(state: UnsafeBufferPointer(rebasing: s[(k * n)..<(k * n + n)]),
                                            action: UnsafeBufferPointer(rebasing: a[(k * m)..<(k * m + m)]), into: z + r * ld)
                    }
                }
            }
        }
        batchTarget.withUnsafeMutableStorage { y, ld in
            for r in 0..<rows.count {
                for i in 0..<o { y[r * ld + i] = (memory.deltas[rows[r] * o + i] - norm.outputOffset[i]) / norm.outputScale[i] }
            }
        }
    }
}

/// Scratch memory a value type owns, read and written through a raw pointer; the owner copies it
/// before writing when it is shared (`isKnownUniquelyReferenced`), so copies of the owner stay independent.
final class ScratchStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
    let count: Int

    init(count: Int) {
        self.count = max(count, 1)
        base = .allocate(capacity: self.count)
        base.initialize(repeating: 0, count: self.count)
    }

    /// A new storage with the same values.
    func copy() -> ScratchStorage {
        let other = ScratchStorage(count: count)
        other.base.update(from: base, count: count)
        return other
    }

    deinit { base.deallocate() }
}
