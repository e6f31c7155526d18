#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Testing
import PCCore
import PCNumerics
import _PCTestSupport
import _PCAllocationCounter

/// Many-to-one recurrent PC networks: finite differences of every PC gradient, backprop through time
/// against finite differences, Z-IL = backprop over 8 steps (PCCore article LearningRules), no allocation per inference iteration.
struct RecurrentNetworkTests {
    /// T steps of 3 features → 5 hidden units → 4 outputs, non-zero biases.
    func smallRNN(steps: Int = 8, activation: Activation = .tanh, output: OutputEnergy = .squaredError,
                  seed: UInt64 = 4) throws -> RecurrentNetwork<Double> {
        var rng = Xoshiro256(seed: seed)
        func matrix(_ r: Int, _ c: Int, _ sd: Double) throws -> Matrix<Double> {
            try Matrix(rows: r, columns: c, initializer: .normal(standardDeviation: sd), using: &rng)
        }
        func vector(_ n: Int) throws -> Vector<Double> { try Vector((0..<n).map { _ in rng.normal(standardDeviation: 0.3) }) }
        return try RecurrentNetwork<Double>(steps: steps, activation: activation, inputWeight: matrix(5, 3, 0.6),
                                            recurrentWeight: matrix(5, 5, 0.5), hiddenBias: vector(5),
                                            outputWeight: matrix(4, 5, 0.6), outputBias: vector(4), outputEnergy: output)
    }

    @Test func architectureIsValidated() throws {
        var rng = Xoshiro256(seed: 0)
        let network = try RecurrentNetwork<Double>(steps: 8, inputSize: 8, hiddenSize: 16, outputSize: 10, using: &rng)
        #expect(network.sizes == [64] + [Int](repeating: 16, count: 8) + [10])
        #expect(network.depth == 9)
        #expect(network.parameterCount == 16 * 8 + 16 * 16 + 16 + 10 * 16 + 10)
        #expect(throws: PCCoreError.self) { try RecurrentNetwork<Double>(steps: 0, inputSize: 8, hiddenSize: 16, outputSize: 10, using: &rng) }
        #expect(throws: PCCoreError.self) {
            try RecurrentNetwork<Double>(steps: 2, inputWeight: Matrix(rows: 4, columns: 3), recurrentWeight: Matrix(rows: 3, columns: 3),
                                         hiddenBias: nil, outputWeight: Matrix(rows: 2, columns: 4), outputBias: nil)
        }
    }

    /// The feedforward pass is the recurrence h_t = W_h φ(h_{t−1}) + W_x u_t + b_h, written out directly.
    @Test func feedforwardIsTheRecurrence() throws {
        let network = try smallRNN(steps: 4)
        let (x, _) = try LayeredChecks.batch(network, 2, seed: 9)
        let output = try network.predictedOutputs(x)
        for i in 0..<2 {
            var h = [Double](repeating: 0, count: 5)
            for t in 0..<4 {
                var next = [Double](repeating: 0, count: 5)
                for j in 0..<5 {
                    var s = network.hiddenBias![j]
                    for k in 0..<3 { s += network.inputWeight[j, k] * x[i, 3 * t + k] }
                    if t > 0 { for k in 0..<5 { s += network.recurrentWeight[j, k] * tanh(h[k]) } }
                    next[j] = s
                }
                h = next
            }
            for o in 0..<4 {
                var y = network.outputBias![o]
                for k in 0..<5 { y += network.outputWeight[o, k] * tanh(h[k]) }
                #expect(abs(output[i, o] - y) < 1e-12)
            }
        }
    }

    /// ∂F/∂x_t of every hidden state against finite differences.
    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func activityGradientsMatchFiniteDifferences(output: OutputEnergy) throws {
        let error = try LayeredChecks.activityGradientError(smallRNN(output: output), batch: 3, seed: 12)
        #expect(error < 1e-6, "\(output): \(error)")
    }

    /// ∂F_B/∂θ of the shared weights (summed over time) against finite differences.
    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func parameterGradientsMatchFiniteDifferences(output: OutputEnergy) throws {
        let error = try LayeredChecks.parameterGradientError(smallRNN(output: output), batch: 3, seed: 13)
        #expect(error < 1e-6, "\(output): \(error)")
    }

    /// Backprop through time against finite differences of its loss.
    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func backpropMatchesFiniteDifferences(output: OutputEnergy) throws {
        let error = try LayeredChecks.backpropError(smallRNN(output: output), batch: 3, seed: 14)
        #expect(error < 1e-6, "\(output): \(error)")
    }

    /// Z-IL on a many-to-one RNN over 8 steps: one Z-IL update equals one SGD-backprop update to ≤ 1e-10 relative.
    @Test(arguments: [Activation.tanh, .sigmoid, .relu])
    func zeroDivergenceEqualsBackprop(activation: Activation) throws {
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let r = try LayeredChecks.zeroDivergenceVersusBackprop(smallRNN(activation: activation, output: output), batch: 4, seed: 15)
            #expect(r.change > 1e-4, "the update must be visible")
            #expect(r.parameters <= 1e-10, "\(activation), \(output): parameters differ by \(r.parameters)")
            #expect(r.gradients <= 1e-10, "\(activation), \(output): gradients differ by \(r.gradients)")
        }
    }

    /// The first time step receives a backprop gradient (so Z-IL's equality covers all 8 steps): zeroing u₁
    /// changes ∂L/∂W_x.
    @Test func earliestStepContributes() throws {
        let network = try smallRNN()
        var (x, y) = try LayeredChecks.batch(network, 4, seed: 16)
        let full = try LayeredChecks.gradients(network, x, y, zeroDivergence: false).flat
        for i in 0..<4 { for k in 0..<3 { x[i, k] = 0 } }
        let withoutFirst = try LayeredChecks.gradients(network, x, y, zeroDivergence: false).flat
        #expect(Fixtures.relativeDifference(Array(withoutFirst[0..<15]), Array(full[0..<15])) > 1e-3)
    }

    /// Workspaces (PCCore article EnergyAndInference): no inference iteration allocates (digits RNN, Float, batch 64, 8 steps).
    @Test func inferenceIterationsDoNotAllocate() throws {
        var rng = Xoshiro256(seed: 91)
        let network = try RecurrentNetwork<Float>(steps: 8, inputSize: 8, hiddenSize: 128, outputSize: 10, using: &rng)
        try expectSettleDoesNotAllocate(network, rng: &rng)
    }
}

extension LayeredPCModel where Scalar == Double {
    /// μ_L of the feedforward pass for `input` (allocates; for tests).
    func predictedOutputs(_ input: Matrix<Double>) throws -> Matrix<Double> {
        var state = try PCState(for: self, batchSize: input.rows)
        var workspace = try LayeredWorkspace(for: self, batchSize: input.rows)
        try state.setInput(input)
        try feedforward(&state, workspace: &workspace)
        return state.predictions[depth]
    }
}
