import Foundation
import Testing
import PCCore
import PCNumerics

/// A cross-entropy node on a graph: a dense network with a cross-entropy output written as a chain
/// graph must give the network's energy, gradients and IL steps (≤ 1e-12); a residual μPC network
/// with a cross-entropy output learns; what the energy does not define is refused by name.
struct GraphCrossEntropyTests {
    static func network() throws -> PCNetwork<Double> {
        var rng = Xoshiro256(seed: 11)
        return try PCNetwork<Double>(sizes: [4, 6, 5, 3], activation: .tanh, initializer: .normal(standardDeviation: 0.7),
                                     outputEnergy: .crossEntropy, using: &rng)
    }

    @Test func crossEntropyChainGraphMatchesTheNetwork() throws {
        var network = try Self.network()
        var graph = try PCGraph(layered: network)
        #expect(graph.nodes[3].energy == .crossEntropy && graph.nodes[2].energy == .squaredError)
        let B = 5
        var layered = try Fixtures.randomState(network, batch: B, seed: 2)
        try layered.setOutput(try Fixtures.oneHot(batch: B, classes: 3, seed: 3))
        var state = try PCGraphState(for: graph, batchSize: B)
        for l in 0...3 { try state.setActivity(l, layered.activities[l]) }
        let clamps = PCGraphClamps<Double>(nodeCount: 4, clamped: [0, 3])

        #expect(abs(try network.freeEnergy(of: &layered) - graph.freeEnergy(of: &state)) <= 1e-12)
        let expected = try network.activityGradients(of: &layered)
        let got = try graph.activityGradients(of: &state, clamps: clamps)
        for l in 1...2 { #expect(GraphTests.maxDifference(got[l], expected[l]) <= 1e-12, "node \(l)") }
        let expectedGradients = try network.parameterGradients(of: &layered)
        let gotGradients = try graph.parameterGradients(of: &state)
        for l in 0..<3 { #expect(GraphTests.maxDifference(gotGradients.weights[l]!, expectedGradients.weights[l]) <= 1e-12) }

        // Ten IL steps (GD and SeqIL settles alternate) on the same batches: energies and weights agree.
        for rule in [LearningRule.il, .sequential] {
            let options = try LearningOptions(rule: rule, inference: InferenceOptions(stepSize: 0.1, maxIterations: 12),
                                              optimizer: .adam(learningRate: 0.01))
            var learner = try PCLearner(for: network, batchSize: B, options: options)
            var graphLearner = try PCLearner(for: graph, batchSize: B, options: options)
            var rng = Xoshiro256(seed: 4)
            for k in 0..<10 {
                let x = try Matrix<Double>(rows: B, columns: 4, initializer: .normal(standardDeviation: 1), using: &rng)
                let y = try Fixtures.oneHot(batch: B, classes: 3, seed: UInt64(20 + k))
                let r1 = try learner.step(&network, input: x, target: y)
                try graphLearner.state.setActivity(0, x)
                try graphLearner.state.setActivity(3, y)
                let r2 = try graphLearner.step(&graph, clamps: clamps)
                #expect(abs(r1.energy - r2.energy) <= 1e-12 && abs(r1.finalEnergy - r2.finalEnergy) <= 1e-12, "\(rule) step \(k)")
            }
            for l in 0..<3 { #expect(GraphTests.maxDifference(graph.edges[l].weight!, network.layers[l].weight) <= 1e-12, "\(rule)") }
        }
    }

    /// The graph's cross-entropy energy is −Σ yᵀ log softmax(μ) (independent closed form).
    @Test func crossEntropyEnergyIsNegativeLogSoftmax() throws {
        let graph = try PCGraph(layered: Self.network())
        var state = try GraphTests.randomState(graph, batch: 3, seed: 5)
        let y = try Fixtures.oneHot(batch: 3, classes: 3, seed: 6)
        try state.setActivity(3, y)
        let energy = try graph.freeEnergy(of: &state)
        // The hidden terms, recomputed from the state's own predictions and errors.
        var hidden = 0.0
        for v in 1...2 { hidden += 0.5 * state.errors[v].elements.reduce(0) { $0 + $1 * $1 } }
        var ce = 0.0
        for i in 0..<3 {
            let mu = (0..<3).map { state.predictions[3][i, $0] }
            let lse = log(mu.map { exp($0) }.reduce(0, +))
            for j in 0..<3 { ce += y[i, j] * (lse - mu[j]) }
        }
        #expect(abs(energy - (hidden + ce) / 3) <= 1e-12)
    }

    @Test func crossEntropyNodesAreRefusedWhereTheEnergyIsUndefined() throws {
        // A precision, or no parent.
        #expect(throws: PCCoreError.self) { try PCGraphNode<Double>(name: "y", size: 3, precision: .scalar(2), energy: .crossEntropy) }
        let lonely = try PCGraphNode<Double>(name: "y", size: 3, energy: .crossEntropy)
        #expect(throws: PCCoreError.self) { try PCGraph(nodes: [lonely], edges: []) }
        // A free cross-entropy node cannot be inferred.
        let graph = try PCGraph(layered: Self.network())
        var state = try PCGraphState(for: graph, batchSize: 2)
        var workspace = try PCGraphWorkspace(for: graph, batchSize: 2)
        do {
            _ = try graph.settle(&state, workspace: &workspace, clamps: PCGraphClamps(nodeCount: 4, clamped: [0]))
            Issue.record("a free cross-entropy node settled")
        } catch {
            #expect("\(error)".contains("cross-entropy") && "\(error)".contains("clamped"), "\(error)")
        }
        // A feedforward prediction leaves it free and holding μ.
        let x = try Matrix<Double>(rows: 2, columns: 4, repeating: 0.3)
        let prediction = try graph.predict(x, input: 0, output: 3)
        #expect(prediction.shape == Shape(2, 3))
    }

    /// A 6-layer μPC residual network with a cross-entropy output learns a 3-class problem by IL.
    @Test func residualNetworkWithCrossEntropyOutputLearns() throws {
        var rng = Xoshiro256(seed: 7)
        let config = try ResidualNetworkConfiguration(inputSize: 8, width: 16, hiddenLayers: 6, outputSize: 3, activation: .tanh,
                                                      outputEnergy: .crossEntropy)
        var network = try ResidualNetwork<Double>(config, using: &rng)
        #expect(network.graph.nodes[network.outputNode].energy == .crossEntropy)
        // Three Gaussian clusters in 8 dimensions.
        let centres = try Matrix<Double>(rows: 3, columns: 8, initializer: .normal(standardDeviation: 1.5), using: &rng)
        var features: [Double] = [], labels: [Int] = []
        for i in 0..<240 {
            let c = i % 3
            labels.append(c)
            for j in 0..<8 { features.append(centres[c, j] + rng.normal(standardDeviation: 0.5)) }
        }
        let data = try Dataset(features: try Matrix(rows: 240, columns: 8, elements: features), labels: labels, classCount: 3)
        let options = try TrainingOptions(epochs: 15, batchSize: 16, seed: 1,
                                          learning: LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 20),
                                                                    optimizer: .adam(learningRate: 0.01)))
        let before = try Self.accuracy(network, data)
        let history = try Trainer.train(&network.graph, input: network.inputNode, output: network.outputNode, on: data, test: data, options: options)
        let after = history.last!.testAccuracy!
        #expect(after >= 0.95, "accuracy \(before) → \(after)")
        #expect(history.last!.meanEnergy < history.first!.meanEnergy)
    }

    static func accuracy(_ network: ResidualNetwork<Double>, _ data: Dataset<Double>) throws -> Double {
        let mu = try network.graph.predict(data.features, input: network.inputNode, output: network.outputNode)
        var correct = 0
        for i in 0..<mu.rows {
            let row = (0..<mu.columns).map { mu[i, $0] }
            if row.firstIndex(of: row.max()!)! == data.labels[i] { correct += 1 }
        }
        return Double(correct) / Double(mu.rows)
    }
}
