import Foundation
import PCNumerics

extension Trainer {
    /// Trains a ``LayeredPCModel`` (a ``ConvolutionalNetwork``, ``RecurrentNetwork``, or a
    /// ``PCNetwork`` on the layered engine's generic loop) in place on a classification data set:
    /// epochs of seeded shuffles, full batches, one ``PCLearner`` step per batch, and accuracy
    /// by a feedforward pass + argmax after every epoch — the same protocol and metrics as for dense
    /// networks and graphs.
    /// - Parameters:
    ///   - model: its input size n₀ must equal the data's features and its output size the classes.
    ///   - train: the training set (its one-hot targets are the clamped outputs).
    ///   - test: an optional held-out set for the per-epoch test accuracy.
    ///   - options: epochs, batch size, seed and the learning options.
    ///   - optimizer: an optimiser to continue from; a fresh one when `nil`.
    ///   - progress: called after each batch and each epoch.
    /// - Returns: the metrics of every epoch and the optimiser's final state.
    public static func train<Model: LayeredPCModel>(_ model: inout Model, on train: Dataset<Model.Scalar>, test: Dataset<Model.Scalar>? = nil,
                                                    options: TrainingOptions, optimizer: Optimizer<Model.Scalar>? = nil,
                                                    progress: (TrainingProgress) -> Void = { _ in })
    throws -> (epochs: [EpochMetrics], optimizer: Optimizer<Model.Scalar>) {
        guard model.sizes.first == train.featureCount else {
            throw PCCoreError.shapeMismatch(what: "model input", expected: Shape(1, train.featureCount), got: Shape(1, model.sizes[0]))
        }
        let classes = model.sizes.last!
        guard classes == train.classCount else {
            throw PCCoreError.shapeMismatch(what: "model output", expected: Shape(1, train.classCount), got: Shape(1, classes))
        }
        var learner = try PCLearner(for: model, batchSize: options.batchSize, options: options.learning)
        if let optimizer { learner.optimizer = optimizer }
        let history = try runEpochs(on: train, test: test, options: options, progress: progress,
                                    step: { try learner.step(&model, input: $0, target: $1) },
                                    accuracy: { try model.accuracy(on: $0) })
        return (history, learner.optimizer)
    }
}

extension LayeredPCModel {
    /// argmax_j of the feedforward output μ_L for every row of `features` (n × n₀), in chunks of 256
    /// (allocates a state and workspace per chunk size).
    public func predictedClasses(_ features: Matrix<Scalar>) throws -> [Int] {
        try Trainer.argmaxClasses(of: features) { chunk in
            var state = try PCState(for: self, batchSize: chunk.rows)
            var workspace = try LayeredWorkspace(for: self, batchSize: chunk.rows, traceCapacity: 0)
            try state.setInput(chunk)
            try feedforward(&state, workspace: &workspace)
            return state.predictions[depth]
        }
    }

    /// The fraction of samples whose argmax of the feedforward output equals the label.
    public func accuracy(on data: Dataset<Scalar>) throws -> Double {
        let predicted = try predictedClasses(data.features)
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(data.count)
    }
}
