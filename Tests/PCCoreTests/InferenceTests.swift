import Testing
import PCCore
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

/// Inference against closed forms and invariants (PCCore article EnergyAndInference).
struct InferenceTests {
    /// Linear equilibrium: GD inference on a deep linear network reaches F* = (1/2B) Σ rᵢᵀ S⁻¹ rᵢ,
    /// S = I/λ + Σ_{ℓ=2..L} P_ℓ P_ℓᵀ, P_ℓ = W_L⋯W_ℓ, rᵢ = yᵢ − W_L⋯W₁ xᵢ.
    @Test(arguments: [(2, UInt64(1)), (3, 2), (4, 3), (6, 4)])
    func deepLinearNetworkReachesClosedFormEnergy(depth: Int, seed: UInt64) throws {
        var rng = Xoshiro256(seed: seed)
        let sizes = (0...depth).map { _ in 3 + rng.nextInt(below: 4) }
        let lambda = 2.0
        var precisions = [PrecisionSpecification](repeating: .identity, count: depth)
        precisions[depth - 1] = .scalar(lambda)
        let network = try PCNetwork<Double>(sizes: sizes, activation: .identity, bias: false,
                                            initializer: .normal(standardDeviation: 0.5), precisions: precisions, using: &rng)
        let B = 5
        var state = try Fixtures.randomState(network, batch: B, seed: seed + 100)
        var workspace = try InferenceWorkspace(for: network, batchSize: B)
        let options = try InferenceOptions(stepSize: 0.05, maxIterations: 30000, tolerance: 1e-15)
        let report = try network.settle(&state, workspace: &workspace, options: options)
        #expect(!report.diverged)

        // The closed form.
        let W = network.layers.map(\.weight)
        func product(_ from: Int) throws -> Matrix<Double> {  // W_L ⋯ W_from (1-based)
            var p = W[depth - 1]
            for l in stride(from: depth - 1, through: from, by: -1) { p = try p.multiplied(by: W[l - 1]) }
            return p
        }
        var S = try Matrix<Double>.identity(sizes[depth])
        S.scale(by: 1 / lambda)
        if depth >= 2 {
            for l in 2...depth {
                let P = try product(l)
                try S.add(P.multiplied(by: P, transposeOther: true))
            }
        }
        let full = try product(1)
        var R = state.activities[depth]
        try R.add(state.activities[0].multiplied(by: full, transposeOther: true), scaledBy: -1)
        var Z = R.transposed
        try Cholesky(S).solve(&Z)
        var closedForm = 0.0
        for i in 0..<B { for j in 0..<sizes[depth] { closedForm += R[i, j] * Z[j, i] } }
        closedForm /= 2 * Double(B)
        assertClose(report.finalEnergy, closedForm, rtol: 1e-8, atol: 1e-12, "depth \(depth)")
        assertClose(try network.freeEnergy(of: &state), closedForm, rtol: 1e-8, atol: 1e-12)
    }

    /// Smooth activations only: with ReLU, F is piecewise quadratic and a step across a kink may rise.
    @Test(arguments: [Activation.tanh, .sigmoid, .softplus, .gelu])
    func energyNeverIncreasesWithASmallStep(activation: Activation) throws {
        var rng = Xoshiro256(seed: 21)
        let network = try PCNetwork<Double>(sizes: [4, 6, 6, 6, 3], activation: activation,
                                            initializer: .normal(standardDeviation: 0.6), using: &rng)
        var state = try Fixtures.randomState(network, batch: 8, seed: 22)
        var workspace = try InferenceWorkspace(for: network, batchSize: 8)
        for method in [InferenceMethod.gradientDescent, .sequential] {
            let report = try network.settle(&state, workspace: &workspace,
                                            options: InferenceOptions(stepSize: 0.05, maxIterations: 200, method: method))
            #expect(report.energies.count == 201)
            for t in 1..<report.energies.count {
                #expect(report.energies[t] <= report.energies[t - 1] + 1e-12, "\(method) rose at step \(t)")
            }
            #expect(report.energies.last! < 0.99 * report.energies.first!, "\(method) barely moved")
        }
    }

    /// Feedforward start: with the output free, the feedforward state has every ε = 0, so inference does not move it.
    @Test func feedforwardStateIsAFixedPointWithTheOutputFree() throws {
        var rng = Xoshiro256(seed: 31)
        let network = try PCNetwork<Double>(sizes: [5, 7, 6, 4], activation: .tanh, using: &rng)
        var state = try Fixtures.randomState(network, batch: 6, seed: 32)
        var workspace = try InferenceWorkspace(for: network, batchSize: 6)
        try network.feedforward(&state, workspace: &workspace, clamps: .outputFree)
        let before = state.activities
        let report = try network.settle(&state, workspace: &workspace, clamps: .outputFree,
                                        options: InferenceOptions(stepSize: 0.1, maxIterations: 1))
        #expect(report.iterations == 1)
        #expect(report.energies == [0, 0])
        for l in 0...network.depth { #expect(state.activities[l] == before[l], "layer \(l) moved") }
    }

    /// Sequential inference: from the feedforward state, one SeqIL sweep reaches every hidden layer; one synchronous
    /// GD step changes only x_{L−1}.
    @Test func sequentialInferenceReachesEveryLayerInOneSweep() throws {
        var rng = Xoshiro256(seed: 41)
        let network = try PCNetwork<Double>(sizes: [3, 5, 5, 5, 2], activation: .tanh, using: &rng)
        for method in [InferenceMethod.sequential, .gradientDescent] {
            var state = try Fixtures.randomState(network, batch: 4, seed: 42)
            var workspace = try InferenceWorkspace(for: network, batchSize: 4)
            try network.feedforward(&state, workspace: &workspace)
            let start = state.activities
            try network.settle(&state, workspace: &workspace, options: InferenceOptions(maxIterations: 1, method: method))
            for l in 1..<network.depth {
                let moved = state.activities[l] != start[l]
                #expect(moved == (method == .sequential || l == network.depth - 1), "\(method), layer \(l)")
            }
        }
    }

    /// A step far past 2/λ_max makes GD diverge: detected, the best state restored and reported.
    @Test func divergenceIsDetectedAndTheBestStateRestored() throws {
        var rng = Xoshiro256(seed: 51)
        let network = try PCNetwork<Double>(sizes: [3, 6, 6, 2], activation: .identity, initializer: .normal(standardDeviation: 1), using: &rng)
        var state = try Fixtures.randomState(network, batch: 4, seed: 52)
        var workspace = try InferenceWorkspace(for: network, batchSize: 4)
        let report = try network.settle(&state, workspace: &workspace, options: InferenceOptions(stepSize: 5, maxIterations: 100))
        #expect(report.diverged)
        #expect(report.iterations < 100)
        let best = report.energies.filter(\.isFinite).min()!
        assertClose(report.finalEnergy, best, rtol: 1e-12, atol: 0)
        assertClose(try network.freeEnergy(of: &state), best, rtol: 1e-12, atol: 0)
        #expect(state.activities.allSatisfy { $0.isFinite })
    }

    @Test func toleranceStopsEarly() throws {
        var rng = Xoshiro256(seed: 61)
        let network = try PCNetwork<Double>(sizes: [3, 5, 2], activation: .tanh, using: &rng)
        var state = try Fixtures.randomState(network, batch: 4, seed: 62)
        var workspace = try InferenceWorkspace(for: network, batchSize: 4)
        let report = try network.settle(&state, workspace: &workspace,
                                        options: InferenceOptions(stepSize: 0.1, maxIterations: 10_000, tolerance: 1e-6))
        #expect(report.converged)
        #expect(report.iterations < 10_000)
        let (last, previous) = (report.energies[report.energies.count - 1], report.energies[report.energies.count - 2])
        #expect(abs(last - previous) <= 1e-6 * abs(previous))
    }

    /// Workspaces: no inference iteration allocates (digits-sized Float network, every method).
    @Test func inferenceIterationsDoNotAllocate() throws {
        var rng = Xoshiro256(seed: 71)
        let network = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu, using: &rng)
        let input = try Matrix<Float>(rows: 64, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng)
        let target = try Matrix<Float>(rows: 64, columns: 10, initializer: .uniform(low: 0, high: 1), using: &rng)
        var state = try PCState(for: network, batchSize: 64)
        var workspace = try InferenceWorkspace(for: network, batchSize: 64)
        try state.setInput(input)
        try state.setOutput(target)
        try expectSettlesDoNotAllocate(methods: [.gradientDescent, .momentum(0.5), .sequential], iterations: (5, 45)) { options in
            _ = try network.settle(&state, workspace: &workspace, options: options)
        }
    }
}
