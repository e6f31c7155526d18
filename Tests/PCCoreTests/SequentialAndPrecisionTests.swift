import Testing
import PCCore
import PCNumerics
import _PCTestSupport
import _PCAllocationCounter

/// SeqIL and learned precisions on the layered engine (CNN) and on graphs, a cyclic one included,
/// against three oracles: the dense PCNetwork (an independent implementation of the same model),
/// exact block coordinate descent built from from-scratch gradients, and finite differences.
struct SequentialAndPrecisionTests {
    // MARK: Models

    /// 1×5×5 → conv 3×3 (2 filters, stride 2, padding 1) → 2×3×3 → max pool 2×2 (stride 1) → 2×2×2
    /// → dense 4 → dense 3, with the given precision per layer and non-zero biases.
    static func cnn(precisions: [PrecisionSpecification]?, output: OutputEnergy = .squaredError) throws -> ConvolutionalNetwork<Double> {
        var rng = Xoshiro256(seed: 41)
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 5, inputWidth: 5, outputChannels: 2,
                                     kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
        let pool = try Pooling2D(mode: .max, channels: 2, inputHeight: 3, inputWidth: 3, window: 2, stride: 1)
        var network = try ConvolutionalNetwork<Double>(layers: [
            .convolution(conv, initializer: .normal(standardDeviation: 0.6), using: &rng),
            .pooling(pool, inputActivation: .tanh),
            .dense(inputSize: pool.outputFeatures, outputSize: 4, inputActivation: .tanh, initializer: .normal(standardDeviation: 0.6), using: &rng),
            .dense(inputSize: 4, outputSize: 3, inputActivation: .tanh, initializer: .normal(standardDeviation: 0.6), using: &rng),
        ], outputEnergy: output, precisions: precisions)
        for i in network.layers.indices where network.layers[i].bias != nil {
            let n = network.layers[i].bias!.count
            try network.setParameters(layer: i, weight: network.layers[i].weight, bias: Vector((0..<n).map { _ in rng.normal(standardDeviation: 0.3) }))
        }
        return network
    }

    /// Fixed and learned precisions on every layer of ``cnn(precisions:output:)`` (18, 8, 4, 3 units).
    static let cnnPrecisions: [PrecisionSpecification] = [
        .diagonal((0..<18).map { 0.5 + 0.1 * Double($0 % 5) }), .learnedLogVariance(initial: 0.4), .scalar(2), .learnedLogVariance(initial: -0.3),
    ]

    /// A cyclic graph: input a (3, clamped) → h (4, bias) ⇄ o (2, bias), and h → h masked (no
    /// self-connections), with the given precisions of h and o.
    static func cyclicGraph(h: PrecisionSpecification, o: PrecisionSpecification) throws -> PCGraph<Double> {
        var rng = Xoshiro256(seed: 23)
        func weight(_ rows: Int, _ columns: Int) throws -> Matrix<Double> {
            try Matrix(rows: rows, columns: columns, initializer: .normal(standardDeviation: 0.5), using: &rng)
        }
        func bias(_ n: Int) throws -> Vector<Double> { try Vector((0..<n).map { _ in rng.normal(standardDeviation: 0.3) }) }
        var mask = try Matrix<Double>(rows: 4, columns: 4, repeating: 1)
        for i in 0..<4 { mask[i, i] = 0 }
        let nodes = [try PCGraphNode<Double>(name: "a", size: 3),
                     try PCGraphNode<Double>(name: "h", size: 4, bias: bias(4), precision: h),
                     try PCGraphNode<Double>(name: "o", size: 2, bias: bias(2), precision: o)]
        let edges = [try PCGraphEdge(from: 0, to: 1, weight: weight(4, 3), activation: .identity),
                     try PCGraphEdge(from: 1, to: 2, weight: weight(2, 4), activation: .tanh),
                     try PCGraphEdge(from: 2, to: 1, weight: weight(4, 2), activation: .tanh),
                     try PCGraphEdge(from: 1, to: 1, weight: weight(4, 4), activation: .tanh, mask: mask)]
        return try PCGraph(nodes: nodes, edges: edges)
    }

    static func randomGraphState(_ graph: PCGraph<Double>, batch: Int, seed: UInt64) throws -> PCGraphState<Double> {
        var rng = Xoshiro256(seed: seed)
        var state = try PCGraphState(for: graph, batchSize: batch)
        for v in graph.nodes.indices {
            try state.setActivity(v, try Matrix(rows: batch, columns: graph.nodes[v].size, initializer: .normal(standardDeviation: 0.7), using: &rng))
        }
        return state
    }

    // MARK: The CNN engine against the dense core

    /// A ConvolutionalNetwork of dense layers is a PCNetwork: with SeqIL and with learned precisions
    /// on every layer, the learners' energies, gradients (log-variances included), parameters and
    /// precisions agree to 1e-12 over three steps.
    @Test(arguments: [LearningRule.il, .sequential])
    func denseChainWithLearnedPrecisionsMatchesPCNetwork(rule: LearningRule) throws {
        let specifications: [PrecisionSpecification] = [.learnedLogVariance(initial: 0.2), .learnedLogVariance(initial: -0.3), .learnedLogVariance(initial: 0.1)]
        var (dense, layered) = try LayeredEngineTests.pair(output: .squaredError, precisions: specifications)
        let (x, y) = try LayeredChecks.batch(layered, 5, seed: 3)
        let learning = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                           optimizer: .adam(learningRate: 0.01), precisionLearningRate: 0.05)
        var denseLearner = try PCLearner(for: dense, batchSize: 5, options: learning)
        var layeredLearner = try PCLearner(for: layered, batchSize: 5, options: learning)
        try expectLearnersAgree(&dense, &denseLearner, &layered, &layeredLearner, input: x, target: y)
        for l in 0..<3 {
            let s = layered.precisions[l].logVariance.elements
            #expect(Fixtures.relativeDifference(s, dense.layers[l].precision.logVariance.elements) <= 1e-12)
            // The precisions did move.
            #expect(abs(s[0] - [0.2, -0.3, 0.1][l]) > 1e-4)
        }
        for l in 1..<3 {
            #expect(Fixtures.relativeDifference(layeredLearner.state.activities[l].elements, denseLearner.state.activities[l].elements) <= 1e-12)
        }
    }

    // MARK: SeqIL on a CNN

    /// One SeqIL sweep of a CNN with convolution, max pooling and precisions is exact block
    /// coordinate descent: for ℓ = L−1…1, x_ℓ ← x_ℓ − γ ∂F/∂x_ℓ at the current state, each gradient
    /// computed from scratch. Then a full settle lowers F.
    @Test func cnnSequentialSweepIsBlockCoordinateDescent() throws {
        try Self.expectSweepIsBlockCoordinateDescent(try Self.cnn(precisions: Self.cnnPrecisions))
    }

    /// The same on a recurrent network (shared weights, a learned hidden precision shared by the
    /// time steps, a fixed diagonal output precision).
    @Test func rnnSequentialSweepIsBlockCoordinateDescent() throws {
        try Self.expectSweepIsBlockCoordinateDescent(try Self.rnn())
    }

    /// 4 steps of 3 inputs, 5 hidden tanh units, 2 outputs, biases; Π_h learned (s = 0.3), Π_y diagonal.
    static func rnn(hiddenShift: Double = 0) throws -> RecurrentNetwork<Double> {
        var rng = Xoshiro256(seed: 19)
        var network = try RecurrentNetwork<Double>(steps: 4, inputSize: 3, hiddenSize: 5, outputSize: 2,
                                                   hiddenPrecision: .learnedLogVariance(initial: 0.3 + hiddenShift),
                                                   outputPrecision: .diagonal([0.8, 1.7]), using: &rng)
        try network.setParameters(hiddenBias: Vector((0..<5).map { _ in rng.normal(standardDeviation: 0.3) }),
                                  outputBias: Vector([0.2, -0.1]))
        return network
    }

    static func expectSweepIsBlockCoordinateDescent<Model: LayeredPCModel>(_ network: Model) throws where Model.Scalar == Double {
        let start = try LayeredChecks.randomState(network, batch: 3, seed: 5)
        let gamma = 0.05
        var expected = start
        for l in stride(from: network.depth - 1, through: 1, by: -1) {
            let g = try network.activityGradients(of: &expected)[l]
            try expected.activities[l].add(g, scaledBy: -gamma)
        }
        var state = start
        var workspace = try LayeredWorkspace(for: network, batchSize: 3)
        let oneSweep = try InferenceOptions(stepSize: gamma, maxIterations: 1, method: .sequential, initialization: .keep, divergenceThreshold: .infinity)
        let report = try network.settle(&state, workspace: &workspace, options: oneSweep)
        #expect(report.iterations == 1)
        for l in 0...network.depth {
            #expect(maxRelativeDifference(state.activities[l].elements, expected.activities[l].elements, floor: 1e-3) <= 1e-12, "layer \(l)")
        }
        var probe = expected
        #expect(abs(report.finalEnergy - (try network.freeEnergy(of: &probe))) <= 1e-12 * abs(report.finalEnergy))

        // Small steps of exact block coordinate descent never raise F: the whole trace falls.
        var settled = start
        let full = try network.settle(&settled, workspace: &workspace,
                                      options: InferenceOptions(stepSize: gamma, maxIterations: 300, method: .sequential, initialization: .keep))
        #expect(full.iterations == 300 && full.finalEnergy < full.initialEnergy)
        for t in 1..<full.energies.count { #expect(full.energies[t] <= full.energies[t - 1] + 1e-12 * abs(full.energies[t - 1]), "step \(t)") }
    }

    /// ½ mean ‖y − μ_L‖² of the feedforward prediction (the network's output loss, whatever its precisions).
    static func outputLoss(_ network: ConvolutionalNetwork<Double>, _ x: Matrix<Double>, _ y: Matrix<Double>) throws -> Double {
        var state = try PCState(for: network, batchSize: x.rows)
        var workspace = try LayeredWorkspace(for: network, batchSize: x.rows, traceCapacity: 0)
        try state.setInput(x); try state.setOutput(y)
        try network.feedforward(&state, workspace: &workspace)
        let mu = state.predictions[network.depth]
        var loss = 0.0
        for i in 0..<x.rows { for j in 0..<y.columns { loss += 0.5 * (y[i, j] - mu[i, j]) * (y[i, j] - mu[i, j]) / Double(x.rows) } }
        return loss
    }

    /// SeqIL and iPC train a real CNN (conv + max pool, fixed and learned precisions): the output
    /// loss of the feedforward prediction on a batch halves in 30 steps and the learned precisions move.
    @Test(arguments: [(LearningRule.sequential, 0.1, 20, 0.02, 0.01), (.ipc, 0.1, 10, 0.005, 0.001)])
    func cnnLearnsWithLearnedPrecisions(rule: LearningRule, stepSize: Double, iterations: Int, learningRate: Double,
                                        precisionLearningRate: Double) throws {
        var network = try Self.cnn(precisions: Self.cnnPrecisions)
        let (x, y) = try LayeredChecks.batch(network, 8, seed: 9)
        var learner = try PCLearner(for: network, batchSize: 8, options: LearningOptions(
            rule: rule, inference: InferenceOptions(stepSize: stepSize, maxIterations: iterations), optimizer: .adam(learningRate: learningRate),
            precisionLearningRate: precisionLearningRate))
        let before = try Self.outputLoss(network, x, y)
        for _ in 0..<30 { try learner.step(&network, input: x, target: y) }
        let after = try Self.outputLoss(network, x, y)
        #expect(after < 0.5 * before, "\(rule): output loss \(before) → \(after)")
        #expect(abs(network.precisions[1].logVariance[0] - 0.4) > 1e-4)
        #expect(network.precisions[0].isLearned == false && network.precisions[0].values[1] == 0.6)
    }

    // MARK: Learned precisions on an RNN

    /// ∂F/∂x with the shared learned hidden precision matches finite differences, and the hidden
    /// log-variance gradient summed over the time steps matches the finite difference of F_B under
    /// a uniform shift of s_h; SeqIL with precision learning lowers the output loss.
    @Test func rnnPrecisionsHaveExactGradientsAndLearn() throws {
        let network = try Self.rnn()
        #expect(try LayeredChecks.activityGradientError(network, batch: 2, seed: 14) <= 1e-6)
        var state = try LayeredChecks.randomState(network, batch: 3, seed: 15)
        let gradients = try network.parameterGradients(of: &state)
        let analytic = (0..<4).map { gradients.logVariances[$0]!.elements.reduce(0, +) }.reduce(0, +)
        #expect(gradients.logVariances.count == 5 && gradients.logVariances[4] == nil)
        let h = 1e-6
        var plus = state, minus = state
        let numeric = (try Self.rnn(hiddenShift: h).freeEnergy(of: &plus) - Self.rnn(hiddenShift: -h).freeEnergy(of: &minus)) / (2 * h)
        #expect(abs(analytic - numeric) <= 1e-7 * max(1, abs(numeric)), "analytic \(analytic), numeric \(numeric)")
        #expect(network.parameterCount == 15 + 25 + 10 + 5 + 2 + 5)

        var trained = network
        let (x, y) = try LayeredChecks.batch(trained, 8, seed: 16)
        func loss(_ model: RecurrentNetwork<Double>) throws -> Double {
            var s = try PCState(for: model, batchSize: 8)
            var w = try LayeredWorkspace(for: model, batchSize: 8, traceCapacity: 0)
            try s.setInput(x)
            try model.feedforward(&s, workspace: &w)
            var total = 0.0
            for i in 0..<8 { for j in 0..<2 { total += 0.5 * (y[i, j] - s.predictions[5][i, j]) * (y[i, j] - s.predictions[5][i, j]) / 8 } }
            return total
        }
        var learner = try PCLearner(for: trained, batchSize: 8, options: LearningOptions(
            rule: .sequential, inference: InferenceOptions(stepSize: 0.1, maxIterations: 20), optimizer: .adam(learningRate: 0.02),
            precisionLearningRate: 0.01))
        let before = try loss(trained)
        for _ in 0..<40 { try learner.step(&trained, input: x, target: y) }
        #expect(try loss(trained) < 0.5 * before)
        #expect(abs(trained.hiddenPrecision.logVariance[0] - 0.3) > 1e-3 && trained.outputPrecision == network.outputPrecision)
        #expect(throws: PCCoreError.self) { try PCLearner(for: network, batchSize: 2, options: LearningOptions(rule: .zeroDivergence)) }
        var rng = Xoshiro256(seed: 1)
        #expect(throws: PCCoreError.self) {
            try RecurrentNetwork<Double>(steps: 2, inputSize: 2, hiddenSize: 2, outputSize: 2, outputEnergy: .crossEntropy,
                                         outputPrecision: .scalar(2), using: &rng)
        }
    }

    // MARK: Learned precisions on a CNN

    /// ∂F/∂x with fixed and learned precisions, and ∂F_B/∂θ with fixed diagonal and scalar ones,
    /// match finite differences of F.
    @Test func cnnGradientsWithPrecisionsMatchFiniteDifferences() throws {
        let network = try Self.cnn(precisions: Self.cnnPrecisions)
        #expect(try LayeredChecks.activityGradientError(network, batch: 2, seed: 11) <= 1e-6)
        let fixed = try Self.cnn(precisions: [Self.cnnPrecisions[0], .scalar(0.7), .scalar(2), .diagonal([1.5, 0.5, 3])])
        #expect(try LayeredChecks.parameterGradientError(fixed, batch: 2, seed: 12) <= 1e-6)
    }

    /// Σ_j ∂F_B/∂s_ℓj of a learned precision equals the finite difference of F_B under a uniform
    /// shift of s_ℓ, on every learned layer (a hidden pooling layer and the output).
    @Test(arguments: [1, 3])
    func cnnLogVarianceGradientMatchesFiniteDifferences(layer index: Int) throws {
        func network(shift: Double) throws -> ConvolutionalNetwork<Double> {
            var specifications = Self.cnnPrecisions
            if case .learnedLogVariance(let s) = specifications[index] { specifications[index] = .learnedLogVariance(initial: s + shift) }
            return try Self.cnn(precisions: specifications)
        }
        let base = try network(shift: 0)
        var state = try LayeredChecks.randomState(base, batch: 3, seed: 13)
        let analytic = try base.parameterGradients(of: &state).logVariances[index]!.elements.reduce(0, +)
        let h = 1e-6
        var plus = state, minus = state
        let numeric = (try network(shift: h).freeEnergy(of: &plus) - network(shift: -h).freeEnergy(of: &minus)) / (2 * h)
        #expect(abs(analytic - numeric) <= 1e-7 * max(1, abs(numeric)), "analytic \(analytic), numeric \(numeric)")
    }

    /// At the fixed point of precision learning with the weights held, e^{s_j} is the batch mean of
    /// ε_j² at the settled state (the closed-form maximum-likelihood variance), on the CNN output.
    @Test func cnnLearnedVarianceConvergesToTheErrorVariance() throws {
        var network = try Self.cnn(precisions: Self.cnnPrecisions)
        let (x, y) = try LayeredChecks.batch(network, 16, seed: 21)
        var learner = try PCLearner(for: network, batchSize: 16, options: LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 30), optimizer: .sgd(learningRate: 1e-12),
            precisionLearningRate: 0.5))
        for _ in 0..<400 { try learner.step(&network, input: x, target: y) }
        let L = network.depth
        let errors = learner.state.errors[L]
        for j in 0..<3 {
            var meanSquare = 0.0
            for i in 0..<16 { meanSquare += errors[i, j] * errors[i, j] / 16 }
            #expect(abs(network.precisions[L - 1].logVariance[j] - Foundation_log(meanSquare)) <= 1e-3, "unit \(j): s \(network.precisions[L - 1].logVariance[j]), ln mean ε² \(Foundation_log(meanSquare))")
        }
    }

    /// Z-IL and backprop are defined for unit precisions; a CNN with precisions is refused with a typed error,
    /// as is a cross-entropy output with a precision.
    @Test func cnnRulesWithoutPrecisionsAreRefused() throws {
        let network = try Self.cnn(precisions: Self.cnnPrecisions)
        for rule in [LearningRule.zeroDivergence, .backprop] {
            #expect(throws: PCCoreError.self) { try PCLearner(for: network, batchSize: 2, options: LearningOptions(rule: rule)) }
        }
        #expect(throws: PCCoreError.self) { try Self.cnn(precisions: [.identity, .identity, .identity, .scalar(2)], output: .crossEntropy) }
        #expect(throws: PCCoreError.self) { try Self.cnn(precisions: [.identity, .identity]) }
        #expect(throws: PCCoreError.self) { try Self.cnn(precisions: [.diagonal([1, 2]), .identity, .identity, .identity]) }
    }

    // MARK: Graphs

    /// A PCNetwork with learned precisions as a chain graph: the graph learner with IL, SeqIL and
    /// iPC matches the dense learner (energies, weight, bias and log-variance gradients, precisions).
    @Test(arguments: [LearningRule.il, .sequential, .ipc])
    func chainGraphWithLearnedPrecisionsMatchesPCNetwork(rule: LearningRule) throws {
        var rng = Xoshiro256(seed: 31)
        var dense = try PCNetwork<Double>(sizes: [3, 5, 4, 2], activation: .tanh, initializer: .normal(standardDeviation: 0.6),
                                          precisions: [.learnedLogVariance(initial: 0.3), .scalar(1.5), .learnedLogVariance(initial: -0.2)], using: &rng)
        var graph = try PCGraph<Double>(layered: dense)
        let (x, y) = (try Matrix<Double>(rows: 4, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng), try Fixtures.oneHot(batch: 4, classes: 2, seed: 2))
        let learning = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.1, maxIterations: 12),
                                           optimizer: .sgd(learningRate: 0.05), precisionLearningRate: 0.05)
        var denseLearner = try PCLearner(for: dense, batchSize: 4, options: learning)
        var graphLearner = try PCLearner(for: graph, batchSize: 4, options: learning)
        let clamps = PCGraphClamps<Double>(nodeCount: 4, clamped: [0, 3])
        for _ in 0..<3 {
            let a = try denseLearner.step(&dense, input: x, target: y)
            try graphLearner.state.setActivity(0, x)
            try graphLearner.state.setActivity(3, y)
            let b = try graphLearner.step(&graph, clamps: clamps)
            #expect(abs(a.energy - b.energy) <= 1e-12 * abs(a.energy))
            #expect(abs(a.finalEnergy - b.finalEnergy) <= 1e-12 * abs(a.finalEnergy))
            for l in 0..<3 {
                #expect(Fixtures.relativeDifference(graphLearner.gradients.weights[l]!.elements, denseLearner.gradients.weights[l].elements) <= 1e-12)
                if let s = denseLearner.gradients.logVariances[l] {
                    #expect(Fixtures.relativeDifference(graphLearner.gradients.logVariances[l + 1]!.elements, s.elements) <= 1e-12)
                }
            }
        }
        for l in [0, 2] {
            #expect(Fixtures.relativeDifference(graph.nodes[l + 1].precision.logVariance.elements, dense.layers[l].precision.logVariance.elements) <= 1e-12)
        }
        #expect(graph.parameterCount == dense.parameterCount)
    }

    /// One SeqIL sweep on a cyclic graph is exact block coordinate descent in ``PCGraph/sweepOrder``
    /// (node indices last to first): each node moves by −γ ∂F/∂x_v at the current state, computed
    /// from scratch. Learned precisions on both free nodes.
    @Test func cyclicGraphSequentialSweepIsBlockCoordinateDescent() throws {
        let graph = try Self.cyclicGraph(h: .learnedLogVariance(initial: 0.3), o: .learnedLogVariance(initial: -0.4))
        #expect(!graph.isAcyclic && graph.sweepOrder == [2, 1, 0])
        let clamps = PCGraphClamps<Double>(nodeCount: 3, clamped: [0])
        let start = try Self.randomGraphState(graph, batch: 3, seed: 4)
        let gamma = 0.07
        var expected = start
        for v in graph.sweepOrder where v != 0 {
            let g = try graph.activityGradients(of: &expected, clamps: clamps)[v]
            var x = expected.activities[v]
            try x.add(g, scaledBy: -gamma)
            try expected.setActivity(v, x)
        }
        var state = start
        var workspace = try PCGraphWorkspace(for: graph, batchSize: 3)
        let report = try graph.settle(&state, workspace: &workspace, clamps: clamps, options: InferenceOptions(
            stepSize: gamma, maxIterations: 1, method: .sequential, initialization: .keep, divergenceThreshold: .infinity))
        #expect(report.iterations == 1)
        for v in 0..<3 {
            #expect(maxRelativeDifference(state.activities[v].elements, expected.activities[v].elements, floor: 1e-3) <= 1e-12, "node \(v)")
        }
        var probe = expected
        #expect(abs(report.finalEnergy - (try graph.freeEnergy(of: &probe))) <= 1e-12 * abs(report.finalEnergy))

        // Small steps of exact block coordinate descent never raise F: the whole trace falls.
        var settled = start
        let full = try graph.settle(&settled, workspace: &workspace, clamps: clamps, options: InferenceOptions(
            stepSize: gamma, maxIterations: 300, method: .sequential, initialization: .keep))
        #expect(full.iterations == 300 && full.finalEnergy < full.initialEnergy)
        for t in 1..<full.energies.count { #expect(full.energies[t] <= full.energies[t - 1] + 1e-12 * abs(full.energies[t - 1]), "step \(t)") }
    }

    /// On a cyclic graph, ∂F/∂x with learned precisions and Σ_j ∂F_B/∂s_vj match finite
    /// differences of F (the log-determinant term included).
    @Test func cyclicGraphGradientsWithLearnedPrecisionsMatchFiniteDifferences() throws {
        func graph(shiftH: Double = 0, shiftO: Double = 0) throws -> PCGraph<Double> {
            try Self.cyclicGraph(h: .learnedLogVariance(initial: 0.3 + shiftH), o: .learnedLogVariance(initial: -0.4 + shiftO))
        }
        let base = try graph()
        let clamps = PCGraphClamps<Double>(nodeCount: 3, clamped: [0])
        var state = try Self.randomGraphState(base, batch: 2, seed: 8)
        let analytic = try base.activityGradients(of: &state, clamps: clamps)
        for v in [1, 2] {
            let numeric = finiteDifferenceGradient(at: state.activities[v].elements) { values in
                var probe = state
                try! probe.setActivity(v, Matrix(rows: 2, columns: base.nodes[v].size, elements: values))
                return 2 * (try! base.freeEnergy(of: &probe))
            }
            #expect(maxRelativeDifference(analytic[v].elements, numeric, floor: 1e-2) <= 1e-6, "node \(v)")
        }
        let gradients = try base.parameterGradients(of: &state)
        let h = 1e-6
        var a = state, b = state
        let numericH = (try graph(shiftH: h).freeEnergy(of: &a) - graph(shiftH: -h).freeEnergy(of: &b)) / (2 * h)
        #expect(abs(gradients.logVariances[1]!.elements.reduce(0, +) - numericH) <= 1e-7 * max(1, abs(numericH)))
        let numericO = (try graph(shiftO: h).freeEnergy(of: &a) - graph(shiftO: -h).freeEnergy(of: &b)) / (2 * h)
        #expect(abs(gradients.logVariances[2]!.elements.reduce(0, +) - numericO) <= 1e-7 * max(1, abs(numericO)))
        #expect(gradients.logVariances[0] == nil)
    }

    /// SeqIL learning on a cyclic graph with a learned precision on the clamped node o: the weights
    /// held, its log-variances converge to ln of the batch mean of ε_o² at the settled state; with
    /// the weights learning as well, the settled F_B falls. (A learned precision on a free node
    /// that nothing else constrains collapses its variance to the lower bound, as maximum likelihood
    /// says it should: inference can make that error as small as it likes.)
    @Test func cyclicGraphLearnsPrecisionsWithSeqIL() throws {
        var graph = try Self.cyclicGraph(h: .identity, o: .learnedLogVariance(initial: 0))
        let clamps = PCGraphClamps<Double>(nodeCount: 3, clamped: [0, 2])
        var rng = Xoshiro256(seed: 3)
        let x = try Matrix<Double>(rows: 16, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
        let y = try Matrix<Double>(rows: 16, columns: 2, initializer: .normal(standardDeviation: 1), using: &rng)
        var learner = try PCLearner(for: graph, batchSize: 16, options: LearningOptions(
            rule: .sequential, inference: InferenceOptions(stepSize: 0.3, maxIterations: 40, initialization: .keep),
            optimizer: .sgd(learningRate: 1e-12), precisionLearningRate: 0.5))
        #expect(learner.options.inference.method == .sequential)
        for _ in 0..<400 {
            learner.state = try PCGraphState(for: graph, batchSize: 16)
            try learner.state.setActivity(0, x)
            try learner.state.setActivity(2, y)
            try learner.step(&graph, clamps: clamps)
        }
        for v in [2] {
            let errors = learner.state.errors[v]
            for j in 0..<graph.nodes[v].size {
                var meanSquare = 0.0
                for i in 0..<16 { meanSquare += errors[i, j] * errors[i, j] / 16 }
                #expect(abs(graph.nodes[v].precision.logVariance[j] - Foundation_log(meanSquare)) <= 1e-3, "node \(v) unit \(j)")
            }
        }

        var trained = try Self.cyclicGraph(h: .learnedLogVariance(initial: 0), o: .learnedLogVariance(initial: 0))
        var adam = try PCLearner(for: trained, batchSize: 16, options: LearningOptions(
            rule: .sequential, inference: InferenceOptions(stepSize: 0.3, maxIterations: 40, initialization: .keep),
            optimizer: .adam(learningRate: 0.02), precisionLearningRate: 0.01))
        var energies: [Double] = []
        for _ in 0..<60 {
            adam.state = try PCGraphState(for: trained, batchSize: 16)
            try adam.state.setActivity(0, x)
            try adam.state.setActivity(2, y)
            energies.append(try adam.step(&trained, clamps: clamps).finalEnergy)
        }
        #expect(energies.last! < 0.7 * energies[0], "settled F_B \(energies[0]) → \(energies.last!)")
    }

    /// A learner made for one CNN refuses another whose sizes match but whose kernels differ
    /// (3×3 padding 1 against 5×5 padding 2): a typed error, both networks untouched.
    @Test func learnerRefusesANetworkOfOtherParameterShapes() throws {
        func network(kernel: Int) throws -> ConvolutionalNetwork<Double> {
            var rng = Xoshiro256(seed: 3)
            let conv = try Convolution2D(inputChannels: 1, inputHeight: 5, inputWidth: 5, outputChannels: 2,
                                         kernelHeight: kernel, kernelWidth: kernel, padding: kernel / 2)
            return try ConvolutionalNetwork<Double>(layers: [
                .convolution(conv, using: &rng), .dense(inputSize: 50, outputSize: 3, inputActivation: .tanh, using: &rng)])
        }
        let small = try network(kernel: 3)
        var large = try network(kernel: 5)
        #expect(small.sizes == large.sizes)
        let before = large
        let (x, y) = try LayeredChecks.batch(small, 4, seed: 1)
        for optimizer in [OptimizerKind.sgd(learningRate: 0.1), .adam(learningRate: 0.01)] {
            var learner = try PCLearner(for: small, batchSize: 4, options: LearningOptions(rule: .il, optimizer: optimizer))
            #expect(throws: (any Error).self) { try learner.step(&large, input: x, target: y) }
            #expect(large == before)
        }
    }

    /// A graph optimiser step with gradients or moments made for another graph is a typed error
    /// and leaves the graph as it was.
    @Test func graphOptimiserRefusesGradientsOfAnotherGraph() throws {
        var graph = try Self.cyclicGraph(h: .identity, o: .identity)
        let before = graph
        var rng = Xoshiro256(seed: 4)
        let other = try PCGraph<Double>.fullyConnected(size: 30, activation: .tanh, using: &rng)
        var adam = try Optimizer<Double>(.adam(learningRate: 0.1), for: graph)
        #expect(throws: PCCoreError.self) { try adam.step(&graph, gradients: PCGraphGradients(for: other)) }
        var foreign = try Optimizer<Double>(.adam(learningRate: 0.1), for: other)
        #expect(throws: PCCoreError.self) { try foreign.step(&graph, gradients: PCGraphGradients(for: graph)) }
        #expect(graph == before)
        try adam.step(&graph, gradients: PCGraphGradients(for: graph))
    }

    // MARK: Allocations

    /// A training step with SeqIL and learned precisions allocates nothing after warm-up, on the
    /// digits CNN and on a cyclic graph (Float; in debug builds the count must only stay constant,
    /// as for the dense learner's steps).
    @Test(arguments: [LearningRule.il, .sequential, .ipc])
    func stepsWithLearnedPrecisionsDoNotAllocate(rule: LearningRule) throws {
        #expect(pck_allocation_counter_active() == 1)
        var rng = Xoshiro256(seed: 2)
        let digits = try ConvolutionalNetwork<Float>.digits(using: &rng)
        var cnn = try ConvolutionalNetwork<Float>(layers: digits.layers, precisions: digits.layers.map { _ in .learnedLogVariance(initial: 0) })
        let x = try Matrix<Float>(rows: 32, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng)
        let y = try Matrix<Float>(rows: 32, columns: 10, initializer: .uniform(low: 0, high: 1), using: &rng)
        var learner = try PCLearner(for: cnn, batchSize: 32, options: LearningOptions(rule: rule))
        try expectStepsDoNotAllocate("CNN \(rule)") { try learner.step(&cnn, input: x, target: y) }

        var graph = try PCGraph<Float>.fullyConnected(size: 12, activation: .tanh, using: &rng)
        var nodes = graph.nodes
        nodes[0] = try PCGraphNode(name: "x", size: 12, bias: nodes[0].bias, precision: .learnedLogVariance(initial: 0))
        graph = try PCGraph(nodes: nodes, edges: graph.edges)
        var mask = try Matrix<Float>(rows: 16, columns: 12)
        for r in 0..<16 { for c in 0..<6 { mask[r, c] = 1 } }
        let clamps = PCGraphClamps<Float>([.masked(mask)])
        var graphLearner = try PCLearner(for: graph, batchSize: 16, options: LearningOptions(
            rule: rule, inference: InferenceOptions(stepSize: 0.05, maxIterations: 20, initialization: .keep)))
        try graphLearner.state.setActivity(0, Matrix(rows: 16, columns: 12, initializer: .uniform(low: 0, high: 1), using: &rng))
        try expectStepsDoNotAllocate("cyclic graph \(rule)") { try graphLearner.step(&graph, clamps: clamps) }
    }
}
