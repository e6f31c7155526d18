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
        scored as correct when the recalled image is nearest to the right stored image.
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
        var nearest = 0, nearestBottom = 0, baselineBottom = 0
        var bottomError = 0.0
        for i in 0..<patterns {
            func distance(_ a: Matrix<Float>, _ r: Int, _ b: Matrix<Float>, _ s: Int, _ columns: Range<Int>) -> Float {
                columns.reduce(0) { $0 + (a[r, $1] - b[s, $1]) * (a[r, $1] - b[s, $1]) }
            }
            let full = (0..<patterns).min { distance(recalled, i, stored, $0, 0..<64) < distance(recalled, i, stored, $1, 0..<64) }!
            let bottom = (0..<patterns).min { distance(recalled, i, stored, $0, 32..<64) < distance(recalled, i, stored, $1, 32..<64) }!
            // Baseline: the cue itself (bottom half zero), scored like the recall.
            let base = (0..<patterns).min { distance(cue, i, stored, $0, 0..<64) < distance(cue, i, stored, $1, 0..<64) }!
            if full == i { nearest += 1 }
            if bottom == i { nearestBottom += 1 }
            if base == i { baselineBottom += 1 }
            bottomError += Double(distance(recalled, i, stored, i, 32..<64)) / 32
        }
        results["recall_nearest_correct"] = Double(nearest) / Double(patterns)
        results["recall_bottom_half_nearest_correct"] = Double(nearestBottom) / Double(patterns)
        results["recall_bottom_half_mse"] = bottomError / Double(patterns)
        results["baseline_cue_nearest_correct"] = Double(baselineBottom) / Double(patterns)

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            for (k, v) in results.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
        }
    }
}
