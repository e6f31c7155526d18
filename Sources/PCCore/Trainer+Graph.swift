import Foundation
import PCNumerics

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
        var learner = try PCLearner(for: graph, batchSize: options.batchSize, options: options.learning)
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
