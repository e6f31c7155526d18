import Testing
import PCCore
import PCNumerics
import _PCTestSupport
import _PCAllocationCounter

/// Convolutional PC networks: finite differences of every PC gradient, Z-IL = backprop (PCCore article LearningRules), no
/// allocation per inference iteration, and a short honest training run on the digits.
struct ConvolutionalNetworkTests {
    /// 1×5×5 → conv 3×3 (2 filters, stride 2, padding 1) → 2×3×3 → pool 2×2 (stride 1) → 2×2×2 → dense 3.
    func smallCNN(_ pooling: Pooling2D.Mode, output: OutputEnergy = .squaredError, activation: Activation = .tanh,
                  seed: UInt64 = 3) throws -> ConvolutionalNetwork<Double> {
        var rng = Xoshiro256(seed: seed)
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 5, inputWidth: 5, outputChannels: 2,
                                     kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        let pool = try Pooling2D(mode: pooling, channels: 2, inputHeight: 3, inputWidth: 3, window: 2, stride: 1)
        var network = try ConvolutionalNetwork<Double>(layers: [
            .convolution(conv, initializer: .normal(standardDeviation: 0.6), using: &rng),
            .pooling(pool, inputActivation: activation),
            .dense(inputSize: pool.outputFeatures, outputSize: 3, inputActivation: activation,
                   initializer: .normal(standardDeviation: 0.6), using: &rng),
        ], outputEnergy: output)
        // Non-zero biases.
        for i in network.layers.indices where network.layers[i].bias != nil {
            let n = network.layers[i].bias!.count
            try network.setParameters(layer: i, weight: network.layers[i].weight,
                                      bias: Vector((0..<n).map { _ in rng.normal(standardDeviation: 0.3) }))
        }
        return network
    }

    /// A deeper chain: conv (padding 1) → max pool → conv (stride 2) → average pool → dense → dense.
    func deeperCNN(output: OutputEnergy = .squaredError) throws -> ConvolutionalNetwork<Double> {
        var rng = Xoshiro256(seed: 5)
        let c1 = try Convolution2D(inputChannels: 2, inputHeight: 6, inputWidth: 6, outputChannels: 3, kernelHeight: 3, kernelWidth: 3, padding: 1)
        let p1 = try Pooling2D(mode: .max, channels: 3, inputHeight: 6, inputWidth: 6, window: 2)
        let c2 = try Convolution2D(inputChannels: 3, inputHeight: 3, inputWidth: 3, outputChannels: 2, kernelHeight: 2, kernelWidth: 2, stride: 1)
        let p2 = try Pooling2D(mode: .average, channels: 2, inputHeight: 2, inputWidth: 2, window: 2)
        return try ConvolutionalNetwork<Double>(layers: [
            .convolution(c1, initializer: .normal(standardDeviation: 0.5), using: &rng),
            .pooling(p1, inputActivation: .tanh),
            .convolution(c2, inputActivation: .sigmoid, initializer: .normal(standardDeviation: 0.5), using: &rng),
            .pooling(p2, inputActivation: .tanh),
            .dense(inputSize: 2, outputSize: 4, initializer: .normal(standardDeviation: 0.5), using: &rng),
            .dense(inputSize: 4, outputSize: 3, inputActivation: .tanh, initializer: .normal(standardDeviation: 0.5), using: &rng),
        ], outputEnergy: output)
    }

    @Test func architectureIsValidated() throws {
        var rng = Xoshiro256(seed: 0)
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 4, inputWidth: 4, outputChannels: 2, kernelHeight: 3, kernelWidth: 3)
        #expect(throws: PCCoreError.self) {
            try ConvolutionalNetwork<Double>(layers: [.convolution(conv, using: &rng), .dense(inputSize: 9, outputSize: 2, using: &rng)])
        }
        #expect(throws: PCCoreError.self) {
            try ConvolutionalLayer<Double>(kind: .convolution(conv), weight: Matrix(rows: 2, columns: 8), bias: nil)
        }
        let network = try ConvolutionalNetwork<Double>(layers: [.convolution(conv, using: &rng), .dense(inputSize: 8, outputSize: 2, using: &rng)])
        #expect(network.sizes == [16, 8, 2])
        #expect(network.parameterCount == 2 * 9 + 2 + 8 * 2 + 2)
    }

    /// ∂F/∂x of every hidden node (through conv, pooling and dense adjoints) against finite differences.
    @Test(arguments: [Pooling2D.Mode.average, .max])
    func activityGradientsMatchFiniteDifferences(pooling: Pooling2D.Mode) throws {
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let error = try LayeredChecks.activityGradientError(smallCNN(pooling, output: output), batch: 3, seed: 21)
            #expect(error < 1e-6, "\(pooling), \(output): \(error)")
        }
        // Six layers of products: finite differences of F (≈ 10) carry a little more rounding.
        let deep = try LayeredChecks.activityGradientError(deeperCNN(), batch: 2, seed: 22)
        #expect(deep < 1e-5, "deeper CNN: \(deep)")
    }

    /// ∂F_B/∂θ (conv weights and biases, dense weights and biases) against finite differences.
    @Test(arguments: [Pooling2D.Mode.average, .max])
    func parameterGradientsMatchFiniteDifferences(pooling: Pooling2D.Mode) throws {
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let error = try LayeredChecks.parameterGradientError(smallCNN(pooling, output: output), batch: 3, seed: 31)
            #expect(error < 1e-6, "\(pooling), \(output): \(error)")
        }
        let deep = try LayeredChecks.parameterGradientError(deeperCNN(output: .crossEntropy), batch: 2, seed: 32)
        #expect(deep < 1e-6, "deeper CNN: \(deep)")
    }

    /// The backprop reference against finite differences of its own loss.
    @Test(arguments: [Pooling2D.Mode.average, .max])
    func backpropMatchesFiniteDifferences(pooling: Pooling2D.Mode) throws {
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let error = try LayeredChecks.backpropError(smallCNN(pooling, output: output), batch: 3, seed: 41)
            #expect(error < 1e-6, "\(pooling), \(output): \(error)")
        }
        #expect(try LayeredChecks.backpropError(deeperCNN(), batch: 2, seed: 42) < 1e-6)
    }

    /// Z-IL on a CNN (conv → pool → dense): one Z-IL update equals one SGD-backprop update to ≤ 1e-10 relative.
    @Test(arguments: [Pooling2D.Mode.average, .max], [Activation.tanh, .relu])
    func zeroDivergenceEqualsBackprop(pooling: Pooling2D.Mode, activation: Activation) throws {
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let r = try LayeredChecks.zeroDivergenceVersusBackprop(smallCNN(pooling, output: output, activation: activation), batch: 4, seed: 51)
            #expect(r.change > 1e-4, "the update must be visible")
            #expect(r.parameters <= 1e-10, "\(pooling), \(activation), \(output): parameters differ by \(r.parameters)")
            #expect(r.gradients <= 1e-10, "\(pooling), \(activation), \(output): gradients differ by \(r.gradients)")
        }
        let deep = try LayeredChecks.zeroDivergenceVersusBackprop(deeperCNN(output: .crossEntropy), batch: 3, seed: 52)
        #expect(deep.parameters <= 1e-10 && deep.gradients <= 1e-10, "deeper CNN: \(deep)")
    }

    /// Z-IL needs all L steps: stopping the error one layer short leaves the first convolution's gradient at zero,
    /// unlike backprop's (so the equality above is not vacuous).
    @Test func backpropGradientReachesTheFirstConvolution() throws {
        let network = try smallCNN(.max)
        let (x, y) = try LayeredChecks.batch(network, 4, seed: 61)
        let bp = try LayeredChecks.gradients(network, x, y, zeroDivergence: false).flat
        let firstConvolution = bp[0..<(network.layers[0].weight!.count)]
        #expect(firstConvolution.map(abs).max()! > 1e-3)
    }

    /// Settling with a small step never raises F (gradient flow), and lowers it.
    @Test func settlingLowersTheEnergy() throws {
        let network = try deeperCNN()
        let (x, y) = try LayeredChecks.batch(network, 3, seed: 71)
        var state = try PCState(for: network, batchSize: 3)
        var workspace = try LayeredWorkspace(for: network, batchSize: 3)
        try state.setInput(x); try state.setOutput(y)
        let report = try network.settle(&state, workspace: &workspace, options: InferenceOptions(stepSize: 0.05, maxIterations: 60))
        for (a, b) in zip(report.energies, report.energies.dropFirst()) { #expect(b <= a + 1e-12) }
        #expect(report.finalEnergy < 0.7 * report.initialEnergy)
        #expect(try network.freeEnergy(of: &state) == report.finalEnergy)
    }

    /// Workspaces (PCCore article EnergyAndInference): no inference iteration allocates (digits CNN, Float, batch 64, average and max pooling).
    @Test(arguments: [Pooling2D.Mode.average, .max])
    func inferenceIterationsDoNotAllocate(pooling: Pooling2D.Mode) throws {
        var rng = Xoshiro256(seed: 81)
        let network = try ConvolutionalNetwork<Float>.digits(pooling: pooling, using: &rng)
        try expectSettleDoesNotAllocate(network, rng: &rng)
    }
}
