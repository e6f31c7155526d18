import Testing
import PCCore
import PCNumerics

/// The layered engine against the dense core: a ConvolutionalNetwork made only of dense layers is the
/// same model as a PCNetwork, so settles, IL gradients and Adam steps must agree (Double, ≤ 1e-12).
struct LayeredEngineTests {
    /// A 4-6-5-3 tanh PCNetwork with random biases and the same model as a ConvolutionalNetwork of
    /// dense layers, both with the given precisions (default identity).
    static func pair(output: OutputEnergy, precisions: [PrecisionSpecification]? = nil) throws -> (PCNetwork<Double>, ConvolutionalNetwork<Double>) {
        var rng = Xoshiro256(seed: 17)
        var dense = try PCNetwork<Double>(sizes: [4, 6, 5, 3], activation: .tanh, initializer: .normal(standardDeviation: 0.6),
                                          outputEnergy: output, precisions: precisions, using: &rng)
        for l in dense.layers.indices {
            try dense.setBias(try Vector((0..<dense.layers[l].outputSize).map { _ in rng.normal(standardDeviation: 0.3) }), layer: l)
        }
        let layers = try dense.layers.enumerated().map { l, layer in
            try ConvolutionalLayer<Double>(kind: .dense(inputSize: layer.inputSize, outputSize: layer.outputSize),
                                           inputActivation: l == 0 ? .identity : .tanh, weight: layer.weight, bias: layer.bias)
        }
        return (dense, try ConvolutionalNetwork(layers: layers, outputEnergy: output, precisions: precisions))
    }

    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func denseChainMatchesPCNetwork(output: OutputEnergy) throws {
        var (dense, layered) = try Self.pair(output: output)
        let (x, y) = try LayeredChecks.batch(layered, 5, seed: 3)
        let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                           optimizer: .adam(learningRate: 0.01))
        var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
        var layeredLearner = try PCLearner(for: layered, batchSize: 5, options: learning)
        try expectLearnersAgree(&dense, &denseLearner, &layered, &layeredLearner, input: x, target: y)
        #expect(Fixtures.relativeDifference(layered.flatParameters, Fixtures.parameters(dense)) <= 1e-12)
        for l in 1..<3 {
            #expect(Fixtures.relativeDifference(layeredLearner.state.activities[l].elements, denseLearner.state.activities[l].elements) <= 1e-12)
        }
    }

    /// A PCNetwork is itself a LayeredPCModel (one workspace type: InferenceWorkspace is
    /// LayeredWorkspace<PCNetwork>): PCLearner's generic loop on it agrees with PCLearner's
    /// dense engine (its fused kernel where that applies), for IL, SeqIL and iPC with learned precisions.
    @Test(arguments: [LearningRule.il, .sequential, .ipc])
    func pcNetworkOnTheLayeredEngineMatchesTheDenseEngine(rule: LearningRule) throws {
        var rng = Xoshiro256(seed: 29)
        var dense = try PCNetwork<Double>(sizes: [4, 6, 5, 3], activation: .tanh, initializer: .normal(standardDeviation: 0.6),
                                          precisions: [.learnedLogVariance(initial: 0.2), .scalar(1.5), .learnedLogVariance(initial: -0.1)],
                                          using: &rng)
        let initial = dense
        var generic = LayeredView(network: dense)
        let (x, y) = try LayeredChecks.batch(dense, 5, seed: 4)
        let learning = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                           optimizer: .adam(learningRate: 0.01), precisionLearningRate: 0.05)
        var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
        var layeredLearner = try PCLearner(for: generic, batchSize: 5, options: learning)
        try expectLearnersAgree(&dense, &denseLearner, &generic, &layeredLearner, input: x, target: y)
        #expect(Fixtures.relativeDifference(Fixtures.parameters(generic.network), Fixtures.parameters(dense)) <= 1e-12)
        #expect(Fixtures.relativeDifference(Fixtures.parameters(generic.network), Fixtures.parameters(initial)) > 1e-6)
    }

    /// FPA on the layered engine: on a CNN of dense layers it takes the dense network's steps to
    /// 1e-12 (n = L and a partial n = 1, η = 0.5), and on a CNN with convolution and max pooling
    /// η = 1 with L − 1 sweeps gives exactly the backprop gradients (1e-10).
    @Test func fixedPredictionOnTheLayeredEngine() throws {
        for rule in [LearningRule.fixedPrediction(iterations: nil, stepSize: 1), .fixedPrediction(iterations: 1, stepSize: 0.5)] {
            var (dense, layered) = try Self.pair(output: .squaredError)
            let (x, y) = try LayeredChecks.batch(layered, 5, seed: 6)
            let learning = try LearningOptions(rule: rule, optimizer: .sgd(learningRate: 0.1))
            var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
            var layeredLearner = try PCLearner(for: layered, batchSize: 5, options: learning)
            try expectLearnersAgree(&dense, &denseLearner, &layered, &layeredLearner, input: x, target: y)
        }
        var rng = Xoshiro256(seed: 8)
        let cnn = try ConvolutionalNetwork<Double>.digits(channels: 3, hidden: 12, using: &rng)
        let (x, y) = try LayeredChecks.batch(cnn, 4, seed: 9)
        var state = try PCState(for: cnn, batchSize: 4)
        try state.setInput(x); try state.setOutput(y)
        var workspace = try LayeredWorkspace(for: cnn, batchSize: 4)
        var fpa = try cnn.makeGradients(), bp = try cnn.makeGradients()
        let fpaLoss = try cnn.fixedPredictionGradients(&state, workspace: &workspace, into: &fpa, iterations: cnn.depth - 1, stepSize: 1)
        let bpLoss = try cnn.backpropGradients(&state, workspace: &workspace, into: &bp)
        #expect(abs(fpaLoss - bpLoss) <= 1e-12 * abs(bpLoss))
        #expect(Fixtures.relativeDifference(fpa.flattened, bp.flattened) <= 1e-10)
        // Fewer sweeps than L − 1 leave the lowest layers' gradients short of backprop's.
        var short = try cnn.makeGradients()
        _ = try cnn.fixedPredictionGradients(&state, workspace: &workspace, into: &short, iterations: 1, stepSize: 1)
        #expect(Fixtures.relativeDifference(short.flattened, bp.flattened) > 1e-3)
    }

    /// The MQ optimiser (one scale per parameter group, as per dense layer) on the layered engine:
    /// a CNN of dense layers takes the dense network's IL and SeqIL steps to 1e-12, and the
    /// parameters move differently from plain SGD.
    @Test(arguments: [LearningRule.il, .sequential])
    func mqOnTheLayeredEngineMatchesTheDenseEngine(rule: LearningRule) throws {
        var (dense, layered) = try Self.pair(output: .squaredError)
        let initial = dense
        let (x, y) = try LayeredChecks.batch(layered, 5, seed: 5)
        let learning = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                           optimizer: .mq(alpha: 0.05, warmUpSteps: 2))
        var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
        var layeredLearner = try PCLearner(for: layered, batchSize: 5, options: learning)
        try expectLearnersAgree(&dense, &denseLearner, &layered, &layeredLearner, input: x, target: y, steps: 4)
        #expect(Fixtures.relativeDifference(layered.flatParameters, Fixtures.parameters(dense)) <= 1e-12)
        #expect(layeredLearner.optimizer.layerScales.count == 3)
        for (a, b) in zip(layeredLearner.optimizer.layerScales, denseLearner.optimizer.layerScales) { #expect(abs(a - b) <= 1e-12 * abs(b)) }
        #expect(Fixtures.relativeDifference(Fixtures.parameters(dense), Fixtures.parameters(initial)) > 1e-6)
    }

    /// Output nudging (x_L = (1 − β) μ_L + β y held fixed, gradients × 1/β) now runs on the layered
    /// engine too: on a CNN of dense layers and on the generic loop over a PCNetwork it agrees with
    /// the dense engine's, step for step, to 1e-12.
    @Test(arguments: [0.1, 0.5])
    func outputNudgingOnTheLayeredEngineMatchesTheDenseEngine(beta: Double) throws {
        var (dense, layered) = try Self.pair(output: .squaredError)
        var generic = LayeredView(network: dense)
        var denseForGeneric = dense
        let (x, y) = try LayeredChecks.batch(layered, 5, seed: 3)
        let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                           optimizer: .adam(learningRate: 0.01), outputNudging: beta)
        var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
        var layeredLearner = try PCLearner(for: layered, batchSize: 5, options: learning)
        try expectLearnersAgree(&dense, &denseLearner, &layered, &layeredLearner, input: x, target: y)
        #expect(Fixtures.relativeDifference(layered.flatParameters, Fixtures.parameters(dense)) <= 1e-12)
        var secondDense = try PCLearner(for: denseForGeneric, batchSize: 5, options: learning)
        var genericLearner = try PCLearner(for: generic, batchSize: 5, options: learning)
        try expectLearnersAgree(&denseForGeneric, &secondDense, &generic, &genericLearner, input: x, target: y)
        // Nudging changed the step: the clamped run ends elsewhere.
        var (clamped, _) = try Self.pair(output: .squaredError)
        var clampedLearner = try PCLearner(for: clamped, batchSize: 5, options: try LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15), optimizer: .adam(learningRate: 0.01)))
        for _ in 0..<3 { try clampedLearner.step(&clamped, input: x, target: y) }
        #expect(Fixtures.relativeDifference(Fixtures.parameters(clamped), Fixtures.parameters(dense)) > 1e-6)
    }
}
