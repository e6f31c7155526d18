import Testing
import PCCore
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

/// The learning rules against the backprop reference (PCCore article LearningRules).
struct LearningRuleTests {
    func network(_ sizes: [Int], _ activation: Activation, seed: UInt64, output: OutputEnergy = .squaredError) throws -> PCNetwork<Double> {
        var rng = Xoshiro256(seed: seed)
        var net = try PCNetwork<Double>(sizes: sizes, activation: activation, initializer: .normal(standardDeviation: 0.8),
                                        outputEnergy: output, using: &rng)
        for l in net.layers.indices {
            try net.setBias(try Vector((0..<net.layers[l].outputSize).map { _ in rng.normal(standardDeviation: 0.2) }), layer: l)
        }
        return net
    }

    func batch(_ net: PCNetwork<Double>, _ B: Int, seed: UInt64) throws -> (Matrix<Double>, Matrix<Double>) {
        var rng = Xoshiro256(seed: seed)
        let x = try Matrix<Double>(rows: B, columns: net.sizes[0], initializer: .normal(standardDeviation: 1), using: &rng)
        let y = net.outputEnergy == .crossEntropy ? try Fixtures.oneHot(batch: B, classes: net.sizes.last!, seed: seed + 1)
            : try Matrix<Double>(rows: B, columns: net.sizes.last!, initializer: .normal(standardDeviation: 1), using: &rng)
        return (x, y)
    }

    func gradients(_ net: PCNetwork<Double>, _ x: Matrix<Double>, _ y: Matrix<Double>, rule: LearningRule) throws -> [Double] {
        var state = try PCState(for: net, batchSize: x.rows)
        var workspace = try InferenceWorkspace(for: net, batchSize: x.rows)
        var g = try ParameterGradients(for: net)
        try state.setInput(x)
        try state.setOutput(y)
        switch rule {
        case .backprop: _ = try net.backpropGradients(&state, workspace: &workspace, into: &g)
        case .zeroDivergence: _ = try net.zeroDivergenceGradients(&state, workspace: &workspace, into: &g)
        case .fixedPrediction(let n, let eta):
            _ = try net.fixedPredictionGradients(&state, workspace: &workspace, into: &g, iterations: n ?? net.depth, stepSize: eta)
        default: Issue.record("not a gradient rule")
        }
        return g.flattened
    }

    /// The backprop reference itself against finite differences of its loss.
    @Test(arguments: [OutputEnergy.squaredError, .crossEntropy])
    func backpropMatchesFiniteDifferences(output: OutputEnergy) throws {
        let net = try network([3, 5, 4, 3], .tanh, seed: 1, output: output)
        let (x, y) = try batch(net, 4, seed: 2)
        let analytic = try gradients(net, x, y, rule: .backprop)
        let numeric = finiteDifferenceGradient(at: Fixtures.parameters(net)) { values in
            let candidate = try! Fixtures.withParameters(net, values)
            var state = try! PCState(for: candidate, batchSize: 4)
            var workspace = try! InferenceWorkspace(for: candidate, batchSize: 4)
            var g = try! ParameterGradients(for: candidate)
            try! state.setInput(x); try! state.setOutput(y)
            return try! candidate.backpropGradients(&state, workspace: &workspace, into: &g)
        }
        assertClose(analytic, numeric, rtol: 1e-6, atol: 1e-9)
    }

    /// Z-IL: one Z-IL update equals one SGD-backprop update (≤ 1e-10 relative) on 3- and 5-layer MLPs.
    @Test(arguments: [3, 5], [Activation.tanh, .sigmoid, .relu])
    func zeroDivergenceEqualsBackprop(layers: Int, activation: Activation) throws {
        let sizes = [4] + [Int](repeating: 6, count: layers - 1) + [3]
        for output in [OutputEnergy.squaredError, .crossEntropy] {
            let net = try network(sizes, activation, seed: UInt64(10 * layers), output: output)
            let (x, y) = try batch(net, 5, seed: 99)
            // Weights after one SGD step of each rule.
            var afterZIL = net, afterBP = net
            var zil = try PCLearner(for: net, batchSize: 5, options: LearningOptions(rule: .zeroDivergence, optimizer: .sgd(learningRate: 0.1)))
            var bp = try PCLearner(for: net, batchSize: 5, options: LearningOptions(rule: .backprop, optimizer: .sgd(learningRate: 0.1)))
            try zil.step(&afterZIL, input: x, target: y)
            try bp.step(&afterBP, input: x, target: y)
            let change = Fixtures.relativeDifference(Fixtures.parameters(afterBP), Fixtures.parameters(net))
            #expect(change > 1e-4, "the update must be visible")
            let difference = Fixtures.relativeDifference(Fixtures.parameters(afterZIL), Fixtures.parameters(afterBP))
            #expect(difference <= 1e-10, "\(layers) layers, \(activation), \(output): relative difference \(difference)")
            let gz = try gradients(net, x, y, rule: .zeroDivergence), gb = try gradients(net, x, y, rule: .backprop)
            #expect(Fixtures.relativeDifference(gz, gb) <= 1e-10)
        }
    }

    /// FPA with η = 1 and n = L sweeps equals backprop; too few sweeps leave the bottom layer wrong.
    @Test(arguments: [Activation.tanh, .sigmoid, .relu])
    func fixedPredictionEqualsBackprop(activation: Activation) throws {
        let net = try network([4, 6, 6, 6, 6, 3], activation, seed: 7)
        let (x, y) = try batch(net, 5, seed: 8)
        let bp = try gradients(net, x, y, rule: .backprop)
        let fpa = try gradients(net, x, y, rule: .fixedPrediction(iterations: nil, stepSize: 1))
        #expect(Fixtures.relativeDifference(fpa, bp) <= 1e-12)
        // With Jacobi sweeps layer ℓ becomes exact after L − ℓ sweeps: L − 2 sweeps miss layer 1.
        let short = try gradients(net, x, y, rule: .fixedPrediction(iterations: net.depth - 2, stepSize: 1))
        let firstLayer = net.layers[0].weight.count + net.layers[0].outputSize  // W₁ and b₁
        #expect(Fixtures.relativeDifference(Array(short[..<firstLayer]), Array(bp[..<firstLayer])) > 1e-3)
        #expect(Fixtures.relativeDifference(Array(short[firstLayer...]), Array(bp[firstLayer...])) <= 1e-12)
    }

    /// Output nudging: β = 1 reproduces the hard clamp bit for bit.
    @Test func unitNudgingIsTheHardClamp() throws {
        let net = try network([3, 5, 4, 2], .tanh, seed: 3)
        let (x, y) = try batch(net, 4, seed: 4)
        var a = net, b = net
        var hard = try PCLearner(for: net, batchSize: 4, options: LearningOptions(rule: .il, optimizer: .sgd(learningRate: 0.1)))
        var nudged = try PCLearner(for: net, batchSize: 4, options: LearningOptions(rule: .il, optimizer: .sgd(learningRate: 0.1), outputNudging: 1))
        try hard.step(&a, input: x, target: y)
        try nudged.step(&b, input: x, target: y)
        #expect(a == b)
    }

    /// The small-error limit of IL (Whittington & Bogacz 2017): with the output clamped to y but
    /// its precision λ → 0⁺, inference to convergence and gradients × 1/λ, IL tends to backprop
    /// (cosine similarity > 0.999 at λ = 1e-4 on a 3-layer tanh MLP).
    ///
    /// The same limit is sometimes stated for PCX nudging (x_L = (1−β)μ_L + βy held fixed); that does
    /// not hold: for a linear 2-layer net the equilibrium output error is (I + W₂W₂ᵀ)⁻¹ β(y − ŷ), an
    /// O(1) distortion of the backprop delta as β → 0. Scaling the output precision is the limit
    /// that holds, and the one tested here.
    @Test func smallOutputPrecisionILApproachesBackprop() throws {
        let lambda = 1e-4
        var net = try network([3, 6, 5, 2], .tanh, seed: 5)
        let (x, y) = try batch(net, 4, seed: 6)
        let bp = try gradients(net, x, y, rule: .backprop)
        try net.setPrecision(try LayerPrecision(.scalar(lambda), size: 2), layer: 2)
        var state = try PCState(for: net, batchSize: 4)
        var workspace = try InferenceWorkspace(for: net, batchSize: 4)
        try state.setInput(x)
        try state.setOutput(y)
        let options = try InferenceOptions(stepSize: 0.1, maxIterations: 5000, tolerance: 1e-14)
        let report = try net.settle(&state, workspace: &workspace, options: options)
        #expect(report.converged)
        var g = try ParameterGradients(for: net)
        try net.parameterGradients(state, workspace: workspace, into: &g, scale: 1 / lambda)
        let il = g.flattened
        let dot = zip(il, bp).map(*).reduce(0, +)
        let cosine = dot / (il.map { $0 * $0 }.reduce(0, +).squareRoot() * bp.map { $0 * $0 }.reduce(0, +).squareRoot())
        #expect(cosine > 0.999, "cosine \(cosine)")
        // Not only the direction: the gradients agree elementwise to 1% of the largest.
        #expect(Fixtures.relativeDifference(il, bp) < 1e-2)
    }

    /// iPC with one step applies the gradient of the feedforward state, exactly as IL with T = 0.
    @Test func incrementalFirstStepEqualsILWithoutInference() throws {
        let net = try network([3, 5, 4, 2], .tanh, seed: 9)
        let (x, y) = try batch(net, 4, seed: 10)
        var a = net, b = net
        var ipc = try PCLearner(for: net, batchSize: 4, options: LearningOptions(
            rule: .ipc, inference: InferenceOptions(maxIterations: 1), optimizer: .sgd(learningRate: 0.1)))
        var il = try PCLearner(for: net, batchSize: 4, options: LearningOptions(
            rule: .il, inference: InferenceOptions(maxIterations: 0), optimizer: .sgd(learningRate: 0.1)))
        try ipc.step(&a, input: x, target: y)
        try il.step(&b, input: x, target: y)
        #expect(a == b)
    }

    /// For small γ and α, iPC's joint descent lowers F over its steps.
    @Test func incrementalLowersTheEnergy() throws {
        var net = try network([3, 5, 4, 2], .tanh, seed: 11)
        let (x, y) = try batch(net, 4, seed: 12)
        var ipc = try PCLearner(for: net, batchSize: 4, options: LearningOptions(
            rule: .ipc, inference: InferenceOptions(stepSize: 0.05, maxIterations: 50), optimizer: .sgd(learningRate: 0.01)))
        let result = try ipc.step(&net, input: x, target: y)
        #expect(result.finalEnergy < 0.8 * result.energy)
    }
}

/// Threads split the batch; the combined gradient is the batch mean, so the update matches one thread.
struct ShardedLearningTests {
    @Test func twoThreadsMatchOne() throws {
        var rng = Xoshiro256(seed: 3)
        let net = try PCNetwork<Double>(sizes: [5, 8, 7, 3], activation: .tanh, using: &rng)
        let x = try Matrix<Double>(rows: 9, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        let y = try Matrix<Double>(rows: 9, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
        var one = net, two = net
        var a = try PCLearner(for: net, batchSize: 9, options: LearningOptions(rule: .il, optimizer: .sgd(learningRate: 0.1)))
        var b = try PCLearner(for: net, batchSize: 9, options: LearningOptions(rule: .il, optimizer: .sgd(learningRate: 0.1), threads: 2))
        let ra = try a.step(&one, input: x, target: y), rb = try b.step(&two, input: x, target: y)
        #expect(Fixtures.relativeDifference(Fixtures.parameters(two), Fixtures.parameters(one)) < 1e-13)
        #expect(Fixtures.relativeDifference(b.gradients.flattened, a.gradients.flattened) < 1e-12)
        #expect(abs(ra.finalEnergy - rb.finalEnergy) < 1e-12 * ra.finalEnergy)
        #expect(one != net)
    }

    /// With Adam or AdamW the shards' gradients are combined and the update applied on the pool's
    /// threads, each on its own slices of every tensor: the same update as one thread's, step after
    /// step (layers large enough that both threads own slices, with and without biases, an
    /// uneven 4/5 batch split, and a learned precision whose gradient is still combined).
    @Test(arguments: [(OptimizerKind.adam(learningRate: 1e-2), true, false), (.adamW(learningRate: 1e-2, weightDecay: 0.1), true, false),
                      (.adam(learningRate: 1e-2), false, false), (.adam(learningRate: 1e-2), true, true)])
    func twoThreadsMatchOneWithAdam(optimizer: OptimizerKind, bias: Bool, learnedPrecision: Bool) throws {
        var rng = Xoshiro256(seed: 4)
        let net = try PCNetwork<Double>(sizes: [5, 40, 33, 3], activation: .tanh, bias: bias,
                                        precision: learnedPrecision ? .learnedLogVariance(initial: 0) : .identity, using: &rng)
        let x = try Matrix<Double>(rows: 9, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        let y = try Matrix<Double>(rows: 9, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
        var one = net, two = net
        let options = { (threads: Int) in
            try LearningOptions(rule: .il, optimizer: optimizer, precisionLearningRate: learnedPrecision ? 1e-2 : 0, threads: threads)
        }
        var a = try PCLearner(for: net, batchSize: 9, options: options(1))
        var b = try PCLearner(for: net, batchSize: 9, options: options(2))
        for _ in 0..<4 {
            try a.step(&one, input: x, target: y)
            try b.step(&two, input: x, target: y)
            #expect(Fixtures.relativeDifference(b.gradients.flattened, a.gradients.flattened) < 1e-12)
            #expect(Fixtures.relativeDifference(Fixtures.parameters(two), Fixtures.parameters(one)) < 1e-12)
        }
        #expect(b.optimizer.stepCount == 4)
        #expect(Fixtures.relativeDifference(b.optimizer.firstMoments.flatMap { $0 }, a.optimizer.firstMoments.flatMap { $0 }) < 1e-12)
        #expect(Fixtures.relativeDifference(b.optimizer.secondMoments.flatMap { $0 }, a.optimizer.secondMoments.flatMap { $0 }) < 1e-12)
        #expect(one != net)
    }

    /// Every rule's training step, and IL sharded on the persistent pool, allocates nothing after
    /// warm-up (digits-sized, Float). Debug builds allocate a few times per step in unspecialised
    /// generic code outside the hot loops, so there the count must only stay constant; release
    /// builds (`swift test -c release`, and `pcctl bench pc`'s allocations_per_step figures) must
    /// allocate nothing.
    @Test(arguments: [(LearningRule.il, 1), (.ipc, 1), (.sequential, 1), (.backprop, 1), (.il, 2)])
    func stepsDoNotAllocate(rule: LearningRule, threads: Int) throws {
        var rng = Xoshiro256(seed: 5)
        var net = try PCNetwork<Float>(sizes: [64, 128, 128, 10], activation: .relu,
                                       outputEnergy: rule == .backprop ? .crossEntropy : .squaredError, using: &rng)
        let x = try Matrix<Float>(rows: 64, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng)
        let y = try Matrix<Float>(rows: 64, columns: 10, initializer: .uniform(low: 0, high: 1), using: &rng)
        var learner = try PCLearner(for: net, batchSize: 64, options: LearningOptions(rule: rule, threads: threads))
        for _ in 0..<3 { try learner.step(&net, input: x, target: y) }
        #expect(pck_allocation_counter_active() == 1)
        var counts = [UInt64](repeating: 0, count: 5)
        for i in counts.indices {
            let before = pck_thread_allocation_count()
            try learner.step(&net, input: x, target: y)
            counts[i] = pck_thread_allocation_count() - before
        }
        #expect(Set(counts).count == 1, "\(rule), \(threads) threads: allocations per step changed: \(counts)")
        #if !DEBUG
        #expect(counts.allSatisfy { $0 == 0 }, "\(rule), \(threads) threads: allocations per step: \(counts)")
        #endif
    }
    /// The one learner on an RNN (IL, SeqIL, iPC): warmed-up steps allocate the same number of
    /// times every step, and none in optimised builds (the CNN and a cyclic graph:
    /// `SequentialAndPrecisionTests.stepsWithLearnedPrecisionsDoNotAllocate`).
    @Test(arguments: [LearningRule.il, .sequential, .ipc])
    func recurrentStepsDoNotAllocate(rule: LearningRule) throws {
        var rng = Xoshiro256(seed: 6)
        let options = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.05, maxIterations: 8))
        #expect(pck_allocation_counter_active() == 1)
        var rnn = try RecurrentNetwork<Float>(steps: 4, inputSize: 3, hiddenSize: 8, outputSize: 2, using: &rng)
        let sequences = try Matrix<Float>(rows: 8, columns: 12, initializer: .uniform(low: -1, high: 1), using: &rng)
        let targets = try Matrix<Float>(rows: 8, columns: 2, initializer: .uniform(low: 0, high: 1), using: &rng)
        var rnnLearner = try PCLearner(for: rnn, batchSize: 8, options: options)
        try expectStepsDoNotAllocate("RNN \(rule)") { try rnnLearner.step(&rnn, input: sequences, target: targets) }
    }
}

