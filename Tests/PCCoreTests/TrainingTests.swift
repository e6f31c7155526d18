import Testing
import PCCore
import PCNumerics

/// Training end to end: the digits reference configuration learns, and runs are reproducible.
struct TrainingTests {
    /// Four epochs of PC-IL on the digits (MLP 64-128-128-10 ReLU, batch 64, T = 20, γ = 0.1,
    /// Adam 1e-3) already classify the held-out set well (the 20-epoch run reaches ≥ 97%).
    @Test func digitsILLearnsInFourEpochs() throws {
        let (train, test) = try Digits.split(as: Float.self)
        var rng = Xoshiro256(seed: 0)
        var network = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu, using: &rng)
        let before = try Trainer.accuracy(network, on: test)
        let options = try TrainingOptions(epochs: 4, batchSize: 64, seed: 0, learning: LearningOptions(rule: .il))
        var batches = 0
        let (history, optimizer) = try Trainer.train(&network, on: train, test: test, options: options) { event in
            if case .batch = event { batches += 1 }
        }
        #expect(batches == 4 * (1437 / 64))
        #expect(optimizer.stepCount == 4 * 22)
        #expect(history.count == 4)
        #expect(history[3].meanEnergy < history[0].meanEnergy)
        #expect(history.allSatisfy { $0.meanFinalEnergy < $0.meanEnergy }, "inference lowers the energy")
        #expect(before < 0.3)
        #expect(history[3].testAccuracy! >= 0.88, "test accuracy \(history[3].testAccuracy!)")
    }

    @Test func sameSeedSameNetwork() throws {
        let all: Dataset<Double> = try Digits.load()
        let small = try all.subset(Array(0..<96))
        func run(_ rule: LearningRule) throws -> PCNetwork<Double> {
            var rng = Xoshiro256(seed: 4)
            var network = try PCNetwork<Double>(sizes: [64, 16, 10], activation: .tanh, using: &rng)
            let options = try TrainingOptions(epochs: 2, batchSize: 32, seed: 9, learning: LearningOptions(
                rule: rule, inference: InferenceOptions(maxIterations: 5)))
            _ = try Trainer.train(&network, on: small, options: options)
            return network
        }
        for rule in [LearningRule.il, .ipc, .sequential] {
            let a = try run(rule), b = try run(rule)
            #expect(a == b, "\(rule)")
        }
        #expect(try run(.il) != run(.ipc))
    }
}
