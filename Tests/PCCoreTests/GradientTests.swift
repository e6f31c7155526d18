import Testing
import PCCore
import PCNumerics
import _PCTestSupport

/// Finite differences of F against every analytic gradient (PCCore articles EnergyAndInference and LearningRules).
struct GradientTests {
    /// A 3-layer tanh network with every kind of precision: diagonal, learned (s ≠ 0), scalar.
    func mixedNetwork(output: OutputEnergy = .squaredError) throws -> PCNetwork<Double> {
        var rng = Xoshiro256(seed: 11)
        var network = try PCNetwork<Double>(
            sizes: [3, 4, 5, 2], activation: .tanh, initializer: .normal(standardDeviation: 0.7), outputEnergy: output,
            precisions: [.diagonal([0.5, 1.5, 2, 0.8]), .learnedLogVariance(initial: 0), output == .squaredError ? .scalar(2) : .identity],
            using: &rng)
        // Non-trivial biases and log-variances.
        for l in network.layers.indices {
            try network.setBias(try Vector((0..<network.layers[l].outputSize).map { _ in rng.normal(standardDeviation: 0.3) }), layer: l)
        }
        var precision = network.layers[1].precision
        try precision.setLogVariance(Vector([0.3, -0.2, 0.5, 0.1, -0.4]))
        try network.setPrecision(precision, layer: 1)
        return network
    }

    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func activityGradientsMatchFiniteDifferences(output: OutputEnergy) throws {
        let network = try mixedNetwork(output: output)
        let B = 3
        var state = try Fixtures.randomState(network, batch: B, seed: 5)
        if output == .crossEntropy { try state.setOutput(Fixtures.oneHot(batch: B, classes: 2, seed: 6)) }
        // Free input with a prior; output free (squared error) or clamped (cross-entropy).
        let clamps = Clamps<Double>(input: .free(priorPrecision: 0.7), output: output == .squaredError ? .free : .clamped)
        let analytic = try network.activityGradients(of: &state, clamps: clamps)
        for l in 0...network.depth {
            if l == network.depth && output == .crossEntropy { continue }
            let x0 = state.activities[l].elements
            let numeric = finiteDifferenceGradient(at: x0) { values in
                var s = state
                s.activities[l] = try! Matrix(rows: B, columns: network.sizes[l], elements: values)
                // F_B is a batch mean; the activity gradient is per sample: ∂F_i/∂x_i = B ∂F_B/∂x_i.
                return Double(B) * (try! network.freeEnergy(of: &s, input: clamps.input))
            }
            assertClose(analytic[l].elements, numeric, rtol: 1e-6, atol: 1e-8, "layer \(l)")
        }
    }

    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func parameterGradientsMatchFiniteDifferences(output: OutputEnergy) throws {
        let network = try mixedNetwork(output: output)
        var state = try Fixtures.randomState(network, batch: 4, seed: 7)
        if output == .crossEntropy { try state.setOutput(Fixtures.oneHot(batch: 4, classes: 2, seed: 8)) }
        let analytic = try network.parameterGradients(of: &state).flattened
        let numeric = finiteDifferenceGradient(at: Fixtures.parameters(network)) { values in
            var s = state
            return try! Fixtures.withParameters(network, values).freeEnergy(of: &s)
        }
        #expect(analytic.count == numeric.count)
        assertClose(analytic, numeric, rtol: 1e-6, atol: 1e-8)
    }

    @Test func crossEntropyEnergyIsNegativeLogSoftmax() throws {
        var rng = Xoshiro256(seed: 3)
        let network = try PCNetwork<Double>(sizes: [2, 3], activation: .identity, outputEnergy: .crossEntropy, using: &rng)
        var state = try PCState(for: network, batchSize: 1)
        try state.setInput(Matrix([[0.4, -1.1]]))
        try state.setOutput(Matrix([[0, 1, 0]]))
        let energy = try network.freeEnergy(of: &state)
        let mu = try network.predict(Matrix([[0.4, -1.1]])).elements
        let logSumExp = mu.map { Foundation_exp($0) }.reduce(0, +)
        assertClose(energy, -(mu[1] - Foundation_log(logSumExp)), rtol: 1e-12, atol: 0)
    }
}
