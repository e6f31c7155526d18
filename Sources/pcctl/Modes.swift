import ArgumentParser
import Foundation
import PCCore
import PCNumerics

/// `pcctl modes`: the generative and associative-memory modes on the digits, with their scores.
struct Modes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generative mode (label clamped, image inferred; scored by a backprop classifier) and associative memory (stored digits recalled from their top half).",
        discussion: """
        Generative: a PC network label(10) → 128 → 128 → image(64), ReLU, trained with IL on the digits \
        training split; images generated with each label clamped are classified by a backprop MLP.
        Memory: a PC network latent → hidden → image(64) trained generatively (latent inferred) on the \
        first N training images; each is recalled from its top half (bottom half and latent inferred) and \
        scored as correct when the recalled image is nearest to the right stored image. \
        Softmax memory: the same patterns in a SoftmaxMemory (one latent unit per pattern, μ = W softmax(β z)), \
        stored by IL and recalled from the top half. Graph memory: a fully connected cyclic PCGraph \
        (data ↔ memory, softmax rate on memory) trained with IL on --graph-patterns images, recalled the same way. \
        Each memory reports the whole-image score, the recalled-half-only score and a mean-image-fill baseline.
        """
    )

    @Option(help: "Seeds of the generative models (10 images each).")
    var seeds: Int = 5
    @Option(help: "Epochs of the generative model.")
    var generativeEpochs: Int = 20
    @Option(help: "Stored patterns.")
    var patterns: Int = 100
    @Option(help: "Latent size of the memory network.")
    var latent: Int = 16
    @Option(help: "Hidden size of the memory network.")
    var hidden: Int = 128
    @Option(help: "Training epochs (full-batch steps) of the memory network.")
    var memoryEpochs: Int = 1000
    @Option(help: "Inference steps while training the memory.")
    var memorySteps: Int = 50
    @Option(help: "Inference steps of a recall.")
    var recallSteps: Int = 5000
    @Option(help: "Prior precision of the memory latent.")
    var prior: Double = 1
    @Option(help: "Inference step size of the memory.")
    var memoryStepSize: Double = 0.02
    @Option(help: "Precision of the memory's hidden layer (its output layer has precision 1).")
    var hiddenPrecision: Double = 1
    @Option(help: "Every this many epochs, restart the memory's latents from top-half recall (0: never).")
    var cueTraining: Int = 0
    @Option(help: "Inference steps of that top-half recall during training.")
    var cueSteps: Int = 500
    @Option(help: "Softmax memory: latent units per stored pattern.")
    var softmaxUnitsPerPattern: Int = 1
    @Option(help: "Softmax memory: gain β of the latent's softmax.")
    var softmaxGain: Double = 4
    @Option(help: "Softmax memory: precision λ of the latent's prior.")
    var softmaxPrior: Double = 0.1
    @Option(help: "Softmax memory: α of the starting codes α·eᵢ during storage.")
    var softmaxCode: Double = 2
    @Option(help: "Softmax memory: IL epochs (full-batch weight steps).")
    var softmaxEpochs: Int = 200
    @Option(help: "Softmax memory: inference step size.")
    var softmaxStepSize: Double = 0.1
    @Option(help: "Softmax memory: inference steps of a recall.")
    var softmaxRecallSteps: Int = 2000
    @Option(help: "Seed of the softmax and graph memories' weights.")
    var memorySeed: UInt64 = 0
    @Option(help: "Graph memory: stored patterns.")
    var graphPatterns: Int = 50
    @Option(help: "Graph memory: gain β of the memory node's softmax.")
    var graphGain: Double = 4
    @Option(help: "Graph memory: α of the memory node's starting codes α·eᵢ.")
    var graphCode: Double = 2
    @Option(help: "Graph memory: IL epochs (full-batch steps).")
    var graphEpochs: Int = 300
    @Option(help: "Graph memory: inference steps per training step.")
    var graphSteps: Int = 20
    @Option(help: "Graph memory: Adam learning rate.")
    var graphLearningRate: Double = 0.01
    @Option(help: "Graph memory: inference step size.")
    var graphStepSize: Double = 0.05
    @Option(help: "Graph memory: inference steps of a recall.")
    var graphRecallSteps: Int = 5000
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let (train, test) = try Digits.split(as: Float.self)
        var results: [String: Double] = [:]

        // The backprop classifier that scores generated images.
        var rng = Xoshiro256(seed: 100)
        var classifier = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu, outputEnergy: .crossEntropy, using: &rng)
        _ = try Trainer.train(&classifier, on: train, options: TrainingOptions(epochs: 20, learning: LearningOptions(rule: .backprop)))
        results["classifier_test_accuracy"] = try Trainer.accuracy(classifier, on: test)

        // Generative mode: the label clamped at x₀, the image free at x_L.
        var correct = 0, total = 0
        var generatedEnergy = 0.0
        for seed in 0..<seeds {
            var g = Xoshiro256(seed: UInt64(seed))
            var generator = try PCNetwork<Float>(sizes: [10, 128, 128, 64], activation: .relu, using: &g)
            var learner = try PCLearner(for: generator, batchSize: 64, options: LearningOptions(rule: .il))
            var order = Array(0..<train.count)
            var labels = try Matrix<Float>(rows: 64, columns: 10), images = try Matrix<Float>(rows: 64, columns: 64)
            for _ in 0..<generativeEpochs {
                g.shuffle(&order)
                for b in 0..<(train.count / 64) {
                    try train.batch(order[(b * 64)..<((b + 1) * 64)], inputs: &images, targets: &labels)
                    try learner.step(&generator, input: labels, target: images)
                }
            }
            let (generated, report) = try generator.generate(from: try Matrix<Float>.identity(10))
            generatedEnergy = max(generatedEnergy, report.finalEnergy)
            let predicted = try Trainer.predictedClasses(classifier, generated)
            correct += zip(predicted, 0..<10).filter { $0 == $1 }.count
            total += 10
        }
        results["generated_classified_as_label"] = Double(correct) / Double(total)
        results["generated_images"] = Double(total)
        results["generated_max_final_energy"] = generatedEnergy

        // Associative memory.
        let stored = try train.features.rows(0..<patterns).copy()
        var g = Xoshiro256(seed: 7)
        var memory = try PCNetwork<Float>(sizes: [latent, hidden, 64], activation: .tanh,
                                          precisions: [.scalar(hiddenPrecision), .identity], using: &g)
        var learner = try PCLearner(for: memory, batchSize: patterns, options: LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: memoryStepSize, maxIterations: memorySteps),
            input: .free(priorPrecision: prior)))
        let zeros = try Matrix<Float>(rows: patterns, columns: latent)
        // Each pattern keeps its inferred latent from one epoch to the next (a warm start), so the
        // codes and the weights are learned together.
        var codes = zeros
        var lastEnergy = 0.0
        var observedTop = try Matrix<Float>(rows: patterns, columns: 64)
        for i in 0..<patterns { for j in 0..<32 { observedTop[i, j] = 1 } }
        for epoch in 0..<memoryEpochs {
            if cueTraining > 0, epoch % cueTraining == 0 {
                // Start each pattern's latent where recall from its top half would put it, so that
                // learning shapes the model around the latents recall can find.
                codes = try memory.recall(stored, observed: observedTop, latent: zeros, priorPrecision: prior,
                                          options: InferenceOptions(stepSize: memoryStepSize, maxIterations: cueSteps)).latent
            }
            lastEnergy = try learner.step(&memory, input: codes, target: stored).finalEnergy
            codes = learner.state.activities[0]
        }
        results["memory_training_energy"] = lastEnergy
        var observed = try Matrix<Float>(rows: patterns, columns: 64)
        for i in 0..<patterns { for j in 0..<32 { observed[i, j] = 1 } }
        var cue = stored
        for i in 0..<patterns { for j in 32..<64 { cue[i, j] = 0 } }
        let (recalled, _, recallReport) = try memory.recall(cue, observed: observed, latent: zeros, priorPrecision: prior,
                                              options: InferenceOptions(stepSize: memoryStepSize, maxIterations: recallSteps))
        results["recall_iterations"] = Double(recallReport.iterations)
        results["recall_diverged"] = recallReport.diverged ? 1 : 0
        results["recall_energy_start"] = recallReport.initialEnergy
        results["recall_energy_end"] = recallReport.finalEnergy
        let scores = try RecallScores(recalled: recalled, stored: stored, cue: cue)
        results["recall_nearest_correct"] = scores.whole
        results["recall_bottom_half_nearest_correct"] = scores.recalledHalf
        results["recall_bottom_half_mse"] = scores.recalledHalfMSE
        results["baseline_cue_nearest_correct"] = scores.blankFill
        results["baseline_mean_fill_nearest_correct"] = scores.meanFill

        // Softmax (modern-Hopfield-like) PC memory: one latent unit per pattern, s = softmax(β z),
        // μ = W s; stored by IL from codes α·eᵢ, recalled from the top half with z and the bottom free.
        let units = patterns * softmaxUnitsPerPattern
        var sg = Xoshiro256(seed: 11 &+ memorySeed)
        var softmaxMemory = try SoftmaxMemory<Float>(patternSize: 64, units: units, gain: softmaxGain,
                                                     priorPrecision: softmaxPrior, using: &sg)
        var softmaxCodes = try Matrix<Float>(rows: patterns, columns: units)
        for i in 0..<patterns { softmaxCodes[i, i * softmaxUnitsPerPattern] = Float(softmaxCode) }
        let storage = try softmaxMemory.store(stored, codes: softmaxCodes, options: SoftmaxMemoryStorageOptions(
            epochs: softmaxEpochs, inference: InferenceOptions(stepSize: softmaxStepSize, maxIterations: 20)))
        results["softmax_training_energy"] = storage.energies.last ?? .nan
        var softmaxWorkspace = try SoftmaxMemoryWorkspace(for: softmaxMemory, batchSize: patterns, traceCapacity: softmaxRecallSteps)
        let softmaxReport = try softmaxMemory.recall(cue, observed: observed, workspace: &softmaxWorkspace,
                                                     options: InferenceOptions(stepSize: softmaxStepSize, maxIterations: softmaxRecallSteps))
        results["softmax_recall_energy_start"] = softmaxReport.initialEnergy
        results["softmax_recall_energy_end"] = softmaxReport.finalEnergy
        results["softmax_recall_diverged"] = softmaxReport.diverged ? 1 : 0
        let softmaxScores = try RecallScores(recalled: softmaxWorkspace.data, stored: stored, cue: cue)
        results["softmax_recall_nearest_correct"] = softmaxScores.whole
        results["softmax_recall_bottom_half_nearest_correct"] = softmaxScores.recalledHalf
        results["softmax_recall_bottom_half_mse"] = softmaxScores.recalledHalfMSE

        // Fully connected cyclic graph memory (data ↔ memory, every unit predicting every other).
        try graphMemory(train: train, into: &results)

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            for (k, v) in results.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
        }
    }
}

extension Modes {
    /// The fully connected cyclic graph of ``PCGraph/fullyConnectedMemory(dataSize:memoryUnits:softmaxGain:activation:initializer:using:)``
    /// trained with IL on the first `graphPatterns` training images (data clamped, memory free from
    /// codes α·eᵢ, warm started), then recalled from the top half (bottom half and memory free).
    func graphMemory(train: Dataset<Float>, into results: inout [String: Double]) throws {
        let p = graphPatterns
        let stored = try train.features.rows(0..<p).copy()
        var g = Xoshiro256(seed: 21 &+ memorySeed)
        var graph = try PCGraph<Float>.fullyConnectedMemory(dataSize: 64, memoryUnits: p, softmaxGain: graphGain, using: &g)
        var learner = try PCLearner(for: graph, batchSize: p, options: LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: graphStepSize, maxIterations: graphSteps, initialization: .keep),
            optimizer: .adam(learningRate: graphLearningRate)))
        var codes = try Matrix<Float>(rows: p, columns: p)
        for i in 0..<p { codes[i, i] = Float(graphCode) }
        try learner.state.setActivity(0, stored)
        try learner.state.setActivity(1, codes)
        let training = PCGraphClamps<Float>(nodeCount: 2, clamped: [0])
        var energy = 0.0
        for _ in 0..<graphEpochs { energy = try learner.step(&graph, clamps: training).finalEnergy }
        results["graph_training_energy"] = energy

        var cue = stored, observed = try Matrix<Float>(rows: p, columns: 64)
        for i in 0..<p { for j in 0..<64 { if j < 32 { observed[i, j] = 1 } else { cue[i, j] = 0 } } }
        var state = try PCGraphState(for: graph, batchSize: p)
        var workspace = try PCGraphWorkspace(for: graph, batchSize: p, traceCapacity: graphRecallSteps)
        try state.setActivity(0, cue)
        let report = try graph.settle(&state, workspace: &workspace, clamps: PCGraphClamps([.masked(observed), .free]),
                                      options: InferenceOptions(stepSize: graphStepSize, maxIterations: graphRecallSteps, initialization: .keep))
        results["graph_recall_energy_start"] = report.initialEnergy
        results["graph_recall_energy_end"] = report.finalEnergy
        results["graph_recall_diverged"] = report.diverged ? 1 : 0
        let scores = try RecallScores(recalled: state.activities[0], stored: stored, cue: cue)
        results["graph_patterns"] = Double(p)
        results["graph_recall_nearest_correct"] = scores.whole
        results["graph_recall_bottom_half_nearest_correct"] = scores.recalledHalf
        results["graph_recall_bottom_half_mse"] = scores.recalledHalfMSE
        results["graph_baseline_mean_fill_nearest_correct"] = scores.meanFill
        results["graph_baseline_cue_nearest_correct"] = scores.blankFill
    }
}

/// Scores of a recall from the top half (columns 0..<32 observed, 32..<64 recalled) of P stored
/// 8×8 images: the fraction of recalls nearest (Euclidean) to their own stored image, on the
/// whole image and on the recalled half alone, beside two baselines that involve no memory.
struct RecallScores {
    /// Whole recalled image nearest to the right stored image.
    var whole: Double
    /// Recalled bottom half nearest to the right stored bottom half.
    var recalledHalf: Double
    /// Per-pixel squared error of the recalled half against the right image.
    var recalledHalfMSE: Double
    /// Baseline: the cue with its bottom half blank (zeros), scored on the whole image.
    var blankFill: Double
    /// Baseline: the cue with its bottom half filled by the mean stored image, scored on the whole image.
    var meanFill: Double

    init(recalled: Matrix<Float>, stored: Matrix<Float>, cue: Matrix<Float>) throws {
        let p = stored.rows
        var meanFilled = cue
        for j in 32..<64 {
            let mean = (0..<p).reduce(Float(0)) { $0 + stored[$1, j] } / Float(p)
            for i in 0..<p { meanFilled[i, j] = mean }
        }
        func distance(_ a: Matrix<Float>, _ r: Int, _ s: Int, _ columns: Range<Int>) -> Float {
            columns.reduce(0) { $0 + (a[r, $1] - stored[s, $1]) * (a[r, $1] - stored[s, $1]) }
        }
        func correct(_ a: Matrix<Float>, _ columns: Range<Int>) -> Double {
            Double((0..<p).filter { i in (0..<p).min { distance(a, i, $0, columns) < distance(a, i, $1, columns) }! == i }.count) / Double(p)
        }
        whole = correct(recalled, 0..<64)
        recalledHalf = correct(recalled, 32..<64)
        recalledHalfMSE = (0..<p).reduce(0.0) { $0 + Double(distance(recalled, $1, $1, 32..<64)) } / Double(p * 32)
        blankFill = correct(cue, 0..<64)
        meanFill = correct(meanFilled, 0..<64)
    }
}
