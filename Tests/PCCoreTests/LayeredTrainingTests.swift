import Testing
import PCCore
import PCNumerics

/// Short training runs of the digits CNN and RNN with IL (Float; the full runs are
/// `pcctl train digits --architecture cnn|rnn`). Floors are well above chance (10%) and below what
/// the runs reach (CNN 0.70, RNN 0.78 when written), so a broken gradient, sign or schedule fails them.
struct LayeredTrainingTests {
    /// 640 training images (10 batches of 64) and the 360 test images of the fixed split.
    func data() throws -> (Dataset<Float>, Dataset<Float>) {
        let (train, test) = try Digits.split(as: Float.self)
        return (try train.subset(Array(0..<640)), test)
    }

    @Test func cnnLearnsDigitsWithIL() throws {
        let (train, test) = try data()
        var rng = Xoshiro256(seed: 0)
        var network = try ConvolutionalNetwork<Float>.digits(channels: 8, hidden: 32, using: &rng)
        let before = try network.accuracy(on: test)
        let learning = try LearningOptions(rule: .il, optimizer: .adam(learningRate: 1e-2))
        let (history, _) = try Trainer.train(&network, on: train, test: test,
                                                    options: TrainingOptions(epochs: 6, batchSize: 64, seed: 0, learning: learning))
        let after = history.last!.testAccuracy!
        print("CNN IL: test accuracy \(before) → \(after)")
        #expect(after >= 0.55, "test accuracy \(after)")
        #expect(history.last!.meanEnergy < history[0].meanEnergy)
        #expect(history.allSatisfy { $0.divergedBatches == 0 })
    }

    @Test func rnnLearnsDigitsWithIL() throws {
        let (train, test) = try data()
        var rng = Xoshiro256(seed: 0)
        var network = try RecurrentNetwork<Float>(steps: 8, inputSize: 8, hiddenSize: 64, outputSize: 10,
                                                  outputEnergy: .crossEntropy, using: &rng)
        let before = try network.accuracy(on: test)
        let learning = try LearningOptions(rule: .il, optimizer: .adam(learningRate: 5e-3))
        let (history, _) = try Trainer.train(&network, on: train, test: test,
                                                    options: TrainingOptions(epochs: 6, batchSize: 64, seed: 0, learning: learning))
        let after = history.last!.testAccuracy!
        print("RNN IL: test accuracy \(before) → \(after)")
        #expect(after >= 0.65, "test accuracy \(after)")
        #expect(history.last!.meanEnergy < history[0].meanEnergy)
    }

    /// Rules the layered engine does not implement are refused with a typed error.
    @Test func unsupportedRulesAreRefused() throws {
        var rng = Xoshiro256(seed: 0)
        let network = try RecurrentNetwork<Float>(steps: 2, inputSize: 2, hiddenSize: 3, outputSize: 2, using: &rng)
        #expect(throws: PCCoreError.self) { try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .il, input: .free(priorPrecision: 1))) }
        #expect(throws: PCCoreError.self) { try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .il, threads: 2)) }
        // Output nudging is implemented on the layered engine (LayeredEngineTests).
        #expect(throws: Never.self) { try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .il, outputNudging: 0.1)) }
        // MQ keeps one scale per parameter group on the layered engine (LayeredEngineTests).
        #expect(throws: Never.self) { try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .il, optimizer: .mq(alpha: 0.01))) }
        // FPA is implemented on the layered engine (LayeredEngineTests).
        #expect(throws: Never.self) { try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .fixedPrediction(iterations: nil, stepSize: 1))) }
    }
}
