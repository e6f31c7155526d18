import ArgumentParser
import Foundation
import PCCore
import PCNumerics

/// The parameterisations `pcctl train --architecture mupc` trains.
enum ParameterizationArgument: String, ExpressibleByArgument, CaseIterable {
    case mupc, standard
    /// μPC, then the standard parameterisation, from the same seed and batches (one report with both).
    case both

    var parameterizations: [Parameterization] {
        switch self {
        case .mupc: [.muPC]
        case .standard: [.standard]
        case .both: [.muPC, .standard]
        }
    }
}

/// `pcctl train` options of the residual (μPC) network.
struct ResidualOptions: ParsableArguments {
    @Option(help: "mupc: hidden layers H (weight layers H + 1).")
    var depth: Int = 128

    @Option(help: "mupc: parameterisation, \(ParameterizationArgument.allCases.map(\.rawValue).joined(separator: "|")) (both: the two from the same seed and batches).")
    var parameterization: ParameterizationArgument = .mupc
}

extension Train {
    /// Trains the residual MLP x → z₁ → … → z_H → ŷ (PCCore article GraphsAndMuPC, section Residual parameterisation) on the digits with IL on its
    /// PCGraph, for one or both parameterisations, and reports the test accuracy of each.
    /// Recommended μPC settings: `--steps 32 --step-size 0.2 --learning-rate 0.1 --batch-size 16`.
    func runResidual() throws {
        guard data == "digits" else { throw ValidationError("--architecture mupc needs DATA = digits") }
        guard rule == .il else { throw ValidationError("--architecture mupc trains with --rule il (graph learning)") }
        guard residual.depth >= 1 else { throw ValidationError("--depth must be at least 1 (got \(residual.depth))") }
        let width = structured.width ?? 64
        let (train, test) = try Digits.split(as: Float.self)
        let optimizerKind: OptimizerKind = switch optimizer {
        case .sgd: .sgd(learningRate: learningRate)
        case .momentum: .momentum(learningRate: learningRate, momentum: 0.9)
        case .adam: .adam(learningRate: learningRate)
        case .adamw: .adamW(learningRate: learningRate)
        case .mq: .mq(alpha: learningRate, warmUpSteps: warmup)
        }
        let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: stepSize, maxIterations: steps),
                                           optimizer: optimizerKind)
        let options = try TrainingOptions(epochs: epochs, batchSize: batchSize, seed: seed, learning: learning)

        struct Run: Encodable {
            var parameterization: String; var initialHiddenRMS: [Double]; var epochs: [EpochMetrics]; var testAccuracy: Double?
            var secondsPerEpoch: Double
        }
        var runs: [Run] = []
        let bar = ProgressBar(enabled: !json && isatty(STDOUT_FILENO) != 0)
        for parameterization in residual.parameterization.parameterizations {
            let config = try ResidualNetworkConfiguration(inputSize: train.featureCount, width: width, hiddenLayers: residual.depth,
                                                          outputSize: train.classCount, parameterization: parameterization)
            var generator = Xoshiro256(seed: seed)
            var network = try ResidualNetwork<Float>(config, using: &generator)
            // RMS of z₁, z_{H/2} and z_H at initialisation on the first 64 training images.
            let z = try network.hiddenActivities(train.features.rows(0..<min(64, train.count)))
            let rms = [0, residual.depth / 2, residual.depth - 1].map { (Double(z[$0].sumOfSquares) / Double(z[$0].count)).squareRoot() }
            if !json {
                print("pcctl train digits: residual \(train.featureCount)-[\(width)×\(residual.depth)]-\(train.classCount) ReLU, \(parameterization), " +
                      "\(network.graph.parameterCount) parameters, IL, \(optimizer.rawValue) \(learningRate), T = \(steps), γ = \(stepSize), batch \(batchSize), seed \(seed)")
                print(String(format: "  RMS at init: z_1 %.3g, z_%d %.3g, z_%d %.3g", rms[0], residual.depth / 2 + 1, rms[1], residual.depth, rms[2]))
            }
            let history = try Trainer.train(&network.graph, input: network.inputNode, output: network.outputNode, on: train, test: test,
                                            options: options) { event in
                guard !json else { return }
                switch event {
                case let .batch(epoch, batch, of): bar.update(epoch: epoch, of: epochs, batch: batch, batches: of)
                case let .epoch(m):
                    bar.clear()
                    print(String(format: "  epoch %3d  energy %.4f → %.4f  train %.2f%%  test %.2f%%  %.3f s%@", m.epoch, m.meanEnergy,
                                 m.meanFinalEnergy, 100 * m.trainAccuracy, 100 * (m.testAccuracy ?? .nan), m.seconds,
                                 m.divergedBatches > 0 ? "  (\(m.divergedBatches) diverged)" : ""))
                }
            }
            let seconds = history.map(\.seconds)
            runs.append(Run(parameterization: parameterization == .muPC ? "mupc" : "standard", initialHiddenRMS: rms, epochs: history,
                            testAccuracy: history.last?.testAccuracy, secondsPerEpoch: seconds.reduce(0, +) / Double(seconds.count)))
        }
        if !json {
            print("test accuracy after \(epochs) epochs: " + runs.map { "\($0.parameterization) \(String(format: "%.2f%%", 100 * ($0.testAccuracy ?? .nan)))" }.joined(separator: ", "))
        } else {
            struct Output: Encodable {
                var data: String; var architecture: String; var depth: Int; var width: Int; var rule: String; var optimizer: String
                var learningRate: Double; var steps: Int; var stepSize: Double; var batchSize: Int; var seed: UInt64; var runs: [Run]
            }
            let output = Output(data: data, architecture: "mupc", depth: residual.depth, width: width, rule: "il", optimizer: optimizer.rawValue,
                                learningRate: learningRate, steps: steps, stepSize: stepSize, batchSize: batchSize, seed: seed, runs: runs)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            // The standard parameterisation at depth overflows: report inf/nan as strings.
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
    }
}
