import ArgumentParser
import Foundation
import PCCore
import PCNumerics

/// The network families `pcctl train` builds.
enum ArchitectureArgument: String, ExpressibleByArgument, CaseIterable {
    /// The dense MLP (`--hidden`).
    case mlp
    /// Digits as 1×8×8 images: conv 3×3 → pool 2×2 → dense → output.
    case cnn
    /// Digits read row by row: 8 steps of 8 features into a many-to-one recurrent network.
    case rnn
    /// A residual MLP of `--depth` hidden layers of `--width` with μPC or the standard parameterisation (TrainResidual.swift).
    case mupc
}

/// Pooling of the CNN.
enum PoolingArgument: String, ExpressibleByArgument, CaseIterable { case average, max }

/// Output energy: squared error or softmax cross-entropy.
enum OutputArgument: String, ExpressibleByArgument, CaseIterable { case se, ce }

/// `pcctl train` options of the convolutional and recurrent architectures.
struct StructuredOptions: ParsableArguments {
    @Option(help: "Architecture: \(ArchitectureArgument.allCases.map(\.rawValue).joined(separator: "|")) (cnn and rnn need DATA = digits; the CNN trains stably with --step-size 0.05 --learning-rate 3e-3).")
    var architecture: ArchitectureArgument = .mlp

    @Option(help: "CNN: convolution filters.")
    var channels: Int = 16

    @Option(help: "CNN: pooling, \(PoolingArgument.allCases.map(\.rawValue).joined(separator: "|")).")
    var pooling: PoolingArgument = .average

    @Option(help: "CNN: units of the dense hidden layer (default 64); RNN: hidden state size (default 128).")
    var width: Int?

    @Option(help: "Output energy, se|ce (default: ce for the RNN and for bp, se for the PC rules on the MLP, CNN and mupc).")
    var output: OutputArgument?
}

extension Train {
    /// Trains the digits CNN or RNN (`--architecture cnn|rnn`) with IL, Z-IL or backprop.
    func runStructured() throws {
        guard data == "digits" else { throw ValidationError("--architecture \(structured.architecture.rawValue) needs DATA = digits (8×8 images)") }
        guard [.il, .zil, .bp].contains(rule) else { throw ValidationError("--architecture \(structured.architecture.rawValue) supports --rule il|zil|bp") }
        let (train, test) = try Digits.split(as: Float.self)
        var generator = Xoshiro256(seed: seed)
        // Cross-entropy for backprop (as for the MLP) and for the RNN, whose IL training with a
        // squared-error output peaks near 91% and then drifts; squared error for the PC CNN.
        let defaultOutput: OutputArgument = rule == .bp || structured.architecture == .rnn ? .ce : .se
        let outputEnergy: OutputEnergy = (structured.output ?? defaultOutput) == .ce ? .crossEntropy : .squaredError
        let optimizerKind = try optimizerKind(allowingMQ: false)
        let learning = try LearningOptions(rule: rule.rule, inference: InferenceOptions(stepSize: stepSize, maxIterations: steps),
                                           optimizer: optimizerKind)
        let options = try TrainingOptions(epochs: epochs, batchSize: batchSize, seed: seed, learning: learning)
        let description: String
        let history: [EpochMetrics]
        let bar = ProgressBar(enabled: !json && isatty(STDOUT_FILENO) != 0)
        let header = { (d: String) in
            if !json { print("pcctl train digits: \(d), rule \(rule.rawValue), \(optimizer.rawValue) \(learningRate), T = \(steps), γ = \(stepSize), batch \(batchSize), seed \(seed)") }
        }
        let report = progressPrinter(bar)
        switch structured.architecture {
        case .cnn:
            let width = structured.width ?? 64
            var network = try ConvolutionalNetwork<Float>.digits(channels: structured.channels, hidden: width,
                                                                 pooling: structured.pooling == .max ? .max : .average,
                                                                 outputEnergy: outputEnergy, using: &generator)
            description = "CNN 1×8×8 → conv3×3 \(structured.channels) → \(structured.pooling.rawValue) pool 2×2 → \(width) → 10 ReLU, \(outputEnergy == .crossEntropy ? "ce" : "se") output, \(network.parameterCount) parameters"
            header(description)
            history = try Trainer.train(&network, on: train, test: test, options: options, progress: report).epochs
        case .rnn:
            let width = structured.width ?? 128
            var network = try RecurrentNetwork<Float>(steps: 8, inputSize: 8, hiddenSize: width, outputSize: 10,
                                                      outputEnergy: outputEnergy, using: &generator)
            description = "RNN 8 steps × 8 features → \(width) tanh → 10, \(outputEnergy == .crossEntropy ? "ce" : "se") output, \(network.parameterCount) parameters"
            header(description)
            history = try Trainer.train(&network, on: train, test: test, options: options, progress: report).epochs
        case .mlp, .mupc:
            fatalError("unreachable: the MLP and the residual network are trained by Train.run and Train.runResidual")
        }
        if checkpoint != nil, !json { print("note: --checkpoint is written for the MLP only") }
        if json {
            struct Output: Encodable {
                var data: String; var architecture: String; var network: String; var rule: String; var optimizer: String
                var learningRate: Double; var steps: Int; var stepSize: Double; var batchSize: Int
                var epochs: [EpochMetrics]; var testAccuracy: Double?; var secondsPerEpoch: Double; var firstEpochSeconds: Double
                var seed: UInt64
            }
            let later = history.dropFirst().map(\.seconds)
            let output = Output(data: data, architecture: structured.architecture.rawValue, network: description, rule: rule.rawValue,
                                optimizer: optimizer.rawValue, learningRate: learningRate, steps: steps, stepSize: stepSize,
                                batchSize: batchSize, epochs: history, testAccuracy: history.last?.testAccuracy,
                                secondsPerEpoch: later.isEmpty ? history[0].seconds : later.reduce(0, +) / Double(later.count),
                                firstEpochSeconds: history[0].seconds, seed: seed)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
    }
}
