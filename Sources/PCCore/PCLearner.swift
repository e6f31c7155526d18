import PCNumerics

/// Trains a predictive-coding model one batch at a time with a ``LearningRule``: a ``PCNetwork``, a
/// ``ConvolutionalNetwork``, a ``RecurrentNetwork`` or a ``PCGraph`` (any ``TrainablePCModel``).
/// Owns the batch's state, workspace, gradients and the optimiser, all sized once; no step
/// allocates after the first.
///
/// Rules (<doc:LearningRules>): IL and SeqIL (settle, then one optimiser step on ∂F_B/∂θ at the
/// settled state, and a step of ``LearningOptions/precisionLearningRate`` on learned precisions),
/// iPC (T joint steps on activities and parameters from one snapshot), output nudging, and the
/// exact rules Z-IL, FPA and backprop where the model defines them. What a model cannot learn with
/// is refused when the learner is made, with what would work (``TrainablePCModel/checkLearning(_:)``).
///
/// ```swift
/// var learner = try PCLearner(for: network, batchSize: 64, options: LearningOptions(rule: .il))
/// let result = try learner.step(&network, input: batch, target: onehot)
///
/// var graphLearner = try PCLearner(for: graph, batchSize: 64, options: LearningOptions(rule: .sequential))
/// try graphLearner.state.setActivity(0, inputs); try graphLearner.state.setActivity(output, targets)
/// try graphLearner.step(&graph, clamps: PCGraphClamps(nodeCount: graph.nodes.count, clamped: [0, output]))
/// ```
public struct PCLearner<Model: TrainablePCModel>: Sendable {
    public typealias Scalar = Model.Scalar
    /// The options every step uses (for the SeqIL rule the inference method is `.sequential`).
    public let options: LearningOptions
    /// The optimiser and its state.
    public var optimizer: Optimizer<Scalar>
    /// The state of the last batch (activities, predictions, errors): for ``step(_:clamps:)`` set
    /// the clamped units (and, for `.keep`, the start) first. With `options.threads` > 1 only its
    /// input and target are current (each thread settles its own shard).
    public var state: PCState<Scalar>
    /// Scratch memory.
    public var workspace: PCWorkspace<Model>
    /// The gradients of the last step.
    public var gradients: Model.Gradients
    /// The threads that settle shards of the batch (`options.threads` > 1 on a ``PCNetwork``).
    let parallel: ParallelLearning<Scalar>?

    /// A learner for `model` and batches of exactly `batchSize` samples.
    /// - Throws: ``PCCoreError/unsupported(_:)`` for a rule or option the model does not implement
    ///   (the message says what would work), ``PCCoreError/invalidOption(name:reason:)`` for bad
    ///   sizes or optimiser settings.
    public init(for model: Model, batchSize: Int, options: LearningOptions) throws {
        try model.checkLearning(options)
        var options = options
        if options.rule == .sequential { options.inference.method = .sequential }
        self.options = options
        optimizer = try model.makeOptimizer(options.optimizer)
        state = try PCState(sizes: model.sizes, batchSize: batchSize)
        workspace = try PCWorkspace(for: model, batchSize: batchSize, traceCapacity: max(options.inference.maxIterations, 64))
        gradients = try model.makeLearningGradients()
        parallel = try model.makeParallelLearning(batchSize: batchSize, options: options)
    }

    /// One learning step on the batch in ``state`` with the units `clamps` names held fixed.
    /// - Parameters:
    ///   - model: updated in place (a graph's masked weights never change).
    ///   - clamps: the role of each node (e.g. input and target clamped).
    /// - Returns: F_B before and after inference (or the loss of an exact rule), the iterations and
    ///   whether inference diverged.
    @discardableResult
    public mutating func step(_ model: inout Model, clamps: Model.Clamping) throws -> BatchResult {
        // The kernels and the optimiser index every buffer by the model's shapes: check the model,
        // state, workspace, gradients and optimiser against each other first (O(L)).
        try model.checkLearningFit(state, workspace, gradients, optimizer, clamps)
        switch options.rule {
        case .il, .sequential: return try inferenceLearning(&model, clamps: clamps)
        case .ipc: return try incremental(&model, clamps: clamps)
        case .zeroDivergence, .fixedPrediction, .backprop:
            let (loss, iterations) = try model.exactGradients(options.rule, &state, workspace: &workspace, into: &gradients)
            try model.applyLearningStep(gradients, optimizer: &optimizer, precisionLearningRate: 0)
            return BatchResult(energy: loss, finalEnergy: loss, iterations: iterations, diverged: false)
        }
    }

    /// IL and SeqIL: settle, then one optimiser step on ∂F_B/∂θ (<doc:LearningRules#Inference-learning>),
    /// with optional nudging (<doc:LearningRules#Output-nudging>).
    private mutating func inferenceLearning(_ model: inout Model, clamps: Model.Clamping) throws -> BatchResult {
        var inference = options.inference
        if let parallel, options.outputNudging == nil {
            return try model.parallelLearningStep(parallel, state: state, gradients: &gradients, optimizer: &optimizer,
                                                  clamps: clamps, options: options, inference: inference)
        }
        var scale: Scalar = 1
        if let beta = options.outputNudging {
            // x_L = (1 − β) μ_L + β y, from the feedforward prediction, then held fixed.
            try model.nudgeOutput(&state, workspace: &workspace, beta: Scalar(beta))
            inference.initialization = .keep
            scale = 1 / Scalar(beta)
        }
        let report = try model.settle(&state, workspace: &workspace, clamps: clamps, options: inference)
        try model.learningGradients(state, workspace: &workspace, into: &gradients, scale: scale)
        try model.applyLearningStep(gradients, optimizer: &optimizer, precisionLearningRate: options.precisionLearningRate)
        return BatchResult(energy: report.initialEnergy, finalEnergy: report.finalEnergy,
                           iterations: report.iterations, diverged: report.diverged)
    }

    /// iPC (<doc:LearningRules#Incremental-PC>): from the feedforward state (a graph: or the
    /// activities given, `.keep`), T times: ∂F/∂x and ∂F/∂θ from the same snapshot, then the free
    /// units step down their gradient, one optimiser step on θ (and one precision step), and every
    /// rate and prediction is refreshed with the new parameters.
    private mutating func incremental(_ model: inout Model, clamps: Model.Clamping) throws -> BatchResult {
        let gamma = Scalar(options.inference.stepSize)
        try model.startIncrementalInference(&state, workspace: &workspace, clamps: clamps, options: options.inference)
        var first = 0.0, last = 0.0
        for t in 0...options.inference.maxIterations {
            let energy = try model.refreshedEnergy(&state, workspace: &workspace)
            if t == 0 { first = energy }
            last = energy
            if t == options.inference.maxIterations { break }
            try model.writeActivityGradients(state, workspace: &workspace, clamps: clamps)
            try model.learningGradients(state, workspace: &workspace, into: &gradients, scale: 1)
            try model.descendFreeActivities(&state, workspace: workspace, clamps: clamps, stepSize: gamma)
            try model.applyLearningStep(gradients, optimizer: &optimizer, precisionLearningRate: options.precisionLearningRate)
            try model.refreshPredictions(&state, workspace: &workspace)
        }
        return BatchResult(energy: first, finalEnergy: last, iterations: options.inference.maxIterations, diverged: !last.isFinite)
    }
}

extension PCLearner where Model.Clamping == Clamps<Model.Scalar> {
    /// One learning step on a batch of a layered model (``PCNetwork``, ``ConvolutionalNetwork``,
    /// ``RecurrentNetwork``): x₀ clamped to `input` (or, for a dense network with
    /// ``LearningOptions/input`` `.free`, its start) and x_L to `target`.
    /// - Parameters:
    ///   - model: updated in place.
    ///   - input: x₀, (B × n₀).
    ///   - target: y, (B × n_L) (one-hot labels for classification).
    /// - Returns: energies (or the loss) and the inference outcome.
    @discardableResult
    public mutating func step<I: MatrixOperand, T: MatrixOperand>(_ model: inout Model, input: I, target: T) throws -> BatchResult
    where I.Scalar == Scalar, T.Scalar == Scalar {
        try state.setInput(input)
        try state.setOutput(target)
        return try step(&model, clamps: Clamps(input: options.input))
    }
}

/// Runs the shards of a batch on a persistent ``WorkerPool`` (shard k on thread k, the caller
/// taking shard 0): one handshake per step and no allocation.
class ShardRunner: @unchecked Sendable {
    func run(_ index: Int) {}
}

final class ShardJob<Scalar: PCScalar>: ShardRunner, @unchecked Sendable {
    let shards: [BatchShard<Scalar>]
    let pool: WorkerPool
    /// n_k / B: each shard's weight in the batch mean.
    let weights: [Scalar]
    private var network: PCNetwork<Scalar>?
    private var clamps = Clamps<Scalar>.supervised
    private var options = InferenceOptions.standard

    init(shards: [BatchShard<Scalar>], pool: WorkerPool) {
        self.shards = shards
        self.pool = pool
        let batch = shards.reduce(0) { $0 + $1.rows.count }
        weights = shards.map { Scalar(Double($0.rows.count) / Double(batch)) }
    }

    /// Settles every shard against `network` and writes each shard's gradients.
    func run(_ network: PCNetwork<Scalar>, clamps: Clamps<Scalar>, options: InferenceOptions) {
        self.network = network
        self.clamps = clamps
        self.options = options
        pool.run({ context, index in
            Unmanaged<ShardRunner>.fromOpaque(context!).takeUnretainedValue().run(index)
        }, context: Unmanaged.passUnretained(self as ShardRunner).toOpaque(), count: shards.count)
        self.network = nil
    }

    override func run(_ index: Int) {
        shards[index].run(network!, clamps: clamps, options: options)
    }
}

/// One thread's part of a batch: its rows, state, workspace and gradients.
final class BatchShard<Scalar: PCScalar>: @unchecked Sendable {
    let rows: Range<Int>
    var state: PCState<Scalar>
    var workspace: InferenceWorkspace<Scalar>
    var gradients: ParameterGradients<Scalar>
    /// The last settle's outcome (a summary: keeping the report would hold on to the workspace's
    /// energy trace and make the next settle copy it).
    var summary: (initialEnergy: Double, finalEnergy: Double, iterations: Int, diverged: Bool)?
    var error: Error?

    init(network: PCNetwork<Scalar>, rows: Range<Int>, traceCapacity: Int) throws {
        self.rows = rows
        state = try PCState(for: network, batchSize: rows.count)
        workspace = try InferenceWorkspace(for: network, batchSize: rows.count, traceCapacity: traceCapacity)
        gradients = try ParameterGradients(for: network)
    }

    /// Settles this shard and writes its batch-mean gradients.
    func run(_ network: PCNetwork<Scalar>, clamps: Clamps<Scalar>, options: InferenceOptions) {
        do {
            error = nil
            summary = nil
            let report = try network.settle(&state, workspace: &workspace, clamps: clamps, options: options)
            summary = (report.initialEnergy, report.finalEnergy, report.iterations, report.diverged)
            try network.parameterGradients(state, workspace: workspace, into: &gradients)
        } catch {
            self.error = error
        }
    }
}
