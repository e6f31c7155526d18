import Testing
import PCCore
import PCNumerics
import _PCTestSupport

/// Optimisers against their update formulas (PCCore article LearningRules, section Optimisers).
struct OptimizerTests {
    func setup() throws -> (PCNetwork<Double>, ParameterGradients<Double>) {
        var rng = Xoshiro256(seed: 1)
        let net = try PCNetwork<Double>(sizes: [2, 3], activation: .identity, using: &rng)
        var g = try ParameterGradients(for: net)
        g.weights[0] = try Matrix([[0.5, -1], [2, 0.1], [-0.3, 0.7]])
        g.biases[0] = try Vector([1, -2, 0.25])
        return (net, g)
    }

    @Test func adamAndAdamWFollowTheirFormulas() throws {
        let (net, g) = try setup()
        for decay in [0.0, 0.1] {
            var updated = net
            var optimizer = try Optimizer<Double>(decay == 0 ? .adam(learningRate: 0.01) : .adamW(learningRate: 0.01, weightDecay: decay), for: net)
            try optimizer.step(&updated, gradients: g)
            try optimizer.step(&updated, gradients: g)
            // Two steps with the same gradient: m̂ = g, v̂ = g², so each step is −α(g/(|g| + ε) + λθ).
            for (i, w0) in net.layers[0].weight.elements.enumerated() {
                let gi = g.weights[0].elements[i]
                var w = w0
                for _ in 0..<2 { w -= 0.01 * gi / (abs(gi) + 1e-8) + 0.01 * decay * w }
                assertClose(updated.layers[0].weight.elements[i], w, rtol: 1e-12, atol: 1e-15)
            }
            #expect(optimizer.stepCount == 2)
        }
    }

    @Test func sgdAndMomentumFollowTheirFormulas() throws {
        let (net, g) = try setup()
        var a = net, b = net
        var sgd = try Optimizer<Double>(.sgd(learningRate: 0.1), for: net)
        var momentum = try Optimizer<Double>(.momentum(learningRate: 0.1, momentum: 0.9), for: net)
        try sgd.step(&a, gradients: g)
        try momentum.step(&b, gradients: g); try momentum.step(&b, gradients: g)
        for i in 0..<6 {
            let (w0, gi) = (net.layers[0].weight.elements[i], g.weights[0].elements[i])
            assertClose(a.layers[0].weight.elements[i], w0 - 0.1 * gi, rtol: 1e-14, atol: 0)
            // v₁ = g, v₂ = 0.9g + g.
            assertClose(b.layers[0].weight.elements[i], w0 - 0.1 * gi - 0.1 * 1.9 * gi, rtol: 1e-14, atol: 1e-16)
        }
    }

    /// MQ: with lr_min = 0 and constant gradients 100× apart in two layers, MQ equalises the mean
    /// |ΔW| of the layers; its state is one scalar per layer.
    @Test func mqEqualisesUpdateMagnitudes() throws {
        var rng = Xoshiro256(seed: 2)
        var net = try PCNetwork<Double>(sizes: [4, 5, 3], activation: .tanh, using: &rng)
        var g = try ParameterGradients(for: net)
        g.weights[0] = try Matrix(rows: 5, columns: 4, initializer: .uniform(low: -1, high: 1), using: &rng)
        g.weights[1] = try Matrix(rows: 3, columns: 5, initializer: .uniform(low: -1, high: 1), using: &rng)
        g.weights[1].scale(by: 100)
        g.biases[0]!.fill(0.5); g.biases[1]!.fill(50)
        var optimizer = try Optimizer<Double>(.mq(alpha: 1e-3, r: 1e-6, minimumLearningRate: 0, maximumDecay: 0.9999, warmUpSteps: 0), for: net)
        #expect(optimizer.layerScales.count == 2)
        var changes: [Double] = []
        for _ in 0..<2000 {
            let before = net
            try optimizer.step(&net, gradients: g)
            changes = (0..<2).map { l in
                let dw = zip(net.layers[l].weight.elements, before.layers[l].weight.elements).map { abs($0 - $1) }
                let db = zip(net.layers[l].bias!.elements, before.layers[l].bias!.elements).map { abs($0 - $1) }
                return (dw + db).reduce(0, +) / Double(dw.count + db.count)
            }
        }
        assertClose(changes[0], changes[1], rtol: 1e-3, atol: 0)
        assertClose(changes[0], 1e-3, rtol: 1e-2, atol: 0)  // |Δθ| → α mean|g| / mean|g| = α
    }

    /// Learned precisions: with x and W frozen, the learned log-variance converges to ln of the empirical error variance.
    @Test func learnedPrecisionConvergesToTheEmpiricalVariance() throws {
        var rng = Xoshiro256(seed: 3)
        let sigmas = [0.5, 1.0, 2.0]
        let net = try PCNetwork<Double>(sizes: [2, 3], activation: .identity, initializer: .zeros,
                                        precision: .learnedLogVariance(initial: 0), using: &rng)
        var network = net
        var state = try PCState(for: net, batchSize: 500)
        // x₀ = 0 and W, b = 0, so ε = x₁ ~ N(0, diag σ²).
        var samples = try Matrix<Double>(rows: 500, columns: 3)
        for i in 0..<500 { for j in 0..<3 { samples[i, j] = sigmas[j] * rng.nextNormal() } }
        try state.setOutput(samples)
        let empirical = (0..<3).map { j in (0..<500).map { samples[$0, j] * samples[$0, j] }.reduce(0, +) / 500 }
        for _ in 0..<200 {
            let g = try network.parameterGradients(of: &state)
            try network.updatePrecisions(g, learningRate: 0.5)
        }
        for j in 0..<3 {
            assertClose(network.layers[0].precision.logVariance[j], Foundation_log(empirical[j]), rtol: 0, atol: 1e-6)
        }
        #expect(network.layers[0].weight == net.layers[0].weight)
    }
}
