import PCCore
import PCEnvironment
import PCNumerics

/// An agent for a robot PCKit has no model of: it explores by motor babbling, learns the robot's
/// dynamics with a predictive-coding network (``ModelLearner``), and plans on the learned model with
/// a ``PredictiveController`` whose goal prior is the robot's goal on observations — learning
/// on from its own transitions while it controls.
///
/// The state is the observation (n = ``LearningAgentOptions/observationDimension``); coordinates
/// listed in ``LearningAgentOptions/angleIndices`` are angles. With a ``LearningAgentOptions/history``
/// k ≥ 2 the state is instead the stack s_t = (o_t, …, o_{t−k+1}, a_{t−1}, …, a_{t−k+1}), kept in
/// preallocated scratch and perceived whole by the planner; after ``reset(seed:)`` (and after an
/// invalid observation) it is filled as if the robot had rested — copies of the first observation,
/// actions at the planner's control prior clipped to the bounds — and no transition is recorded
/// until k − 1 real steps have passed, so every recorded state holds real history only.
/// Each step the agent records the transition (s_{t−1}, u_{t−1}, o_t) it just observed, then:
/// 1. **exploring** (the first ``LearningAgentOptions/explorationSteps`` steps): the action is drawn
///    uniformly inside the action box and held for ``LearningAgentOptions/explorationHoldSteps``
///    steps (``MotorBabbling``). Once half the exploration is recorded (and at least one batch), the
///    learner fits its standardisation to those transitions and starts learning. At the end of
///    exploration the network becomes the planner's first model (``modelVersion`` 1) and the agent
///    switches to **controlling** (if no batch has been learned yet it explores on until one has).
/// 2. **controlling**: the ``PredictiveController`` plans on the learned model (x′ = f_θ(x, u)),
///    with the goal prior, control prior and bounds of ``LearningAgentOptions/planner``.
///
/// **Learning in bounded slices.** After the action is written, every
/// ``LearningAgentOptions/learningInterval``-th step learns at most
/// ``LearningAgentOptions/batchesPerStep`` batches (fewer if ``LearningAgentOptions/learningTimeBudget``
/// runs out), so no step waits for more learning than that; ``lastStepBatches`` reports how many
/// ran. Every ``LearningAgentOptions/swapInterval``-th controlling step the planner's model is
/// replaced by the network trained so far — or by its parameter average, with
/// ``ModelLearnerOptions/averagingDecay`` — (keeping the planner's warm start) and ``modelVersion``
/// increments; ``onlinePredictionError`` measures each new transition against the model in use
/// before it is learned.
///
/// **Allocation.** After warm-up a controlling step allocates nothing (the transition memories are
/// reserved at full capacity at `init`; `LearningAgentTests` counts it), and neither does a model
/// swap: the model is double-buffered — the swap loads the new parameters, in place, into the
/// model the planner used before the previous one, and into the snapshot network that
/// ``save(to:includeMemory:)`` writes. (If the caller still holds a copy of that older model, read
/// from ``model``, the swap builds a new one instead and allocates.) In an unoptimised (debug)
/// build a learning slice allocates one block per batch (measured on the pendulum's 4–32–2
/// network); in a release build the measured learning slices allocate nothing.
///
/// **Determinism.** Every random draw comes from seeded generators: the babbling generator (seeded
/// from ``LearningAgentOptions/seed`` mixed with the seed of ``reset(seed:)``), the learner's
/// (``ModelLearnerOptions/seed``) and the planner's. Two agents with the same options and seeds that
/// see the same observations act the same, bit for bit — unless a ``LearningAgentOptions/learningTimeBudget``
/// is set, which makes the number of batches depend on the machine.
///
/// ```swift
/// var agent = try LearningAgent(options: options)
/// agent.reset(seed: 0)
/// var action = [Double](repeating: 0, count: agent.actionDimension)
/// let diagnostics = agent.step(observation, action: &action)   // phase, modelVersion: agent.phase, agent.modelVersion
/// try agent.save(to: "robot.pcla")
/// ```
public struct LearningAgent: AnytimeAgent {
    /// What the agent is doing.
    public enum Phase: String, Sendable, Equatable, Codable {
        /// Motor babbling inside the action bounds, recording transitions.
        case exploring
        /// Planning on the learned model (and learning on).
        case controlling
    }

    /// The options (validated).
    public let options: LearningAgentOptions
    /// The current phase.
    public private(set) var phase: Phase = .exploring
    /// The version of the model the planner uses: 0 before the first, then +1 per swap.
    public internal(set) var modelVersion = 0
    /// Training batches the last step learned (0 on a step without a learning slice), ≤ ``LearningAgentOptions/batchesPerStep``.
    public private(set) var lastStepBatches = 0
    /// Seconds the last step's learning slice took (0 on a step without one).
    public private(set) var lastStepLearningSeconds = 0.0
    /// Whether the last step replaced the planner's model.
    public internal(set) var lastStepSwappedModel = false
    /// Steps taken since `init` (all phases).
    public private(set) var stepCount = 0
    /// Exploration steps taken so far.
    public internal(set) var explorationStepsTaken = 0
    /// Why learning stopped, if the PC core failed on a batch (learning is then off; planning goes on
    /// with the last model).
    public private(set) var learningFailure: ModelLearnerError?
    /// The time by which ``plan()`` must return (passed to the planner); nil: no deadline.
    public var planningDeadline: Double?
    /// Whether the agent learns (default true). Set it false to freeze the agent: it then records
    /// no transition, learns nothing, never swaps its model and never ends its exploration — for
    /// scoring a learned model on episodes that must not count as interaction.
    public var isLearning = true

    var learner: ModelLearner
    var controller: PredictiveController<LearnedDynamics>?
    /// The network the planner's model was frozen from (what ``save(to:includeMemory:)`` writes),
    /// and the other ensemble members it was frozen with (K − 1; empty without an ensemble).
    var plannerNetwork: PCNetwork<Double>?
    var plannerMembers: [PCNetwork<Double>] = []
    /// The model the planner used before the last swap: the next swap loads the new parameters into
    /// it instead of allocating a model (double buffering).
    var spareModel: LearnedDynamics?
    var babbling: MotorBabbling
    /// The previous state (n), the previous action (m) and the current state (n), n = stateDimension.
    var previous: ScratchStorage
    var hasPrevious = false
    /// Real steps in the current state's history since it was (re)filled, capped at the history k.
    var historySteps = 0
    /// The stacked state the planner perceives, (stateDimension) with a history; empty without one
    /// (the planner then perceives the observation itself).
    var plannerInput: [Double]
    var observationValid = false
    var stepsSinceSwap = 0
    var batchesAtSwap = 0
    var episodeSeed: UInt64 = 0
    /// The disturbance estimate c, (predictedDimension), then the model's prediction f(x, u), (stateDimension).
    var disturbance: ScratchStorage
    var diagnostics = StepDiagnostics()

    /// A fresh agent in the exploring phase.
    /// - Throws: ``AgentConfigurationError`` naming a bad option (all checked before anything is
    ///   allocated); ``ModelLearnerError/learningFailed(_:)`` if the PC core refuses the network.
    public init(options: LearningAgentOptions) throws {
        try options.validate()
        self.options = options
        learner = try ModelLearner(options: options.learner)
        learner.reserveMemory()
        babbling = try MotorBabbling(lower: options.actionLower, upper: options.actionUpper,
                                     holdSteps: options.explorationHoldSteps, seed: Self.babblingSeed(options.seed, 0))
        previous = ScratchStorage(count: 2 * options.stateDimension + options.actionDimension)
        disturbance = ScratchStorage(count: options.learner.predictedDimension + options.stateDimension)
        plannerInput = options.history > 1 ? [Double](repeating: .nan, count: options.stateDimension) : []
    }

    public var observationDimension: Int { options.observationDimension }
    public var actionDimension: Int { options.actionDimension }

    /// RMS error of the model in use on each transition recorded since it existed, measured before
    /// the transition is learned, per observation coordinate (angles wrapped).
    public var onlinePredictionError: ModelLearner.PredictionError { learner.onlineError }
    /// Training batches learned so far.
    public var batchesLearned: Int { learner.batchesLearned }
    /// Transitions recorded so far (training and held out).
    public var transitionCount: Int { learner.transitionCount }
    /// The model the planner uses (nil while exploring).
    public var model: LearnedDynamics? { controller?.model }
    /// RMS one-step error of the model in use on the held-out transitions (nil before a model).
    public var heldOutPredictionError: ModelLearner.PredictionError? { learner.predictionError(heldOut: true) }

    static func babblingSeed(_ optionsSeed: UInt64, _ seed: UInt64) -> UInt64 {
        optionsSeed ^ (seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x2545_F491_4F6C_DD1D)
    }

    /// Starts an episode: forgets the previous observation (no transition spans the reset), reseeds
    /// the babbling and the planner, clears the planner's warm start. What was learned, the phase
    /// and the model stay.
    public mutating func reset(seed: UInt64) {
        episodeSeed = seed
        babbling = try! MotorBabbling(lower: options.actionLower, upper: options.actionUpper,  // bounds validated at init
                                      holdSteps: options.explorationHoldSteps, seed: Self.babblingSeed(options.seed, seed))
        controller?.reset(seed: seed)
        if options.disturbanceGain > 0 {
            ownDisturbance()
            disturbance.base.update(repeating: 0, count: options.learner.predictedDimension)
            if let model = controller?.model { applyDisturbance(to: model) }
        }
        hasPrevious = false
        observationValid = false
        diagnostics = StepDiagnostics()
    }

    /// Records the transition from the previous step to `observation`, (observationDimension), and
    /// perceives it. A wrong-length or non-finite observation is recorded nowhere, reported as
    /// ``AgentWarnings/invalidObservation``, and gets the safe action; with a history, the next
    /// valid observation refills it as after a reset.
    public mutating func perceive(_ observation: [Double]) {
        diagnostics = StepDiagnostics()
        lastStepBatches = 0
        lastStepLearningSeconds = 0
        lastStepSwappedModel = false
        let o = options.observationDimension, n = options.stateDimension, m = options.actionDimension
        if !isKnownUniquelyReferenced(&previous) { previous = previous.copy() }
        var valid = observation.count == o
        if valid { for i in 0..<o where !observation[i].isFinite { valid = false } }
        observationValid = valid
        // The previous state and action live in raw scratch (no closures, no copies: this
        // runs every step and allocates nothing).
        let previousState = previous.base, previousAction = previous.base + n
        if !valid {
            diagnostics.warnings.insert(.invalidObservation)
        } else {
            let current = previous.base + n + m
            for i in 0..<o { current[i] = observation[i] }
            if options.history > 1 { stackHistory(current) }
            // Only a state whose whole history is real is learned from (k − 1 steps since the refill).
            var predicted: UnsafePointer<Double>?
            if hasPrevious && isLearning && historySteps >= options.history - 1 {
                predicted = learner.recordChecked(state: UnsafeBufferPointer(start: previousState, count: n),
                                      action: UnsafeBufferPointer(start: previousAction, count: m),
                                      next: UnsafeBufferPointer(start: current, count: n))
            }
            if hasPrevious && phase == .controlling && options.disturbanceGain > 0 && historySteps >= options.history - 1 {
                estimateDisturbance(state: previousState, action: previousAction, next: current, predicted: predicted)
            }
            historySteps = hasPrevious ? min(historySteps + 1, options.history) : 0
            for i in 0..<n { previousState[i] = current[i] }
        }
        if phase == .controlling {
            // Moved out of the optional so its workspace stays uniquely referenced (no copy).
            var planner = controller!
            controller = nil
            if options.history > 1 {
                // The stacked state; NaN after an invalid observation, so the planner reports it and holds the safe action.
                let current = previous.base + n + m
                for i in 0..<n { plannerInput[i] = valid ? current[i] : .nan }
                planner.perceive(plannerInput)
            } else {
                planner.perceive(observation)
            }
            controller = planner
        }
    }

    /// Completes the stacked state whose newest observation is in `current[0..<o]`: after the
    /// previous step, the shift (o_{t−1}, …, clip(a_{t−1}), a_{t−2}, …) of the previous state —
    /// exactly what ``LearnedDynamics`` predicts; after a reset or an invalid observation, the
    /// history of a robot at rest (copies of the observation, the clipped control prior).
    mutating func stackHistory(_ current: UnsafeMutablePointer<Double>) {
        let o = options.observationDimension, n = options.stateDimension, m = options.actionDimension
        let observations = options.history * o
        let previousState = previous.base, previousAction = previous.base + n
        let lower = options.actionLower, upper = options.actionUpper
        if hasPrevious {
            for i in o..<observations { current[i] = previousState[i - o] }
            for j in 0..<m { current[observations + j] = min(max(previousAction[j], lower[j]), upper[j]) }
            for i in (observations + m)..<n { current[i] = previousState[i - m] }
        } else {
            let prior = options.planner.controlPrior
            for i in o..<observations { current[i] = current[i % o] }
            for i in observations..<n {
                let j = (i - observations) % m
                current[i] = min(max(prior[j], lower[j]), upper[j])
            }
        }
    }

    /// c ← c + α (o′ − f(x, u)) on the planner's model (``LearningAgentOptions/disturbanceGain``),
    /// angles wrapped; allocates nothing. `learned`: f(x, u) as the learner just predicted it with
    /// the same model (the planner's, correction included) when it recorded the transition; nil when
    /// it did not (a frozen agent), and the model runs here instead.
    mutating func estimateDisturbance(state: UnsafePointer<Double>, action: UnsafePointer<Double>,
                                      next: UnsafePointer<Double>, predicted learned: UnsafePointer<Double>?) {
        ownDisturbance()
        guard let model = controller?.model else { return }
        let n = options.stateDimension, m = options.actionDimension, o = options.learner.predictedDimension
        let d = disturbance.base
        let predicted: UnsafePointer<Double>
        if let learned {
            predicted = learned
        } else {
            let scratch = disturbance.base + o
            model.transition(state: UnsafeBufferPointer(start: state, count: n), action: UnsafeBufferPointer(start: action, count: m),
                             next: UnsafeMutableBufferPointer(start: scratch, count: n))
            predicted = UnsafePointer(scratch)
        }
        let gain = options.disturbanceGain
        for i in 0..<o {
            d[i] += gain * learner.difference(next[i], predicted[i], coordinate: i)
        }
        applyDisturbance(to: model)
    }

    /// After the agent was copied (its estimate is shared): its own estimate, and its own correction
    /// in the planner's model (the learner's copy of that model follows), so that the copies never
    /// disturb each other. Allocates only then.
    mutating func ownDisturbance() {
        guard !isKnownUniquelyReferenced(&disturbance) else { return }
        disturbance = disturbance.copy()
        guard var planner = controller else { return }
        controller = nil
        var model = planner.model
        model.correction = model.correction.copy()
        planner.replaceModel(model)
        learner.dynamics = model
        controller = planner
    }

    /// Writes the estimate into `model`'s correction (shared by its copies: the planner's and the learner's).
    func applyDisturbance(to model: LearnedDynamics) {
        model.correction.base.update(from: disturbance.base, count: options.learner.predictedDimension)
    }

    /// Plans on the learned model (controlling); nothing while exploring.
    public mutating func plan() {
        guard phase == .controlling else { return }
        var planner = controller!
        controller = nil
        planner.planningDeadline = planningDeadline
        planner.plan()
        controller = planner
    }

    /// Writes the action, (actionDimension): babbling while exploring, the planner's u₀ while
    /// controlling, the safe action (the planner's control prior, clipped to the bounds) after an
    /// invalid observation. Then runs this step's learning slice and, when due, the phase change
    /// or the model swap.
    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == actionDimension,
                     "LearningAgent.act: action buffer holds \(action.count) values, expected \(actionDimension)")
        if phase == .controlling {
            var planner = controller!
            controller = nil
            diagnostics = planner.act(into: &action)
            controller = planner
        } else if observationValid {
            babbling.action(into: &action)
        } else {
            for j in 0..<actionDimension {
                action[j] = min(max(options.planner.controlPrior[j], options.actionLower[j]), options.actionUpper[j])
            }
        }
        hasPrevious = observationValid
        if !isKnownUniquelyReferenced(&previous) { previous = previous.copy() }
        if observationValid { for j in 0..<actionDimension { previous.base[options.stateDimension + j] = action[j] } }
        stepCount += 1
        guard isLearning else { return diagnostics }
        learnSlice()
        switch phase {
        case .exploring:
            explorationStepsTaken += 1
            if explorationStepsTaken >= options.explorationSteps && learner.batchesLearned > 0 { startControlling() }
        case .controlling:
            stepsSinceSwap += 1
            if stepsSinceSwap >= options.swapInterval && learner.batchesLearned > batchesAtSwap { swapModel() }
        }
        return diagnostics
    }

    /// Learns up to `batchesPerStep` batches on every `learningInterval`-th step, once enough
    /// transitions are recorded (half the exploration, and one batch of training transitions).
    mutating func learnSlice() {
        guard learningFailure == nil, stepCount % options.learningInterval == 0,
              learner.trainingCount >= options.learner.batchSize,
              learner.transitionCount >= (options.explorationSteps + 1) / 2 else { return }
        learner.fitNormalizationIfNeeded()
        let start = monotonicSeconds()
        for b in 0..<options.batchesPerStep {
            if b > 0, let budget = options.learningTimeBudget, monotonicSeconds() - start > budget { break }
            do {
                _ = try learner.learnBatch()
            } catch {
                learningFailure = (error as? ModelLearnerError) ?? .learningFailed("\(error)")
                break
            }
            lastStepBatches += 1
        }
        lastStepLearningSeconds = monotonicSeconds() - start
    }

    /// Copies the learner's ``ModelLearner/modelNetwork`` (its network, or the parameter average
    /// with ``ModelLearnerOptions/averagingDecay``) into the snapshot ``save(to:includeMemory:)`` writes: in place
    /// when the shapes match (the snapshot then shares nothing with the learner, whose next batch
    /// would otherwise copy its network), else by assignment.
    mutating func updatePlannerNetwork() {
        Self.copyInPlace(learner.modelNetwork, into: &plannerNetwork)
        let members = learner.ensembleMembers
        guard plannerMembers.count == members.count else {
            plannerMembers = members
            return
        }
        for k in 0..<members.count {
            var snapshot: PCNetwork<Double>? = plannerMembers[k]
            plannerMembers[k] = members[k]   // releases the old reference so `snapshot` is unique
            Self.copyInPlace(members[k], into: &snapshot)
            plannerMembers[k] = snapshot!
        }
    }

    /// `snapshot` ← `source`'s parameters, in place when the shapes match (the snapshot then shares
    /// nothing with the source), else by assignment.
    static func copyInPlace(_ source: PCNetwork<Double>, into snapshot: inout PCNetwork<Double>?) {
        guard var copy = snapshot, copy.layers.count == source.layers.count else {
            snapshot = source
            return
        }
        snapshot = nil
        do {
            try copy.assignParameters(from: source)
            snapshot = copy
        } catch {
            snapshot = source
        }
    }

    /// The end of exploration: the first model and the planner.
    mutating func startControlling() {
        learner.refreshDynamics()
        do {
            controller = try PredictiveController(model: learner.dynamics!, options: options.planner)
        } catch {
            preconditionFailure("LearningAgent: the validated planner options were refused: \(error)")
        }
        controller!.reset(seed: episodeSeed)
        // The spare the swaps load into, allocated now rather than at the first swap.
        if let normalization = learner.normalization {
            spareModel = LearnedDynamics(network: learner.modelNetwork, members: learner.ensembleMembers, options: learner.options,
                                         normalization: normalization)
        }
        plannerNetwork = learner.modelNetwork
        plannerMembers = learner.ensembleMembers
        batchesAtSwap = learner.batchesLearned
        modelVersion += 1
        stepsSinceSwap = 0
        phase = .controlling
        lastStepSwappedModel = true
    }

    /// Replaces the planner's model by the network trained so far (its parameter average when
    /// ``ModelLearnerOptions/averagingDecay`` is on). From the second swap on this
    /// allocates nothing: the new parameters go into the model the planner used before the
    /// previous swap, and into the snapshot network, in place.
    mutating func swapModel() {
        var next = spareModel
        spareModel = nil
        if next != nil, let normalization = learner.normalization, next!.reload(from: learner.modelNetwork, members: learner.ensembleMembers,
                                                                                        normalization: normalization) {
            learner.dynamics = next
        } else {
            learner.refreshDynamics()
        }
        next = nil
        var planner = controller!
        controller = nil
        let previousModel = planner.model
        planner.replaceModel(learner.dynamics!)
        applyDisturbance(to: planner.model)
        controller = planner
        spareModel = previousModel
        updatePlannerNetwork()
        batchesAtSwap = learner.batchesLearned
        modelVersion += 1
        stepsSinceSwap = 0
        lastStepSwappedModel = true
    }
}
