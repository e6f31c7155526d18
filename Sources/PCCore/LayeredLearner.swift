import PCNumerics

/// Trains a ``LayeredPCModel`` (a ``ConvolutionalNetwork`` or ``RecurrentNetwork``) one batch at a
/// time: owns the batch's state, workspace, gradients and the optimiser, all sized once.
///
/// Rules: ``LearningRule/il`` (settle with gradient descent or momentum, then ∂F_B/∂θ at the final
/// state), ``LearningRule/zeroDivergence`` (Z-IL, equal to backprop) and ``LearningRule/backprop``.
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
    /// - Throws: ``PCCoreError/unsupported(_:)`` for rules other than IL, Z-IL and backprop, for
    ///   output nudging, sequential inference or the MQ optimiser.
    public init(for model: Model, batchSize: Int, options: LearningOptions) throws {
        switch options.rule {
        case .il, .zeroDivergence, .backprop: break
        default: throw PCCoreError.unsupported("rule \(options.rule) is implemented for dense PCNetwork only (use il, zeroDivergence or backprop)")
        }
        guard options.outputNudging == nil else { throw PCCoreError.unsupported("output nudging is implemented for dense PCNetwork only") }
        if case .sequential = options.inference.method, options.rule == .il {
            throw PCCoreError.unsupported("sequential inference is implemented for dense PCNetwork only")
        }
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
        default:
            let report = try model.settle(&state, workspace: &workspace, options: options.inference)
            try model.parameterGradients(state, workspace: &workspace, into: &gradients)
            result = BatchResult(energy: report.initialEnergy, finalEnergy: report.finalEnergy,
                                 iterations: report.iterations, diverged: report.diverged)
        }
        try model.applyGradients(gradients, optimizer: &optimizer)
        return result
    }
}
