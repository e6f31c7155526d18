import Foundation
import PCNumerics

/// Options of a training run.
public struct TrainingOptions: Sendable, Hashable, Codable {
    /// Passes over the training set (default 20).
    public var epochs: Int
    /// Samples per batch B (default 64); only full batches are used (the last partial one is dropped).
    public var batchSize: Int
    /// Seed of the per-epoch shuffles (default 0).
    public var seed: UInt64
    /// The learning rule, inference and optimiser.
    public var learning: LearningOptions

    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for non-positive epochs or batch size.
    public init(epochs: Int = 20, batchSize: Int = 64, seed: UInt64 = 0, learning: LearningOptions) throws {
        guard epochs >= 1 else { throw PCCoreError.invalidOption(name: "epochs", reason: "must be at least 1 (got \(epochs))") }
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.learning = learning
    }
}

/// The metrics of one epoch.
public struct EpochMetrics: Sendable, Hashable, Codable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean over batches of the energy at the start of inference (or the loss, for Z-IL, FPA, backprop).
    public var meanEnergy: Double
    /// Mean over batches of the energy after inference.
    public var meanFinalEnergy: Double
    /// Batches whose inference diverged (and recovered).
    public var divergedBatches: Int
    /// Accuracy on the training set, by a feedforward pass (0…1).
    public var trainAccuracy: Double
    /// Accuracy on the test set, by a feedforward pass (0…1), when a test set was given.
    public var testAccuracy: Double?
    /// Wall time of the epoch's training (evaluation excluded), seconds.
    public var seconds: Double
}

/// Progress of a training run, for a progress bar or log lines.
public enum TrainingProgress: Sendable {
    /// A batch finished: epoch (1-based), batch (1-based), batches per epoch.
    case batch(epoch: Int, batch: Int, of: Int)
    /// An epoch finished.
    case epoch(EpochMetrics)
}

/// Trains a network on a data set: epochs of seeded shuffles, full batches, one ``PCLearner`` step per
/// batch, and accuracy by a feedforward pass + argmax after every epoch.
public enum Trainer {
    /// Trains `network` in place.
    /// - Parameters:
    ///   - network: the model; its output size must equal the number of classes.
    ///   - train: the training set (its one-hot targets are the clamped outputs).
    ///   - test: an optional held-out set for the per-epoch test accuracy.
    ///   - options: epochs, batch size, seed and the learning options.
    ///   - optimizer: an optimiser to continue from (e.g. a checkpoint's); a fresh one when `nil`.
    ///   - progress: called after each batch and each epoch.
    /// - Returns: the metrics of every epoch and the optimiser's final state.
    public static func train<Scalar: PCScalar>(_ network: inout PCNetwork<Scalar>, on train: Dataset<Scalar>, test: Dataset<Scalar>? = nil,
                                               options: TrainingOptions, optimizer: Optimizer<Scalar>? = nil,
                                               progress: (TrainingProgress) -> Void = { _ in }) throws -> (epochs: [EpochMetrics], optimizer: Optimizer<Scalar>) {
        guard network.sizes.first == train.featureCount else {
            throw PCCoreError.shapeMismatch(what: "network input", expected: Shape(1, train.featureCount), got: Shape(1, network.sizes[0]))
        }
        guard network.sizes.last! >= train.classCount else {
            throw PCCoreError.shapeMismatch(what: "network output", expected: Shape(1, train.classCount), got: Shape(1, network.sizes.last!))
        }
        let classes = network.sizes.last!
        var learner = try PCLearner(for: network, batchSize: options.batchSize, options: options.learning)
        if let optimizer { learner.optimizer = optimizer }
        // Outputs beyond the data's classes get zero targets.
        let padded = train.classCount == classes ? train : try Dataset(features: train.features, labels: train.labels, classCount: classes)
        let history = try runEpochs(on: padded, test: test, options: options, progress: progress,
                                    step: { try learner.step(&network, input: $0, target: $1) },
                                    accuracy: { try accuracy(network, on: $0) })
        return (history, learner.optimizer)
    }

    /// The epoch loop every trainer shares: per epoch a seeded shuffle of the samples, the full
    /// batches of `train` through `step` (the last partial batch is dropped), then the accuracies by
    /// `accuracy`; `progress` hears every batch and epoch.
    /// - Parameters:
    ///   - train: the training set whose features and targets fill each batch.
    ///   - step: one learning step on a batch's inputs (B × n₀) and targets (B × classes).
    ///   - accuracy: the accuracy of the model as it stands on a data set.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when the batch exceeds the samples;
    ///   what `step` and `accuracy` throw.
    static func runEpochs<Scalar: PCScalar>(on train: Dataset<Scalar>, test: Dataset<Scalar>?, options: TrainingOptions,
                                            progress: (TrainingProgress) -> Void,
                                            step: (Matrix<Scalar>, Matrix<Scalar>) throws -> BatchResult,
                                            accuracy: (Dataset<Scalar>) throws -> Double) throws -> [EpochMetrics] {
        let B = options.batchSize
        guard train.count >= B else {
            throw PCCoreError.invalidOption(name: "batchSize", reason: "\(B) exceeds the \(train.count) training samples")
        }
        var generator = Xoshiro256(seed: options.seed)
        var order = Array(0..<train.count)
        var inputs = try Matrix<Scalar>(rows: B, columns: train.featureCount)
        var targets = try Matrix<Scalar>(rows: B, columns: train.classCount)
        let batches = train.count / B
        var history: [EpochMetrics] = []
        for epoch in 1...options.epochs {
            generator.shuffle(&order)
            let start = DispatchTime.now().uptimeNanoseconds
            var energy = 0.0, finalEnergy = 0.0, diverged = 0
            for b in 0..<batches {
                try train.batch(order[(b * B)..<((b + 1) * B)], inputs: &inputs, targets: &targets)
                let result = try step(inputs, targets)
                energy += result.energy
                finalEnergy += result.finalEnergy
                if result.diverged { diverged += 1 }
                progress(.batch(epoch: epoch, batch: b + 1, of: batches))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            let metrics = EpochMetrics(epoch: epoch, meanEnergy: energy / Double(batches), meanFinalEnergy: finalEnergy / Double(batches),
                                       divergedBatches: diverged, trainAccuracy: try accuracy(train),
                                       testAccuracy: try test.map { try accuracy($0) }, seconds: seconds)
            history.append(metrics)
            progress(.epoch(metrics))
        }
        return history
    }

    /// The fraction of samples whose argmax of the feedforward output equals the label.
    public static func accuracy<Scalar: PCScalar>(_ network: PCNetwork<Scalar>, on data: Dataset<Scalar>) throws -> Double {
        let predicted = try predictedClasses(network, data.features)
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(data.count)
    }

    /// argmax_j of the feedforward output for every row of `features` (n × n₀), in chunks of 256.
    public static func predictedClasses<Scalar: PCScalar>(_ network: PCNetwork<Scalar>, _ features: Matrix<Scalar>) throws -> [Int] {
        try argmaxClasses(of: features) { try network.predict($0) }
    }

    /// argmax_j (the first of equal maxima) of `output(rows)` for every row of `features`, the rows
    /// passed in chunks of 256.
    static func argmaxClasses<Scalar: PCScalar>(of features: Matrix<Scalar>,
                                                 output: (MatrixRows<Scalar>) throws -> Matrix<Scalar>) throws -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(features.rows)
        var start = 0
        while start < features.rows {
            let end = min(start + 256, features.rows)
            let chunk = try output(try features.rows(start..<end))
            for r in 0..<chunk.rows {
                var best = 0
                for j in 1..<chunk.columns where chunk[r, j] > chunk[r, best] { best = j }
                result.append(best)
            }
            start = end
        }
        return result
    }
}
