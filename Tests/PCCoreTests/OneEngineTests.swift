import Testing
import PCCore
import PCNumerics

/// The one settle on every model: the clamp patterns the dense network had (a free or masked output)
/// now on convolutional and recurrent networks too, checked against finite differences of F and by
/// what a settle does with them; what a model cannot infer is refused by name.
struct OneEngineTests {
    /// A (batch × n) mask of 0s and 1s, about half the entries clamped.
    static func mask(rows: Int, columns: Int, seed: UInt64) throws -> Matrix<Double> {
        var rng = Xoshiro256(seed: seed)
        return try Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in rng.uniform(0, 1) < 0.5 ? 1 : 0 })
    }

    /// ∂F/∂x of a free and of a masked output (and of the hidden layers) on a CNN with max pooling
    /// and on an RNN, against finite differences of B·F_B.
    @Test func freeAndMaskedOutputsMatchFiniteDifferences() throws {
        let cnn = try ConvolutionalNetworkTests().smallCNN(.max)
        let rnn = try RecurrentNetworkTests().smallRNN()
        for (name, error) in [
            ("CNN, free output", try LayeredChecks.activityGradientError(cnn, batch: 3, seed: 61, clamps: .outputFree)),
            ("CNN, masked output", try LayeredChecks.activityGradientError(cnn, batch: 3, seed: 62,
                                                                          clamps: Clamps(output: .masked(Self.mask(rows: 3, columns: 3, seed: 1))))),
            ("RNN, free output", try LayeredChecks.activityGradientError(rnn, batch: 2, seed: 63, clamps: .outputFree)),
            ("RNN, masked output", try LayeredChecks.activityGradientError(rnn, batch: 2, seed: 64,
                                                                          clamps: Clamps(output: .masked(Self.mask(rows: 2, columns: 4, seed: 2))))),
        ] {
            #expect(error < 1e-6, "\(name): \(error)")
        }
    }

    /// A CNN completes a partly observed output by inference: from a perturbed start (`.keep`) the
    /// energy falls, the clamped entries keep their values bit for bit and the free ones move; with
    /// momentum and with SeqIL too.
    @Test(arguments: [InferenceMethod.gradientDescent, .momentum(0.5), .sequential])
    func maskedOutputSettlesOnACNN(method: InferenceMethod) throws {
        let cnn = try ConvolutionalNetworkTests().smallCNN(.max)
        let batch = 4
        var state = try LayeredChecks.randomState(cnn, batch: batch, seed: 71)
        let mask = try Self.mask(rows: batch, columns: 3, seed: 3)
        let before = state.activities[cnn.depth]
        var workspace = try LayeredWorkspace(for: cnn, batchSize: batch)
        let report = try cnn.settle(&state, workspace: &workspace, clamps: Clamps(output: .masked(mask)),
                                    options: InferenceOptions(stepSize: 0.05, maxIterations: 60, method: method, initialization: .keep))
        #expect(report.stop != .diverged)
        #expect(report.finalEnergy < 0.6 * report.energies[0], "\(report.energies.first!) → \(report.finalEnergy)")
        let after = state.activities[cnn.depth]
        var moved = 0
        for i in 0..<mask.count {
            if mask.elements[i] == 1 { #expect(after.elements[i] == before.elements[i]) } else if after.elements[i] != before.elements[i] { moved += 1 }
        }
        #expect(moved == mask.elements.filter { $0 == 0 }.count)
        // The energy the report gives is the state's.
        var check = state
        #expect(abs(try cnn.freeEnergy(of: &check) - report.finalEnergy) <= 1e-12 * max(1, report.finalEnergy))
    }

    /// Patterns a model's energy does not define are refused by name, before anything runs.
    @Test func unsupportedClampsAreRefusedByName() throws {
        let cnn = try ConvolutionalNetworkTests().smallCNN(.max)
        var state = try PCState(for: cnn, batchSize: 2)
        var workspace = try LayeredWorkspace(for: cnn, batchSize: 2)
        #expect(throws: PCCoreError.self) { try cnn.settle(&state, workspace: &workspace, clamps: Clamps(input: .free(priorPrecision: 1))) }
        do {
            _ = try cnn.settle(&state, workspace: &workspace, clamps: Clamps(input: .free(priorPrecision: 1)))
        } catch {
            #expect("\(error)".contains("free input"), "\(error)")
        }
        let ce = try ConvolutionalNetworkTests().smallCNN(.max, output: .crossEntropy)
        #expect(throws: PCCoreError.self) { try ce.settle(&state, workspace: &workspace, clamps: .outputFree) }
        let wrongMask = try Matrix<Double>(rows: 3, columns: 3)
        #expect(throws: PCCoreError.self) { try cnn.settle(&state, workspace: &workspace, clamps: Clamps(output: .masked(wrongMask))) }
    }

    /// The first step after a feedforward start computes only x_{L−1}'s gradient (every hidden error
    /// is zero there): the settle must equal, bit for bit, the same settle started with `.keep` from
    /// the feedforward state, which computes every gradient (CNN, RNN, and a dense network on the
    /// generic kernel with a masked output; GD and momentum).
    @Test(arguments: [InferenceMethod.gradientDescent, .momentum(0.5)])
    func firstStepShortcutIsExact(method: InferenceMethod) throws {
        func check<M: LayeredPCModel>(_ model: M, clamps: Clamps<Double> = .supervised, kernel: InferenceKernel = .automatic) throws where M.Scalar == Double {
            let (x, y) = try LayeredChecks.batch(model, 3, seed: 81)
            var options = try InferenceOptions(stepSize: 0.05, maxIterations: 6, method: method)
            options.kernel = kernel
            var a = try PCState(for: model, batchSize: 3)
            try a.setInput(x); try a.setOutput(y)
            var b = a
            var workspace = try LayeredWorkspace(for: model, batchSize: 3)
            let first = try model.settle(&a, workspace: &workspace, clamps: clamps, options: options)
            try model.feedforward(&b, workspace: &workspace, clamps: clamps)
            options.initialization = .keep
            let second = try model.settle(&b, workspace: &workspace, clamps: clamps, options: options)
            #expect(first.energies == second.energies, "\(M.self)")
            for l in a.activities.indices { #expect(a.activities[l].elements == b.activities[l].elements, "\(M.self), layer \(l)") }
            #expect(first.energies.last! < first.energies.first!, "\(M.self): the settle must move")
        }
        try check(ConvolutionalNetworkTests().smallCNN(.max))
        try check(RecurrentNetworkTests().smallRNN())
        var rng = Xoshiro256(seed: 9)
        let dense = try PCNetwork<Double>(sizes: [4, 6, 6, 5, 3], activation: .tanh, initializer: .normal(standardDeviation: 0.6), using: &rng)
        try check(dense, clamps: .supervised, kernel: .generic)
        try check(dense, clamps: Clamps(output: .masked(Self.mask(rows: 3, columns: 3, seed: 4))), kernel: .generic)
    }
}
