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

    @Flag(help: "mupc: after training, per weight layer: the relative weight change ‖W − W₀‖/‖W₀‖ and the IL gradient norm ‖∂F/∂W‖ on the first training batch, before and after.")
    var layerReport = false
}

/// One weight layer's learning over a run (`pcctl train --architecture mupc --layer-report`).
struct LayerLearning: Encodable {
    /// Weight layer k = 1…H + 1 (1: input → z₁, H + 1: z_H → output).
    var layer: Int
    /// ‖W_end − W₀‖_F / ‖W₀‖_F.
    var relativeChange: Double
    /// ‖∂F/∂W‖_F of one IL step on the first training batch, at initialisation and after training.
    var gradientNormBefore: Double
    var gradientNormAfter: Double
}

extension Train {
    /// Trains the residual MLP x → z₁ → … → z_H → ŷ (PCCore article GraphsAndMuPC, section Residual parameterisation) on the digits with IL on its
    /// PCGraph, for one or both parameterisations, and reports the test accuracy of each.
    /// Recommended μPC settings: `--steps 32 --step-size 0.2 --learning-rate 0.1 --batch-size 16`.
    func runResidual() throws {
        guard data == "digits" else { throw ValidationError("--architecture mupc needs DATA = digits") }
        guard rule == .il else { throw ValidationError("--architecture mupc trains with --rule il (graph learning)") }
        guard residual.depth >= 1 else { throw ValidationError("--depth must be at least 1 (got \(residual.depth))") }
        guard residual.depth <= 4096 else { throw ValidationError("--depth must be at most 4096 (got \(residual.depth))") }
        let width = structured.width ?? 64
        let (train, test) = try Digits.split(as: Float.self)
        let optimizerKind = try optimizerKind(allowingMQ: true)
        let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: stepSize, maxIterations: steps),
                                           optimizer: optimizerKind)
        let options = try TrainingOptions(epochs: epochs, batchSize: batchSize, seed: seed, learning: learning)

        struct Run: Encodable {
            var parameterization: String; var initialHiddenRMS: [Double]; var epochs: [EpochMetrics]; var testAccuracy: Double?
            var secondsPerEpoch: Double; var layers: [LayerLearning]?
        }
        /// ‖∂F/∂W‖_F per weighted edge after one IL step on the first training batch (of a copy).
        func gradientNorms(_ network: ResidualNetwork<Float>) throws -> [Double] {
            var graph = network.graph
            var learner = try PCLearner(for: graph, batchSize: batchSize, options: learning)
            var inputs = try Matrix<Float>(rows: batchSize, columns: train.featureCount)
            var targets = try Matrix<Float>(rows: batchSize, columns: train.classCount)
            try train.batch(Array(0..<batchSize)[...], inputs: &inputs, targets: &targets)
            try learner.state.setActivity(network.inputNode, inputs)
            try learner.state.setActivity(network.outputNode, targets)
            try learner.step(&graph, clamps: network.supervisedClamps)
            return learner.gradients.weights.compactMap { $0.map { Double($0.sumOfSquares).squareRoot() } }
        }
        var runs: [Run] = []
        let bar = ProgressBar(enabled: !json && isatty(STDOUT_FILENO) != 0)
        for parameterization in residual.parameterization.parameterizations {
            let config = try ResidualNetworkConfiguration(inputSize: train.featureCount, width: width, hiddenLayers: residual.depth,
                                                          outputSize: train.classCount, parameterization: parameterization,
                                                          outputEnergy: structured.output == .ce ? .crossEntropy : .squaredError)
            var generator = Xoshiro256(seed: seed)
            var network = try ResidualNetwork<Float>(config, using: &generator)
            // RMS of z₁, z_{H/2} and z_H at initialisation on the first 64 training images.
            let z = try network.hiddenActivities(train.features.rows(0..<min(64, train.count)))
            let rms = [0, residual.depth / 2, residual.depth - 1].map { (Double(z[$0].sumOfSquares) / Double(z[$0].count)).squareRoot() }
            if !json {
                print("pcctl train digits: residual \(train.featureCount)-[\(width)×\(residual.depth)]-\(train.classCount) ReLU, \(config.outputEnergy == .crossEntropy ? "ce" : "se") output, \(parameterization), " +
                      "\(network.graph.parameterCount) parameters, IL, \(optimizer.rawValue) \(learningRate), T = \(steps), γ = \(stepSize), batch \(batchSize), seed \(seed)")
                print(String(format: "  RMS at init: z_1 %.3g, z_%d %.3g, z_%d %.3g", rms[0], residual.depth / 2 + 1, rms[1], residual.depth, rms[2]))
            }
            let initialWeights = network.graph.edges.compactMap(\.weight)
            let gradientsBefore = residual.layerReport ? try gradientNorms(network) : []
            let history = try Trainer.train(&network.graph, input: network.inputNode, output: network.outputNode, on: train, test: test,
                                            options: options, progress: progressPrinter(bar, indent: "  "))
            let seconds = history.map(\.seconds)
            var layers: [LayerLearning]?
            if residual.layerReport {
                let after = try gradientNorms(network)
                let finalWeights = network.graph.edges.compactMap(\.weight)
                layers = (0..<finalWeights.count).map { k in
                    let squared = zip(finalWeights[k].elements, initialWeights[k].elements).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
                    let change = squared.squareRoot() / Double(initialWeights[k].sumOfSquares).squareRoot()
                    return LayerLearning(layer: k + 1, relativeChange: change, gradientNormBefore: gradientsBefore[k], gradientNormAfter: after[k])
                }
                if !json, let layers { printLayerReport(layers) }
            }
            runs.append(Run(parameterization: parameterization == .muPC ? "mupc" : "standard", initialHiddenRMS: rms, epochs: history,
                            testAccuracy: history.last?.testAccuracy, secondsPerEpoch: seconds.reduce(0, +) / Double(seconds.count),
                            layers: layers))
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

extension Train {
    /// The per-layer report as lines: each layer's numbers, then how many layers moved by more than
    /// 1%, 10% and 50% of their initial norm.
    func printLayerReport(_ layers: [LayerLearning]) {
        print("  layer  ‖W−W₀‖/‖W₀‖   ‖∂F/∂W‖ before → after")
        for layer in layers {
            print(String(format: "  %5d  %10.4f   %10.3g → %.3g", layer.layer, layer.relativeChange, layer.gradientNormBefore, layer.gradientNormAfter))
        }
        for threshold in [0.01, 0.1, 0.5] {
            print(String(format: "  layers changed by more than %.0f%%: %d of %d", 100 * threshold,
                         layers.filter { $0.relativeChange > threshold }.count, layers.count))
        }
    }
}
