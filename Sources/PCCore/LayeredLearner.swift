import PCNumerics

/// Trains a ``LayeredPCModel`` (a ``ConvolutionalNetwork`` or ``RecurrentNetwork``) one batch at a
/// time: owns the batch's state, workspace, gradients and the optimiser, all sized once.
///
/// Rules: ``LearningRule/il`` (settle with gradient descent, momentum or SeqIL sweeps, then ∂F_B/∂θ
/// at the final state, and a step of ``LearningOptions/precisionLearningRate`` on learned
/// precisions), ``LearningRule/sequential`` (SeqIL), ``LearningRule/ipc`` (iPC), ``LearningRule/zeroDivergence`` (Z-IL, equal
/// to backprop) and ``LearningRule/backprop`` (these two need unit precisions).
///
/// ```swift
/// var learner = try LayeredLearner(for: cnn, batchSize: 64, options: LearningOptions(rule: .il))
/// let result = try learner.step(&cnn, input: images, target: onehot)
/// ```
public struct LayeredLearner<Model: LayeredPCModel>: Sendable {
    public typealias Scalar = Model.Scalar
    /// The options every step uses.
    public let options: LearningOptions
    /// The optimiser and its state.
    public var optimizer: Optimizer<Scalar>
    /// The state of the last batch.
    public var state: PCState<Scalar>
    /// Scratch memory.
    public var workspace: LayeredWorkspace<Model>
    /// The gradients of the last step.
    public var gradients: ParameterGradients<Scalar>

    /// A learner for `model` and batches of exactly `batchSize` samples.
    /// - Throws: ``PCCoreError/unsupported(_:)`` for rules other than IL, SeqIL, iPC, Z-IL and backprop,
    ///   for Z-IL or backprop on a model with precisions, for output nudging or the MQ optimiser.
    public init(for model: Model, batchSize: Int, options: LearningOptions) throws {
        switch options.rule {
        case .il, .sequential, .ipc: break
        case .zeroDivergence, .backprop: try model.requireUnitPrecisions("\(options.rule)")
        default: throw PCCoreError.unsupported("rule \(options.rule) is implemented for dense PCNetwork only (use il, sequential, ipc, zeroDivergence or backprop)")
        }
        guard options.outputNudging == nil else { throw PCCoreError.unsupported("output nudging is implemented for dense PCNetwork only") }
        var options = options
        if options.rule == .sequential { options.inference.method = .sequential }
        self.options = options
        gradients = try model.makeGradients()
        optimizer = try Optimizer(options.optimizer, parametersLike: gradients)
        state = try PCState(for: model, batchSize: batchSize)
        workspace = try LayeredWorkspace(for: model, batchSize: batchSize, traceCapacity: max(options.inference.maxIterations, 64))
    }

    /// One learning step on a batch.
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
        let result: BatchResult
        switch options.rule {
        case .zeroDivergence:
            let loss = try model.zeroDivergenceGradients(&state, workspace: &workspace, into: &gradients)
            result = BatchResult(energy: loss, finalEnergy: loss, iterations: model.depth, diverged: false)
        case .backprop:
            let loss = try model.backpropGradients(&state, workspace: &workspace, into: &gradients)
            result = BatchResult(energy: loss, finalEnergy: loss, iterations: 0, diverged: false)
        case .ipc:
            return try incremental(&model)
        default:
            let report = try model.settle(&state, workspace: &workspace, options: options.inference)
            try model.parameterGradients(state, workspace: &workspace, into: &gradients)
            result = BatchResult(energy: report.initialEnergy, finalEnergy: report.finalEnergy,
                                 iterations: report.iterations, diverged: report.diverged)
        }
        try model.applyGradients(gradients, optimizer: &optimizer)
        if options.precisionLearningRate > 0 && (options.rule == .il || options.rule == .sequential) {
            try model.updatePrecisions(gradients, learningRate: options.precisionLearningRate)
        }
        return result
    }

    /// iPC (<doc:LearningRules#Incremental-PC>): from the feedforward state, T times: ∂F/∂x and
    /// ∂F/∂θ from the same snapshot, then x ← x − γ ∂F/∂x for the hidden layers, one optimiser step
    /// on θ (and one precision step), and every prediction refreshed with the new parameters.
    private mutating func incremental(_ model: inout Model) throws -> BatchResult {
        let L = model.depth
        let gamma = Scalar(options.inference.stepSize)
        try model.feedforward(&state, workspace: &workspace)
        var first = 0.0, last = 0.0
        for t in 0...options.inference.maxIterations {
            let energy = try model.computeErrors(&state, &workspace)
            if t == 0 { first = energy }
            last = energy
            if t == options.inference.maxIterations { break }
            try model.activityGradients(state, &workspace)
            try model.parameterGradients(state, workspace: &workspace, into: &gradients)
            for l in Swift.stride(from: 1, to: L, by: 1) { try state.activities[l].add(workspace.buffers.gradients[l], scaledBy: -gamma) }
            try model.applyGradients(gradients, optimizer: &optimizer)
            if options.precisionLearningRate > 0 { try model.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
            try model.refreshAll(&state, &workspace)
        }
        return BatchResult(energy: first, finalEnergy: last, iterations: options.inference.maxIterations, diverged: !last.isFinite)
    }
}
