import ArgumentParser
import Foundation
import PCCore
import PCNumerics

/// The learning rules selectable on the command line.
enum RuleArgument: String, ExpressibleByArgument, CaseIterable {
    case il, ipc, seqil, zil, fpa, bp
    var rule: LearningRule {
        switch self {
        case .il: .il
        case .ipc: .ipc
        case .seqil: .sequential
        case .zil: .zeroDivergence
        case .fpa: .fixedPrediction(iterations: nil, stepSize: 1)
        case .bp: .backprop
        }
    }
}

/// The optimisers selectable on the command line.
enum OptimizerArgument: String, ExpressibleByArgument, CaseIterable {
    case sgd, momentum, adam, adamw, mq
}

/// `pcctl train <file.csv | digits>`: trains an MLP with a PC learning rule (or backprop) and reports accuracy.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a predictive-coding MLP on a CSV file or the shipped digits data.",
        discussion: """
        DATA is `digits` (scikit-learn's 8x8 digits, fixed 1437/360 split, pixels/16) or a CSV file \
        with a header (numeric features and a label column: integer classes 0…999, or any text with \
        --labels discover, or the names given by --classes). The test set is --test FILE, else an \
        80/20 split seeded by --seed. --standardize scales each feature to zero mean and unit \
        variance with the training file's statistics (applied to the test file too).
        Defaults are the digits reference: MLP 64-128-128-10 ReLU, batch 64, T = 20, step 0.1, Adam 1e-3.
        """
    )

    @Argument(help: "`digits` or a CSV file.")
    var data: String

    @Option(help: "Learning rule: \(RuleArgument.allCases.map(\.rawValue).joined(separator: "|")).")
    var rule: RuleArgument = .il

    @Option(help: "Epochs.")
    var epochs: Int = 20

    @Option(help: "Seed of the weights and the shuffles.")
    var seed: UInt64 = 0

    @Option(help: "Write the trained network, optimiser state, feature preprocessing and class names to this file (read by `pcctl evaluate`).")
    var checkpoint: String?

    @Option(help: "Batch size.")
    var batchSize: Int = 64

    @Option(help: "Hidden layer sizes, comma-separated.")
    var hidden: String = "128,128"

    @Option(help: "Inference steps T.")
    var steps: Int = 20

    @Option(help: "Inference step size γ.")
    var stepSize: Double = 0.1

    @Option(help: "Optimiser: \(OptimizerArgument.allCases.map(\.rawValue).joined(separator: "|")).")
    var optimizer: OptimizerArgument = .adam

    @Option(help: "Learning rate (MQ: alpha). Default 1e-3.")
    var learningRate: Double = 1e-3

    @Option(help: "Threads that settle parts of each batch (IL, SeqIL).")
    var threads: Int = 1

    @Option(help: "MQ: warm-up batches (η ramps up linearly; 0 = the reference rule).")
    var warmup: Int = 0

    @Option(help: "CSV: the label column, by header name or 0-based index (default: the last column).")
    var labelColumn: String?

    @Option(help: "CSV: multiply every feature by this.")
    var featureScale: Double = 1

    @Option(help: "CSV: the test set (same columns and classes as DATA); without it, 20% of DATA split off by --seed.")
    var test: String?

    @Flag(help: "CSV: standardise every feature with the training set's mean and standard deviation (constant features are only centred).")
    var standardize = false

    @Option(help: "CSV labels: integer (classes 0…999, the default) or discover (any text; the distinct labels, sorted, up to 1,000).")
    var labels: LabelsArgument = .integer

    @Option(help: "CSV: the class names, comma-separated (class i is the i-th; any other label is an error).")
    var classes: String?

    @Flag(help: "Print one JSON object at the end instead of lines.")
    var json = false

    @OptionGroup(title: "Convolutional and recurrent networks")
    var structured: StructuredOptions

    @OptionGroup(title: "Residual networks (--architecture mupc)")
    var residual: ResidualOptions

    func run() throws {
        if structured.architecture == .mupc { return try runResidual() }
        if structured.architecture != .mlp { return try runStructured() }
        let (train, test, preprocessing, classNames) = try loadData()
        let sizes = [train.featureCount] + (try parseHidden()) + [max(train.classCount, test.classCount)]
        var generator = Xoshiro256(seed: seed)
        // Backprop's reference uses softmax cross-entropy; the PC rules a squared-error output (PCCore article DigitsBenchmark, section Reference configuration).
        if rule == .bp, structured.output == .se { throw ValidationError("--rule bp trains the MLP with a softmax cross-entropy output; --output se is for the PC rules") }
        let outputEnergy: OutputEnergy = rule == .bp || structured.output == .ce ? .crossEntropy : .squaredError
        var network = try PCNetwork<Float>(sizes: sizes, activation: .relu, outputEnergy: outputEnergy, using: &generator)
        let optimizerKind = try optimizerKind(allowingMQ: true)
        let learning = try LearningOptions(rule: rule.rule, inference: InferenceOptions(stepSize: stepSize, maxIterations: steps),
                                           optimizer: optimizerKind, threads: threads)
        let options = try TrainingOptions(epochs: epochs, batchSize: batchSize, seed: seed, learning: learning)
        let bar = ProgressBar(enabled: !json && isatty(STDOUT_FILENO) != 0)
        if !json { print("pcctl train \(data): MLP \(sizes.map(String.init).joined(separator: "-")), rule \(rule.rawValue), \(optimizer.rawValue) \(learningRate), T = \(steps), γ = \(stepSize), batch \(batchSize), seed \(seed)") }
        let (history, finalOptimizer) = try Trainer.train(&network, on: train, test: test, options: options,
                                                          progress: progressPrinter(bar))
        if let checkpoint {
            try Checkpoint(network: network, optimizer: finalOptimizer, preprocessing: preprocessing, classNames: classNames).write(to: checkpoint)
            if !json { print("checkpoint written to \(checkpoint)") }
        }
        if json {
            struct Output: Encodable {
                var data: String; var rule: String; var optimizer: String; var learningRate: Double; var sizes: [Int]
                var epochs: [EpochMetrics]; var testAccuracy: Double?; var secondsPerEpoch: Double; var firstEpochSeconds: Double
                var seed: UInt64
            }
            let later = history.dropFirst().map(\.seconds)
            let output = Output(data: data, rule: rule.rawValue, optimizer: optimizer.rawValue, learningRate: learningRate, sizes: sizes,
                                epochs: history, testAccuracy: history.last?.testAccuracy,
                                secondsPerEpoch: later.isEmpty ? history[0].seconds : later.reduce(0, +) / Double(later.count),
                                firstEpochSeconds: history[0].seconds, seed: seed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
    }

    /// The training and test sets as the network sees them, the transform applied to the CSV's raw
    /// features (nil for none and for `digits`) and the class names (nil for integer labels).
    private func loadData() throws -> (Dataset<Float>, Dataset<Float>, FeaturePreprocessing?, [String]?) {
        if data == "digits" {
            guard test == nil, !standardize, classes == nil, labels == .integer else {
                throw ValidationError("--test, --standardize, --labels and --classes are for CSV files; `digits` has its fixed split and scaling")
            }
            let (train, test) = try Digits.split(as: Float.self)
            return (train, test, nil, nil)
        }
        guard featureScale.isFinite && featureScale != 0 else { throw ValidationError("--feature-scale must be finite and non-zero (got \(featureScale))") }
        guard !(standardize && featureScale != 1) else { throw ValidationError("give --standardize or --feature-scale, not both (standardising undoes a common scale)") }
        let column: LabelColumn = labelColumn.map { Int($0).map(LabelColumn.index) ?? .name($0) } ?? .last
        let encoding: LabelEncoding
        if let classes {
            guard labels == .integer else { throw ValidationError("give either --classes or --labels discover, not both") }
            encoding = .declared(classes.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) })
        } else {
            encoding = labels == .discover ? .discovered : .integer
        }
        let table: CSVLoader.Table<Float> = try CSVLoader.loadTable(data, labelColumn: column, labels: encoding)
        var train: Dataset<Float>, testSet: Dataset<Float>
        if let test {
            // The test file's labels must name the training file's classes.
            let held: CSVLoader.Table<Float> = try CSVLoader.loadTable(test, labelColumn: column,
                                                                         labels: encoding == .integer ? .integer : .declared(table.classNames))
            guard held.dataset.featureCount == table.dataset.featureCount else {
                throw ValidationError("--test \(test) has \(held.dataset.featureCount) features; \(data) has \(table.dataset.featureCount)")
            }
            train = table.dataset
            testSet = try Dataset(features: held.dataset.features, labels: held.dataset.labels,
                                  classCount: max(held.dataset.classCount, train.classCount))
            if testSet.classCount > train.classCount {
                train = try Dataset(features: train.features, labels: train.labels, classCount: testSet.classCount)
            }
        } else {
            (train, testSet) = try table.dataset.split(testFraction: 0.2, seed: seed)
        }
        // The checkpoint records the transform, so `pcctl evaluate` applies the same one to raw files.
        let preprocessing: FeaturePreprocessing? = standardize ? .standardization(try FeatureStandardization(fitting: train.features))
            : (featureScale != 1 ? .scale(featureScale) : nil)
        if let preprocessing {
            train = try preprocessing.apply(to: train)
            testSet = try preprocessing.apply(to: testSet)
        }
        return (train, testSet, preprocessing, encoding == .integer ? nil : table.classNames)
    }

    private func parseHidden() throws -> [Int] {
        if hidden.isEmpty { return [] }
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw ValidationError("--hidden must be positive integers separated by commas (got \(hidden))") }
        return sizes.map { $0! }
    }
}

extension Train {
    /// The optimiser `--optimizer` and `--learning-rate` (and `--warmup` for MQ) name.
    func optimizerKind(allowingMQ: Bool) throws -> OptimizerKind {
        switch optimizer {
        case .sgd: return .sgd(learningRate: learningRate)
        case .momentum: return .momentum(learningRate: learningRate, momentum: 0.9)
        case .adam: return .adam(learningRate: learningRate)
        case .adamw: return .adamW(learningRate: learningRate)
        case .mq:
            guard allowingMQ else { throw ValidationError("--optimizer mq is available for the MLP and mupc only") }
            return .mq(alpha: learningRate, warmUpSteps: warmup)
        }
    }

    /// Training progress as text: the bar while batches run, one line per epoch (`indent` first);
    /// nothing with `--json`.
    func progressPrinter(_ bar: ProgressBar, indent: String = "") -> (TrainingProgress) -> Void {
        { [json, epochs] event in
            guard !json else { return }
            switch event {
            case let .batch(epoch, batch, of): bar.update(epoch: epoch, of: epochs, batch: batch, batches: of)
            case let .epoch(m):
                bar.clear()
                print(indent + String(format: "epoch %3d  energy %.4f → %.4f  train %.2f%%  test %.2f%%  %.3f s%@", m.epoch, m.meanEnergy,
                                      m.meanFinalEnergy, 100 * m.trainAccuracy, 100 * (m.testAccuracy ?? .nan), m.seconds,
                                      m.divergedBatches > 0 ? "  (\(m.divergedBatches) diverged)" : ""))
            }
        }
    }
}

/// `pcctl train --labels`.
enum LabelsArgument: String, ExpressibleByArgument, CaseIterable {
    case integer, discover
}

/// A one-line progress bar redrawn with a carriage return (only on a terminal).
final class ProgressBar {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }
    func update(epoch: Int, of epochs: Int, batch: Int, batches: Int) {
        guard enabled else { return }
        let width = 30
        let filled = width * batch / max(batches, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardOutput.write(Data("\repoch \(epoch)/\(epochs) [\(bar)] \(batch)/\(batches)".utf8))
    }
    func clear() {
        guard enabled else { return }
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }
}
