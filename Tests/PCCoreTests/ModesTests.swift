import Testing
import PCCore
import PCNumerics

/// Generative and associative-memory modes as clamp patterns (PCCore article ModesAndMemory).
struct ModesTests {
    /// Label clamped, image free: generated digits are classified as their label by a backprop MLP.
    @Test func generatedDigitsAreClassifiedAsTheirLabel() throws {
        let (train, _) = try Digits.split(as: Float.self)
        var rng = Xoshiro256(seed: 1)
        var classifier = try PCNetwork<Float>(sizes: [64, 64, 10], activation: .relu, outputEnergy: .crossEntropy, using: &rng)
        _ = try Trainer.train(&classifier, on: train, options: TrainingOptions(epochs: 5, learning: LearningOptions(rule: .backprop)))
        var generator = try PCNetwork<Float>(sizes: [10, 128, 64], activation: .relu, using: &rng)
        var learner = try PCLearner(for: generator, batchSize: 64, options: LearningOptions(rule: .il, optimizer: .adam(learningRate: 3e-3)))
        var images = try Matrix<Float>(rows: 64, columns: 64), labels = try Matrix<Float>(rows: 64, columns: 10)
        var order = Array(0..<train.count)
        for _ in 0..<5 {
            rng.shuffle(&order)
            for b in 0..<(train.count / 64) {
                try train.batch(order[(b * 64)..<((b + 1) * 64)], inputs: &images, targets: &labels)
                try learner.step(&generator, input: labels, target: images)
            }
        }
        let (generated, report) = try generator.generate(from: Matrix<Float>.identity(10))
        // With only the label clamped the feedforward state is the minimum: inference keeps it.
        #expect(report.finalEnergy == 0)
        let predicted = try Trainer.predictedClasses(classifier, generated)
        let correct = zip(predicted, 0..<10).filter { $0 == $1 }.count
        #expect(correct >= 8, "\(correct)/10 generated digits classified as their label: \(predicted)")
    }

    /// 10 stored digits recalled from their top half: the recalled bottom half is nearest to
    /// the right pattern's bottom half, with a small per-pixel error.
    @Test func storedDigitsAreRecalledFromTheirTopHalf() throws {
        let (train, _) = try Digits.split(as: Float.self)
        let n = 10
        let stored = try train.features.rows(0..<n).copy()
        var rng = Xoshiro256(seed: 7)
        var memory = try PCNetwork<Float>(sizes: [8, 64, 64], activation: .tanh, using: &rng)
        var learner = try PCLearner(for: memory, batchSize: n, options: LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: 0.02, maxIterations: 50), input: .free(priorPrecision: 1)))
        var codes = try Matrix<Float>(rows: n, columns: 8)
        var energies: [Double] = []
        for _ in 0..<300 {
            energies.append(try learner.step(&memory, input: codes, target: stored).finalEnergy)
            codes = learner.state.activities[0]
        }
        #expect(energies.last! < 0.2 * energies.first!, "reconstruction energy \(energies.first!) → \(energies.last!)")
        var observed = try Matrix<Float>(rows: n, columns: 64)
        var cue = stored
        for i in 0..<n { for j in 0..<64 { if j < 32 { observed[i, j] = 1 } else { cue[i, j] = 0 } } }
        let (recalled, _, report) = try memory.recall(cue, observed: observed, latent: Matrix(rows: n, columns: 8), priorPrecision: 1,
                                                   options: InferenceOptions(stepSize: 0.02, maxIterations: 5000))
        #expect(!report.diverged)
        var correct = 0
        var squaredError: Float = 0
        for i in 0..<n {
            func bottomDistance(_ s: Int) -> Float { (32..<64).reduce(0) { $0 + (recalled[i, $1] - stored[s, $1]) * (recalled[i, $1] - stored[s, $1]) } }
            if (0..<n).min(by: { bottomDistance($0) < bottomDistance($1) }) == i { correct += 1 }
            squaredError += bottomDistance(i)
            // The observed half stays clamped.
            for j in 0..<32 { #expect(recalled[i, j] == stored[i, j]) }
        }
        #expect(correct >= 9, "\(correct)/10 recalled bottom halves nearest to their own")
        #expect(squaredError / Float(n * 32) < 0.02, "per-pixel MSE \(squaredError / Float(n * 32))")
    }
}
