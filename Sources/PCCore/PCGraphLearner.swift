import Foundation
import PCNumerics

/// Trains a ``PCGraph`` one batch at a time with IL, SeqIL or iPC (<doc:GraphsAndMuPC#Graph-energy>): settle the
/// free units, then one optimiser step on ∂F_B/∂θ at the settled state and, for nodes with a learned
/// precision, one step of rate ``LearningOptions/precisionLearningRate`` on their log-variances. Owns the batch's state,
/// workspace, gradients and optimiser, all sized once.
///
/// ```swift
/// var learner = try PCGraphLearner(for: graph, batchSize: 64, options: LearningOptions(rule: .il))
/// try learner.state.setActivity(0, inputs); try learner.state.setActivity(output, targets)
/// let result = try learner.step(&graph, clamps: PCGraphClamps(nodeCount: graph.nodes.count, clamped: [0, output]))
/// ```
public struct PCGraphLearner<Scalar: PCScalar>: Sendable {
    /// The options every step uses (inference, optimiser, precision learning rate; for the SeqIL
    /// rule the inference method is `.sequential`).
    public let options: LearningOptions
    /// The optimiser and its state.
    public var optimizer: Optimizer<Scalar>
    /// The state of the batch: set the clamped units (and, for `.keep`, the start) before ``step(_:clamps:)``.
    public var state: PCGraphState<Scalar>
    /// Scratch memory.
    public var workspace: PCGraphWorkspace<Scalar>
    /// The gradients of the last step.
    public var gradients: PCGraphGradients<Scalar>

    /// A learner for `graph` and batches of exactly `batchSize` samples.
    /// - Throws: ``PCCoreError/unsupported(_:)`` for a rule other than IL, SeqIL or iPC, or output nudging (graphs have no
    ///   designated output), ``PCCoreError/invalidOption(name:reason:)`` for bad sizes or optimiser settings.
    public init(for graph: PCGraph<Scalar>, batchSize: Int, options: LearningOptions) throws {
        guard options.rule == .il || options.rule == .sequential || options.rule == .ipc else {
            throw PCCoreError.unsupported("graph learning implements the IL, SeqIL and iPC rules (got \(options.rule))")
        }
        guard options.outputNudging == nil else { throw PCCoreError.unsupported("output nudging is defined for layered networks only") }
        var options = options
        if options.rule == .sequential { options.inference.method = .sequential }
        self.options = options
        optimizer = try Optimizer(options.optimizer, for: graph)
        state = try PCGraphState(for: graph, batchSize: batchSize)
        workspace = try PCGraphWorkspace(for: graph, batchSize: batchSize, traceCapacity: max(options.inference.maxIterations, 64))
        gradients = try PCGraphGradients(for: graph)
    }

    /// One IL step on the batch in ``state``.
    /// - Parameters:
    ///   - graph: updated in place (masked weights never change).
    ///   - clamps: the role of each node (e.g. input and target clamped).
    /// - Returns: F_B before and after inference, the iterations and whether inference diverged.
    @discardableResult
    public mutating func step(_ graph: inout PCGraph<Scalar>, clamps: PCGraphClamps<Scalar>) throws -> BatchResult {
        if options.rule == .ipc { return try incremental(&graph, clamps: clamps) }
        let report = try graph.settle(&state, workspace: &workspace, clamps: clamps, options: options.inference)
        try graph.parameterGradients(state, workspace: workspace, into: &gradients)
        try optimizer.step(&graph, gradients: gradients)
        if options.precisionLearningRate > 0 { try graph.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
        return BatchResult(energy: report.initialEnergy, finalEnergy: report.finalEnergy,
                           iterations: report.iterations, diverged: report.diverged)
    }

    /// iPC (<doc:LearningRules#Incremental-PC>) on a graph: from the feedforward state (acyclic) or
    /// the activities given (`.keep`), T times: ∂F/∂x and ∂F/∂θ from the same snapshot, then the
    /// free units step down their gradient, one optimiser step on θ (and one precision step), and
    /// every rate and prediction is refreshed.
    private mutating func incremental(_ graph: inout PCGraph<Scalar>, clamps: PCGraphClamps<Scalar>) throws -> BatchResult {
        try graph.checkFit(state, workspace, clamps)
        switch options.inference.initialization {
        case .feedforward: try graph.feedforward(&state, workspace: &workspace, clamps: clamps)
        case .keep: try graph.refreshAll(&state, &workspace)
        }
        let gamma = Scalar(options.inference.stepSize)
        var first = 0.0, last = 0.0
        for t in 0...options.inference.maxIterations {
            let energy = graph.computeErrors(&state, &workspace)
            if t == 0 { first = energy }
            last = energy
            if t == options.inference.maxIterations { break }
            try graph.activityGradients(state, &workspace, clamps: clamps)
            try graph.parameterGradients(state, workspace: workspace, into: &gradients)
            for v in graph.nodes.indices where clamps.hasFreeUnits(v) {
                if case .masked(let mask) = clamps.nodes[v] {
                    descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: gamma, mask: mask)
                } else {
                    descendFreeUnits(&state.activities[v], gradient: workspace.buffers.gradients[v], stepSize: gamma, mask: nil)
                }
            }
            try optimizer.step(&graph, gradients: gradients)
            if options.precisionLearningRate > 0 { try graph.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
            try graph.refreshAll(&state, &workspace)
        }
        return BatchResult(energy: first, finalEnergy: last, iterations: options.inference.maxIterations, diverged: !last.isFinite)
    }
}

extension PCGraph {
    /// The feedforward prediction of node `output` with node `input` clamped to `inputs` and every
    /// other node free (the feedforward start on an acyclic graph); allocates.
    /// - Parameters:
    ///   - inputs: x_input, (B × n_input).
    /// - Returns: x_output = μ_output, (B × n_output).
    /// - Throws: ``PCCoreError/unsupported(_:)`` for a cyclic graph.
    public func predict<M: MatrixOperand>(_ inputs: M, input: Int, output: Int) throws -> Matrix<Scalar> where M.Scalar == Scalar {
        var state = try PCGraphState(for: self, batchSize: inputs.rows)
        var workspace = try PCGraphWorkspace(for: self, batchSize: inputs.rows, traceCapacity: 0)
        try state.setActivity(input, inputs)
        try feedforward(&state, workspace: &workspace, clamps: PCGraphClamps(nodeCount: nodes.count, clamped: [input]))
        return state.activities[output]
    }
}

extension Trainer {
    /// Trains a graph classifier in place: node `input` clamped to the features and node `output` to
    /// the one-hot targets, every other node inferred; IL with a seeded shuffle, full batches, and
    /// test accuracy by a feedforward pass + argmax after every epoch.
    /// - Parameters:
    ///   - graph: an acyclic graph whose `output` node has one unit per class.
    ///   - input: the index of the node the features clamp (n_input = featureCount).
    ///   - output: the index of the node the targets clamp.
    ///   - train: training set; test: optional held-out set.
    ///   - options: epochs, batch size, seed and learning options (IL).
    ///   - progress: called after each batch and each epoch.
    /// - Returns: the metrics of every epoch.
    public static func train<Scalar: PCScalar>(_ graph: inout PCGraph<Scalar>, input: Int, output: Int, on train: Dataset<Scalar>,
                                               test: Dataset<Scalar>? = nil, options: TrainingOptions,
                                               progress: (TrainingProgress) -> Void = { _ in }) throws -> [EpochMetrics] {
        guard graph.nodes.indices.contains(input), graph.nodes.indices.contains(output) else {
            throw PCCoreError.invalidOption(name: "input/output", reason: "nodes \(input), \(output) outside 0..<\(graph.nodes.count)")
        }
        guard graph.nodes[input].size == train.featureCount else {
            throw PCCoreError.shapeMismatch(what: "graph input", expected: Shape(1, train.featureCount), got: Shape(1, graph.nodes[input].size))
        }
        guard graph.nodes[output].size == train.classCount else {
            throw PCCoreError.shapeMismatch(what: "graph output", expected: Shape(1, train.classCount), got: Shape(1, graph.nodes[output].size))
        }
        var learner = try PCGraphLearner(for: graph, batchSize: options.batchSize, options: options.learning)
        let clamps = PCGraphClamps<Scalar>(nodeCount: graph.nodes.count, clamped: [input, output])
        return try runEpochs(on: train, test: test, options: options, progress: progress,
                             step: { inputs, targets in
                                 try learner.state.setActivity(input, inputs)
                                 try learner.state.setActivity(output, targets)
                                 return try learner.step(&graph, clamps: clamps)
                             },
                             accuracy: { try accuracy(graph, input: input, output: output, on: $0) })
    }

    /// The fraction of samples whose argmax of the graph's feedforward output equals the label
    /// (a non-finite output counts as wrong).
    public static func accuracy<Scalar: PCScalar>(_ graph: PCGraph<Scalar>, input: Int, output: Int, on data: Dataset<Scalar>) throws -> Double {
        var correct = 0
        var start = 0
        while start < data.count {
            let end = min(start + 256, data.count)
            let predicted = try graph.predict(try data.features.rows(start..<end), input: input, output: output)
            for r in 0..<predicted.rows {
                var best = 0
                var finite = true
                for j in 0..<predicted.columns {
                    if !predicted[r, j].isFinite { finite = false }
                    if predicted[r, j] > predicted[r, best] { best = j }
                }
                if finite && best == data.labels[start + r] { correct += 1 }
            }
            start = end
        }
        return Double(correct) / Double(data.count)
    }
}
