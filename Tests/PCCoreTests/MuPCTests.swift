import Testing
import PCCore
import PCNumerics
import _PCTestSupport

/// μPC (PCCore article GraphsAndMuPC, section Residual parameterisation): the scalings, O(1) activations and energies at any depth, and training
/// at depth where the standard parameterisation fails.
struct MuPCTests {
    /// a₁ = 1/√D, a_ℓ = 1/√(N·L) with skips (1/√N without), a_L = 1/N; standard: all 1.
    @Test func muPCScalesFollowA9() throws {
        let a = Parameterization.muPC.scales(inputSize: 64, width: 128, weightLayers: 9, residual: true)
        #expect(a.count == 9)
        #expect(a[0] == 1 / 8.0 && a[8] == 1 / 128.0)
        #expect(a[1...7].allSatisfy { $0 == 1 / (128.0 * 9).squareRoot() })
        let plain = Parameterization.muPC.scales(inputSize: 64, width: 128, weightLayers: 9, residual: false)
        #expect(plain[4] == 1 / 128.0.squareRoot())
        #expect(Parameterization.standard.scales(inputSize: 64, width: 128, weightLayers: 9, residual: true) == [Double](repeating: 1, count: 9))
        var rng = Xoshiro256(seed: 1)
        let net = try ResidualNetwork<Double>(ResidualNetworkConfiguration(inputSize: 5, width: 7, hiddenLayers: 3, outputSize: 2), using: &rng)
        // x → z1 (dense), z1 → z2 (dense + skip), z2 → z3 (dense + skip), z3 → y (dense).
        #expect(net.graph.edges.map(\.kind) == [.dense, .dense, .identity, .dense, .identity, .dense])
        #expect(abs(net.graph.edges[0].scale - 1 / 5.0.squareRoot()) < 1e-15 && abs(net.graph.edges[5].scale - 1 / 7.0) < 1e-15)
    }

    /// The RMS of every hidden layer z_ℓ and the energy per sample at initialisation (feedforward
    /// state, output clamped to one-hot digit labels).
    static func initialStatistics(_ parameterization: Parameterization, hiddenLayers: Int) throws -> (rms: [Double], energy: Double, settled: Double) {
        var rng = Xoshiro256(seed: UInt64(hiddenLayers))
        let config = try ResidualNetworkConfiguration(inputSize: 64, width: 64, hiddenLayers: hiddenLayers, outputSize: 10,
                                                      parameterization: parameterization)
        let network = try ResidualNetwork<Double>(config, using: &rng)
        let (train, _) = try Digits.split(as: Double.self)
        let B = 16
        let inputs = try train.features.rows(0..<B), targets = try train.targets.rows(0..<B)
        let hidden = try network.hiddenActivities(inputs)
        let rms = hidden.map { (($0.sumOfSquares) / Double($0.count)).squareRoot() }
        var state = try PCGraphState(for: network.graph, batchSize: B)
        var workspace = try PCGraphWorkspace(for: network.graph, batchSize: B)
        try state.setActivity(network.inputNode, inputs)
        try state.setActivity(network.outputNode, targets)
        let report = try network.graph.settle(&state, workspace: &workspace, clamps: network.supervisedClamps,
                                              options: InferenceOptions(stepSize: 0.1, maxIterations: 2 * hiddenLayers))
        return (rms, report.initialEnergy, report.finalEnergy)
    }

    /// At initialisation every RMS(z_ℓ) ∈ [0.1, 10] and the energy is O(1) as depth grows
    /// 8 → 128 with μPC; the same check fails for the standard parameterisation at depth 128.
    @Test func muPCKeepsActivationsAndEnergiesOrderOneWithDepth() throws {
        func orderOne(_ s: (rms: [Double], energy: Double, settled: Double)) -> Bool {
            s.rms.allSatisfy { (0.1...10).contains($0) } && (0.05...10).contains(s.energy) && (0...10).contains(s.settled)
        }
        for depth in [8, 16, 32, 64, 128] {
            let mu = try Self.initialStatistics(.muPC, hiddenLayers: depth)
            #expect(orderOne(mu), "μPC depth \(depth): RMS \(mu.rms.min()!)…\(mu.rms.max()!), energy \(mu.energy) → \(mu.settled)")
            #expect(mu.settled <= mu.energy)
        }
        let standard = try Self.initialStatistics(.standard, hiddenLayers: 128)
        #expect(!orderOne(standard))
        #expect(!(standard.rms.last! <= 10), "standard RMS(z_128) = \(standard.rms.last!)")
    }

    /// ∂F/∂x of the residual graph equals the chain rule through the skip:
    /// ∂F/∂z_ℓ = ε_ℓ − ε_{ℓ+1} − a φ′(z_ℓ) ⊙ (ε_{ℓ+1} W_{ℓ+1}) (the activity gradient of PCCore article EnergyAndInference with J = I + a W diag φ′),
    /// checked against finite differences.
    @Test func residualActivityGradientsMatchFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 3)
        let config = try ResidualNetworkConfiguration(inputSize: 4, width: 5, hiddenLayers: 3, outputSize: 2, activation: .tanh)
        let network = try ResidualNetwork<Double>(config, using: &rng)
        var state = try GraphTests.randomState(network.graph, batch: 2, seed: 4)
        let g = try network.graph.activityGradients(of: &state, clamps: network.supervisedClamps)
        let h = 1e-6
        for v in 1...3 {
            for i in 0..<10 {
                var plus = state, minus = state
                plus.activities[v].withUnsafeMutableStorage { p, _ in p[i] += h }
                minus.activities[v].withUnsafeMutableStorage { p, _ in p[i] -= h }
                let numeric = 2 * (try network.graph.freeEnergy(of: &plus) - network.graph.freeEnergy(of: &minus)) / (2 * h)
                #expect(isClose(g[v].elements[i], numeric, rtol: 1e-6, atol: 1e-9))
            }
        }
    }

    /// A small-scale version of the 128-layer run (the full one is `pcctl train digits --architecture
    /// mupc`): at 24 hidden layers of 32, two epochs of IL lift μPC's test accuracy past 80%, while the
    /// standard parameterisation on the same batches stays near chance.
    @Test func muPCTrainsAtDepthWhereStandardStalls() throws {
        let (train, test) = try Digits.split(as: Float.self)
        var accuracy: [Parameterization: Double] = [:]
        for parameterization in [Parameterization.muPC, .standard] {
            var rng = Xoshiro256(seed: 0)
            let config = try ResidualNetworkConfiguration(inputSize: 64, width: 32, hiddenLayers: 24, outputSize: 10,
                                                          parameterization: parameterization)
            var network = try ResidualNetwork<Float>(config, using: &rng)
            let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.5, maxIterations: 24),
                                               optimizer: .adam(learningRate: 0.1))
            let history = try Trainer.train(&network.graph, input: network.inputNode, output: network.outputNode, on: train, test: test,
                                            options: TrainingOptions(epochs: 2, batchSize: 32, seed: 0, learning: learning))
            accuracy[parameterization] = history.last!.testAccuracy!
        }
        #expect(accuracy[.muPC]! >= 0.8, "μPC \(accuracy[.muPC]!)")
        #expect(accuracy[.standard]! <= 0.3, "standard \(accuracy[.standard]!)")
    }
}
