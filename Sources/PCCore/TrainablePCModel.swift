import PCNumerics

/// A predictive-coding model that the one learner, ``PCLearner``, trains: a ``PCNetwork``, a
/// ``ConvolutionalNetwork`` or ``RecurrentNetwork`` (every ``LayeredPCModel``) or a ``PCGraph``
/// (<doc:LearningRules>).
///
/// A learning step is the same on every model: settle the free units of a batch on the free energy
/// F (or take an exact rule's gradient), compute ∂F_B/∂θ at the settled state, take one optimiser
/// step and one step on learned precisions. A conforming model supplies those pieces for its own
/// engine; ``PCLearner`` owns the rule logic (IL, SeqIL, iPC, output nudging, the exact rules) once.
///
/// Conformances: ``PCNetwork`` (its own settle with the fused dense kernel, a free input, sharded
/// threads), every ``LayeredPCModel`` (``ConvolutionalNetwork``, ``RecurrentNetwork``, or a user's
/// own layered model, which gets the layered engine's defaults) and ``PCGraph``.
public protocol TrainablePCModel: Sendable {
    associatedtype Scalar: PCScalar
    /// The engine's own part of a ``PCWorkspace`` (rates, derivatives, kernel scratch).
    associatedtype EngineBuffers: Sendable
    /// ∂F_B/∂θ shaped like the model's parameters (and its learned log-variances).
    associatedtype Gradients: Sendable
    /// Which units a settle holds fixed: ``Clamps`` for layered models, ``PCGraphClamps`` for graphs.
    associatedtype Clamping: Sendable

    /// The units of each layer or node the state holds per sample (n₀…n_L, or n_v per graph node).
    var sizes: [Int] { get }
    /// Throws ``PCCoreError/unsupported(_:)`` naming what this model cannot learn with `options`
    /// (a rule, output nudging, a free input, threads) and what would work.
    func checkLearning(_ options: LearningOptions) throws
    /// The engine's buffers of a ``PCWorkspace`` for batches of `batchSize`.
    func makeEngineBuffers(batchSize: Int) throws -> EngineBuffers
    /// Zero gradients shaped like the parameters.
    func makeLearningGradients() throws -> Gradients
    /// An optimiser of `kind` with state for every parameter.
    func makeOptimizer(_ kind: OptimizerKind) throws -> Optimizer<Scalar>
    /// Throws unless `state`, `workspace`, `gradients`, `optimizer` and `clamps` were all made for
    /// this model (the kernels index every buffer by the model's shapes).
    func checkLearningFit(_ state: PCState<Scalar>, _ workspace: PCWorkspace<Self>, _ gradients: Gradients,
                          _ optimizer: Optimizer<Scalar>, _ clamps: Clamping) throws
    /// Settles the free units of `state` on F (the engine's settle: GD, momentum or SeqIL sweeps,
    /// with the shared stopping rule, divergence recovery and best-state swap).
    func settle(_ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>, clamps: Clamping,
                options: InferenceOptions) throws -> InferenceReport
    /// Writes ∂F_B/∂θ (× `scale`) at the current errors into `gradients` (and ∂F_B/∂s of learned precisions).
    func learningGradients(_ state: PCState<Scalar>, workspace: inout PCWorkspace<Self>, into gradients: inout Gradients,
                           scale: Scalar) throws
    /// One optimiser step θ ← update(θ, ∂F_B/∂θ), then, when `precisionLearningRate` > 0, one step
    /// s ← s − α_s ∂F_B/∂s on every learned log-variance.
    mutating func applyLearningStep(_ gradients: Gradients, optimizer: inout Optimizer<Scalar>,
                                    precisionLearningRate: Double) throws

    /// iPC's start: the feedforward state (or, where the engine allows `.keep`, the activities given)
    /// with every rate, prediction and error current.
    func startIncrementalInference(_ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>, clamps: Clamping,
                                   options: InferenceOptions) throws
    /// Refreshes the errors from the current predictions and returns F_B.
    func refreshedEnergy(_ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>) throws -> Double
    /// Writes ∂F/∂x of every free unit at the current state into the workspace.
    func writeActivityGradients(_ state: PCState<Scalar>, workspace: inout PCWorkspace<Self>, clamps: Clamping) throws
    /// x ← x − γ ∂F/∂x on every free unit, from the gradients ``writeActivityGradients(_:workspace:clamps:)``
    /// wrote (predictions not refreshed).
    func descendFreeActivities(_ state: inout PCState<Scalar>, workspace: PCWorkspace<Self>, clamps: Clamping,
                               stepSize: Scalar) throws
    /// Recomputes every rate and prediction from the activities and the current parameters.
    func refreshPredictions(_ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>) throws

    /// Output nudging's start (<doc:LearningRules#Output-nudging>): the feedforward state, then
    /// x_L = (1 − β) μ_L + β y with y the target in x_L.
    func nudgeOutput(_ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>, beta: Scalar) throws
    /// The gradients of an exact rule (``LearningRule/zeroDivergence``, ``LearningRule/fixedPrediction(iterations:stepSize:)``,
    /// ``LearningRule/backprop``) into `gradients`.
    /// - Returns: the loss and the iterations the rule ran.
    func exactGradients(_ rule: LearningRule, _ state: inout PCState<Scalar>, workspace: inout PCWorkspace<Self>,
                        into gradients: inout Gradients) throws -> (loss: Double, iterations: Int)

    /// Threads that settle shards of a batch (``LearningOptions/threads`` > 1), or `nil` when the
    /// engine settles the batch on the caller's thread.
    func makeParallelLearning(batchSize: Int, options: LearningOptions) throws -> ParallelLearning<Scalar>?
    /// IL or SeqIL with the batch in `state` settled in shards on `parallel`'s threads, their
    /// gradients combined into the batch mean in `gradients`, and one optimiser (and precision) step.
    mutating func parallelLearningStep(_ parallel: ParallelLearning<Scalar>, state: PCState<Scalar>, gradients: inout Gradients,
                                       optimizer: inout Optimizer<Scalar>, clamps: Clamping, options: LearningOptions,
                                       inference: InferenceOptions) throws -> BatchResult
}

extension TrainablePCModel {
    /// No threads: the batch settles on the caller's thread.
    public func makeParallelLearning(batchSize: Int, options: LearningOptions) throws -> ParallelLearning<Scalar>? { nil }

    /// Unreachable without ``makeParallelLearning(batchSize:options:)``; throws ``PCCoreError/unsupported(_:)``.
    public mutating func parallelLearningStep(_ parallel: ParallelLearning<Scalar>, state: PCState<Scalar>, gradients: inout Gradients,
                                              optimizer: inout Optimizer<Scalar>, clamps: Clamping, options: LearningOptions,
                                              inference: InferenceOptions) throws -> BatchResult {
        throw PCCoreError.unsupported("threads > 1 are implemented for dense PCNetwork only")
    }
}

/// Per-thread shards of a batch and the pool that settles them (``LearningOptions/threads`` > 1 on a
/// ``PCNetwork``); made by ``TrainablePCModel/makeParallelLearning(batchSize:options:)`` and owned by
/// one ``PCLearner`` (reference storage: do not step copies of one learner from several threads).
public final class ParallelLearning<Scalar: PCScalar>: @unchecked Sendable {
    /// Each thread's rows, state, workspace and gradients.
    let shards: [BatchShard<Scalar>]
    /// The threads that settle the shards.
    let job: ShardJob<Scalar>
    /// Combine + Adam/AdamW on the same threads.
    let shardedAdam: ShardedAdam<Scalar>

    init(shards: [BatchShard<Scalar>], job: ShardJob<Scalar>, shardedAdam: ShardedAdam<Scalar>) {
        self.shards = shards; self.job = job; self.shardedAdam = shardedAdam
    }
}

// MARK: - Layered models (ConvolutionalNetwork, RecurrentNetwork and user models)

extension LayeredPCModel {
    /// IL, SeqIL, iPC, output nudging; Z-IL, FPA and backprop with unit precisions. A free input
    /// (generative training) and threads are implemented for dense ``PCNetwork`` only.
    public func checkLearning(_ options: LearningOptions) throws {
        switch options.rule {
        case .il, .sequential, .ipc: break
        case .zeroDivergence, .backprop, .fixedPrediction: try requireUnitPrecisions("\(options.rule)")
        }
        if case .free = options.input { throw PCCoreError.unsupported("a free input (generative training) is implemented for dense PCNetwork only (its input feeds layer 1 alone, LayeredPCModel.inputFeedback); use input .clamped") }
        guard options.threads == 1 else { throw PCCoreError.unsupported("threads > 1 are implemented for dense PCNetwork only; use threads 1 (got \(options.threads))") }
    }

    public func makeEngineBuffers(batchSize: Int) throws -> LayeredBuffers<Self> { try LayeredBuffers(for: self, batchSize: batchSize) }

    public func makeLearningGradients() throws -> ParameterGradients<Scalar> { try makeGradients() }

    public func makeOptimizer(_ kind: OptimizerKind) throws -> Optimizer<Scalar> { try Optimizer(kind, parametersLike: try makeGradients()) }

    public func checkLearningFit(_ state: PCState<Scalar>, _ workspace: LayeredWorkspace<Self>, _ gradients: ParameterGradients<Scalar>,
                                 _ optimizer: Optimizer<Scalar>, _ clamps: Clamps<Scalar>) throws {
        try checkFit(state, workspace)
        try requireSupervised(clamps)
    }

    public func learningGradients(_ state: PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                                  into gradients: inout ParameterGradients<Scalar>, scale: Scalar) throws {
        try parameterGradients(state, workspace: &workspace, into: &gradients, scale: scale)
    }

    public mutating func applyLearningStep(_ gradients: ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>,
                                           precisionLearningRate: Double) throws {
        try applyGradients(gradients, optimizer: &optimizer)
        if precisionLearningRate > 0 { try updatePrecisions(gradients, learningRate: precisionLearningRate) }
    }

    public func startIncrementalInference(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>,
                                          options: InferenceOptions) throws {
        try feedforward(&state, workspace: &workspace)
    }

    public func refreshedEnergy(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>) throws -> Double {
        try computeErrors(&state, &workspace)
    }

    public func writeActivityGradients(_ state: PCState<Scalar>, workspace: inout LayeredWorkspace<Self>, clamps: Clamps<Scalar>) throws {
        try activityGradients(state, &workspace, clamps: clamps)
    }

    public func descendFreeActivities(_ state: inout PCState<Scalar>, workspace: LayeredWorkspace<Self>, clamps: Clamps<Scalar>,
                                      stepSize: Scalar) throws {
        for l in Swift.stride(from: 1, to: depth, by: 1) { try state.activities[l].add(workspace.buffers.gradients[l], scaledBy: -stepSize) }
    }

    public func refreshPredictions(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>) throws {
        try refreshAll(&state, &workspace)
    }

    public func nudgeOutput(_ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>, beta: Scalar) throws {
        try feedforward(&state, workspace: &workspace)
        blendOutput(&state, depth: depth, beta: beta)
    }

    public func exactGradients(_ rule: LearningRule, _ state: inout PCState<Scalar>, workspace: inout LayeredWorkspace<Self>,
                               into gradients: inout ParameterGradients<Scalar>) throws -> (loss: Double, iterations: Int) {
        switch rule {
        case .zeroDivergence: return (try zeroDivergenceGradients(&state, workspace: &workspace, into: &gradients), depth)
        case .fixedPrediction(let iterations, let stepSize):
            let loss = try fixedPredictionGradients(&state, workspace: &workspace, into: &gradients,
                                                    iterations: iterations ?? depth, stepSize: stepSize)
            return (loss, iterations ?? depth)
        case .backprop: return (try backpropGradients(&state, workspace: &workspace, into: &gradients), 0)
        case .il, .sequential, .ipc: throw PCCoreError.unsupported("rule \(rule) is not an exact rule (zeroDivergence, fixedPrediction, backprop)")
        }
    }

    /// Layered models learn with x₀ and x_L clamped (free and masked outputs are for inference).
    func requireSupervised(_ clamps: Clamps<Scalar>) throws {
        guard case .clamped = clamps.input, case .clamped = clamps.output else {
            throw PCCoreError.unsupported("a layered model learns with its input and output clamped (Clamps.supervised); free and masked outputs are for inference, settle(_:workspace:clamps:options:)")
        }
    }
}

/// x_L ← (1 − β) μ_L + β x_L, x_L holding the target y (output nudging's fixed output).
func blendOutput<Scalar: PCScalar>(_ state: inout PCState<Scalar>, depth L: Int, beta b: Scalar) {
    let n = state.activities[L].count
    let mu = state.predictions[L]
    mu.withUnsafeStorage { pm, _ in
        state.activities[L].withUnsafeMutableStorage { py, _ in
            for i in 0..<n { py[i] = (1 - b) * pm[i] + b * py[i] }
        }
    }
}

// MARK: - Graphs

extension PCGraph: TrainablePCModel {
    /// IL, SeqIL and iPC (graphs have no designated output, so no nudging or exact rule; one thread).
    public func checkLearning(_ options: LearningOptions) throws {
        guard options.rule == .il || options.rule == .sequential || options.rule == .ipc else {
            throw PCCoreError.unsupported("graph learning implements the IL, SeqIL and iPC rules (got \(options.rule))")
        }
        guard options.outputNudging == nil else { throw PCCoreError.unsupported("output nudging is defined for layered networks only") }
        if case .free = options.input { throw PCCoreError.unsupported("a graph's free and clamped nodes are given by PCGraphClamps, not LearningOptions.input; use input .clamped") }
        guard options.threads == 1 else { throw PCCoreError.unsupported("threads > 1 are implemented for dense PCNetwork only; use threads 1 (got \(options.threads))") }
    }

    public func makeEngineBuffers(batchSize: Int) throws -> GraphBuffers<Scalar> { try GraphBuffers(for: self, batchSize: batchSize) }

    public func makeLearningGradients() throws -> PCGraphGradients<Scalar> { try PCGraphGradients(for: self) }

    public func makeOptimizer(_ kind: OptimizerKind) throws -> Optimizer<Scalar> { try Optimizer(kind, for: self) }

    public func checkLearningFit(_ state: PCState<Scalar>, _ workspace: PCGraphWorkspace<Scalar>, _ gradients: PCGraphGradients<Scalar>,
                                 _ optimizer: Optimizer<Scalar>, _ clamps: PCGraphClamps<Scalar>) throws {
        try checkFit(state, workspace, clamps)
        try requireClampedCrossEntropy(clamps)
        try optimizer.checkFits(self, gradients)
    }

    public func learningGradients(_ state: PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                                  into gradients: inout PCGraphGradients<Scalar>, scale: Scalar) throws {
        try parameterGradients(state, workspace: workspace, into: &gradients, scale: scale)
    }

    public mutating func applyLearningStep(_ gradients: PCGraphGradients<Scalar>, optimizer: inout Optimizer<Scalar>,
                                           precisionLearningRate: Double) throws {
        try optimizer.step(&self, gradients: gradients)
        if precisionLearningRate > 0 { try updatePrecisions(gradients, learningRate: precisionLearningRate) }
    }

    /// The feedforward state (acyclic graphs) or the activities given (`.keep`).
    public func startIncrementalInference(_ state: inout PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                                          clamps: PCGraphClamps<Scalar>, options: InferenceOptions) throws {
        try checkFit(state, workspace, clamps)
        switch options.initialization {
        case .feedforward: try feedforward(&state, workspace: &workspace, clamps: clamps)
        case .keep: try refreshAll(&state, &workspace)
        }
    }

    public func refreshedEnergy(_ state: inout PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>) throws -> Double {
        try computeErrors(&state, &workspace)
    }

    public func writeActivityGradients(_ state: PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>, clamps: PCGraphClamps<Scalar>) throws {
        try activityGradients(state, &workspace, clamps: clamps)
    }

    public func descendFreeActivities(_ state: inout PCState<Scalar>, workspace: PCGraphWorkspace<Scalar>,
                                      clamps: PCGraphClamps<Scalar>, stepSize: Scalar) throws {
        for v in nodes.indices where clamps.hasFreeUnits(v) {
            if case .masked(let mask) = clamps.nodes[v] {
                descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: stepSize, mask: mask)
            } else {
                descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: stepSize, mask: nil)
            }
        }
    }

    public func refreshPredictions(_ state: inout PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>) throws {
        try refreshAll(&state, &workspace)
    }

    /// Unsupported (refused by ``checkLearning(_:)``): a graph has no designated output.
    public func nudgeOutput(_ state: inout PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>, beta: Scalar) throws {
        throw PCCoreError.unsupported("output nudging is defined for layered networks only")
    }

    /// Unsupported (refused by ``checkLearning(_:)``): graphs learn with IL, SeqIL and iPC.
    public func exactGradients(_ rule: LearningRule, _ state: inout PCState<Scalar>, workspace: inout PCGraphWorkspace<Scalar>,
                               into gradients: inout PCGraphGradients<Scalar>) throws -> (loss: Double, iterations: Int) {
        throw PCCoreError.unsupported("graph learning implements the IL, SeqIL and iPC rules (got \(rule))")
    }
}
