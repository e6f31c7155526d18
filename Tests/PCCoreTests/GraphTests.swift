import Testing
import PCCore
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

/// PC on arbitrary graphs (PCCore article GraphsAndMuPC): the layered network as a chain, finite differences
/// on a cyclic graph with every edge kind, masks, invariants, allocation-free settles.
struct GraphTests {
    /// A random 3-layer tanh network with biases and one diagonal precision (Double).
    static func layeredNetwork(seed: UInt64) throws -> PCNetwork<Double> {
        var rng = Xoshiro256(seed: seed)
        return try PCNetwork<Double>(sizes: [4, 6, 5, 3], activation: .tanh, initializer: .normal(standardDeviation: 0.7),
                                     precisions: [.identity, .diagonal([0.5, 1, 2, 1.5, 0.8]), .scalar(2)], using: &rng)
    }

    static func maxDifference(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        zip(a.elements, b.elements).map { abs($0 - $1) }.max()!
    }

    /// Masked form (PCCore article GraphsAndMuPC): a 3-layer network written as a graph gives the same energy, activity gradients, settled
    /// activities (activity updates) and weight updates as the layered implementation (≤ 1e-12).
    @Test func layeredNetworkAsGraphMatchesLayeredImplementation() throws {
        var network = try Self.layeredNetwork(seed: 1)
        var graph = try PCGraph(layered: network)
        #expect(graph.isAcyclic && graph.nodes.count == 4 && graph.edges.count == 3)
        let B = 5
        var layered = try Fixtures.randomState(network, batch: B, seed: 2)
        var state = try PCGraphState(for: graph, batchSize: B)
        for l in 0...3 { try state.setActivity(l, layered.activities[l]) }

        // Energy and activity gradients at a random (non-equilibrium) state, output clamped and free.
        #expect(abs(try network.freeEnergy(of: &layered) - graph.freeEnergy(of: &state)) <= 1e-12)
        for (layeredClamps, graphClamped) in [(Clamps<Double>.supervised, Set([0, 3])), (.outputFree, [0])] {
            let expected = try network.activityGradients(of: &layered, clamps: layeredClamps)
            let got = try graph.activityGradients(of: &state, clamps: PCGraphClamps(nodeCount: 4, clamped: graphClamped))
            for l in 0...3 { #expect(Self.maxDifference(got[l], expected[l]) <= 1e-12, "node \(l)") }
        }
        let expectedGradients = try network.parameterGradients(of: &layered)
        let gotGradients = try graph.parameterGradients(of: &state)
        for l in 0..<3 {
            #expect(Self.maxDifference(gotGradients.weights[l]!, expectedGradients.weights[l]) <= 1e-12)
            #expect(zip(gotGradients.biases[l + 1]!.elements, expectedGradients.biases[l]!.elements).allSatisfy { abs($0 - $1) <= 1e-12 })
        }

        // Ten IL steps on the same batches: settled activities, energy traces and weights agree.
        let options = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 15),
                                          optimizer: .sgd(learningRate: 0.05), precisionLearningRate: 0)
        var learner = try PCLearner(for: network, batchSize: B, options: options)
        var graphLearner = try PCLearner(for: graph, batchSize: B, options: options)
        let clamps = PCGraphClamps<Double>(nodeCount: 4, clamped: [0, 3])
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<10 {
            let x = try Matrix<Double>(rows: B, columns: 4, initializer: .normal(standardDeviation: 1), using: &rng)
            let y = try Matrix<Double>(rows: B, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
            let r1 = try learner.step(&network, input: x, target: y)
            try graphLearner.state.setActivity(0, x)
            try graphLearner.state.setActivity(3, y)
            let r2 = try graphLearner.step(&graph, clamps: clamps)
            #expect(abs(r1.energy - r2.energy) <= 1e-12 && abs(r1.finalEnergy - r2.finalEnergy) <= 1e-12)
            for l in 1...2 { #expect(Self.maxDifference(graphLearner.state.activities[l], learner.state.activities[l]) <= 1e-12) }
        }
        for l in 0..<3 {
            #expect(Self.maxDifference(graph.edges[l].weight!, network.layers[l].weight) <= 1e-12)
            #expect(zip(graph.nodes[l + 1].bias!.elements, network.layers[l].bias!.elements).allSatisfy { abs($0 - $1) <= 1e-12 })
        }
    }

    /// A cyclic graph with a masked self-edge, an identity edge, scales, a nonlinear identity edge,
    /// a diagonal precision and a parentless node with a bias (prior).
    static func cyclicGraph(seed: UInt64) throws -> PCGraph<Double> {
        var rng = Xoshiro256(seed: seed)
        func w(_ r: Int, _ c: Int) throws -> Matrix<Double> { try Matrix(rows: r, columns: c, initializer: .normal(standardDeviation: 0.6), using: &rng) }
        var mask = try Matrix<Double>(rows: 4, columns: 4, repeating: 1)
        for i in 0..<4 { mask[i, i] = 0 }
        let nodes = [try PCGraphNode<Double>(name: "a", size: 3, bias: try Vector([0.1, -0.2, 0.3])),
                     try PCGraphNode<Double>(name: "b", size: 4, bias: try Vector(count: 4, repeating: 0.05), precision: .diagonal([1, 2, 0.5, 1.5])),
                     try PCGraphNode<Double>(name: "c", size: 4),
                     try PCGraphNode<Double>(name: "d", size: 2)]
        let edges = [try PCGraphEdge(from: 0, to: 1, weight: w(4, 3), activation: .tanh, scale: 0.7),
                     try PCGraphEdge(from: 1, to: 1, weight: w(4, 4), activation: .sigmoid, mask: mask),
                     try PCGraphEdge(from: 1, to: 2, weight: w(4, 4), activation: .tanh, scale: 0.3),
                     try PCGraphEdge(identityFrom: 1, to: 2),
                     try PCGraphEdge(identityFrom: 2, to: 1, activation: .tanh, scale: 0.5),
                     try PCGraphEdge(from: 2, to: 3, weight: w(2, 4), scale: 1.3),
                     try PCGraphEdge(from: 3, to: 0, weight: w(3, 2), activation: .tanh)]
        return try PCGraph(nodes: nodes, edges: edges)
    }

    static func randomState(_ graph: PCGraph<Double>, batch: Int, seed: UInt64) throws -> PCGraphState<Double> {
        var rng = Xoshiro256(seed: seed)
        var state = try PCGraphState(for: graph, batchSize: batch)
        for v in graph.nodes.indices {
            try state.setActivity(v, Matrix(rows: batch, columns: graph.nodes[v].size, initializer: .normal(standardDeviation: 1), using: &rng))
        }
        return state
    }

    /// Graph energy: ∂F/∂x and ∂F/∂θ on a cyclic graph equal central finite differences of F_B
    /// (∂F/∂x per sample = B · ∂F_B/∂x).
    @Test func cyclicGraphGradientsMatchFiniteDifferences() throws {
        let graph = try Self.cyclicGraph(seed: 4)
        #expect(!graph.isAcyclic)
        let B = 3
        var state = try Self.randomState(graph, batch: B, seed: 5)
        let free = PCGraphClamps<Double>(nodeCount: 4, clamped: [])
        let gx = try graph.activityGradients(of: &state, clamps: free)
        let h = 1e-6
        for v in graph.nodes.indices {
            for i in 0..<(B * graph.nodes[v].size) {
                var plus = state, minus = state
                plus.activities[v].withUnsafeMutableStorage { p, _ in p[i] += h }
                minus.activities[v].withUnsafeMutableStorage { p, _ in p[i] -= h }
                let numeric = Double(B) * (try graph.freeEnergy(of: &plus) - graph.freeEnergy(of: &minus)) / (2 * h)
                #expect(isClose(gx[v].elements[i], numeric, rtol: 1e-6, atol: 1e-8), "x[\(v)][\(i)]: \(gx[v].elements[i]) vs \(numeric)")
            }
        }
        let gradients = try graph.parameterGradients(of: &state)
        for e in graph.edges.indices where graph.edges[e].weight != nil {
            let weight = graph.edges[e].weight!
            for i in 0..<weight.count {
                var plus = graph, minus = graph
                var wp = weight, wm = weight
                wp.withUnsafeMutableStorage { p, _ in p[i] += h }
                wm.withUnsafeMutableStorage { p, _ in p[i] -= h }
                try plus.setWeight(wp, ofEdge: e)
                try minus.setWeight(wm, ofEdge: e)
                var s1 = state, s2 = state
                // A masked entry is zeroed by setWeight: its finite difference and gradient are 0.
                let numeric = (try plus.freeEnergy(of: &s1) - minus.freeEnergy(of: &s2)) / (2 * h)
                #expect(isClose(gradients.weights[e]!.elements[i], numeric, rtol: 1e-6, atol: 1e-8), "W[\(e)][\(i)]")
            }
        }
        for v in graph.nodes.indices where graph.nodes[v].bias != nil {
            let bias = graph.nodes[v].bias!
            for j in 0..<bias.count {
                var plus = graph, minus = graph
                var bp = bias, bm = bias
                bp[j] += h; bm[j] -= h
                try plus.setBias(bp, ofNode: v)
                try minus.setBias(bm, ofNode: v)
                var s1 = state, s2 = state
                let numeric = (try plus.freeEnergy(of: &s1) - minus.freeEnergy(of: &s2)) / (2 * h)
                #expect(isClose(gradients.biases[v]![j], numeric, rtol: 1e-6, atol: 1e-8), "b[\(v)][\(j)]")
            }
        }
    }

    /// Energy never rises while settling a cyclic graph with a small step; clamped units (a whole
    /// node and half of another's units) never move.
    @Test func settlingCyclicGraphLowersEnergyAndKeepsClampedUnits() throws {
        let graph = try Self.cyclicGraph(seed: 6)
        var state = try Self.randomState(graph, batch: 4, seed: 7)
        var mask = try Matrix<Double>(rows: 4, columns: 4)
        for r in 0..<4 { mask[r, 0] = 1; mask[r, 2] = 1 }
        let clamps = PCGraphClamps<Double>([.clamped, .free, .masked(mask), .free])
        let before = state.activities
        var workspace = try PCGraphWorkspace(for: graph, batchSize: 4)
        let report = try graph.settle(&state, workspace: &workspace, clamps: clamps,
                                      options: InferenceOptions(stepSize: 0.02, maxIterations: 200, initialization: .keep))
        #expect(!report.diverged)
        #expect(zip(report.energies, report.energies.dropFirst()).allSatisfy { $1 <= $0 + 1e-12 })
        #expect(report.energies.last! < 0.5 * report.energies.first!)
        #expect(state.activities[0] == before[0])
        for r in 0..<4 { for c in [0, 2] { #expect(state.activities[2][r, c] == before[2][r, c]) } }
        #expect(state.activities[1] != before[1])
        #expect(throws: PCCoreError.self) {
            try graph.settle(&state, workspace: &workspace, clamps: clamps, options: .standard)  // feedforward on a cycle
        }
    }

    /// Masked weights never change under training, while the unmasked ones do.
    @Test func maskedWeightsNeverChange() throws {
        var rng = Xoshiro256(seed: 8)
        var graph = try PCGraph<Double>.fullyConnected(size: 6, activation: .tanh, using: &rng)
        let initial = graph.edges[0].weight!
        for optimizer in [OptimizerKind.adamW(learningRate: 0.01, weightDecay: 0.1), .momentum(learningRate: 0.05, momentum: 0.9), .mq(alpha: 0.01)] {
            var learner = try PCLearner(for: graph, batchSize: 4,
                                             options: LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.1, maxIterations: 10, initialization: .keep),
                                                                      optimizer: optimizer))
            var mask = try Matrix<Double>(rows: 4, columns: 6)
            for r in 0..<4 { for c in 0..<3 { mask[r, c] = 1 } }
            for _ in 0..<5 {
                try learner.state.setActivity(0, Matrix(rows: 4, columns: 6, initializer: .uniform(low: -1, high: 1), using: &rng))
                try learner.step(&graph, clamps: PCGraphClamps([.masked(mask)]))
            }
        }
        let trained = graph.edges[0].weight!
        for i in 0..<6 { #expect(trained[i, i] == 0) }
        #expect(Self.maxDifference(trained, initial) > 1e-3)
        #expect(graph.parameterCount == 30 + 6)
    }

    /// Structure errors name what was wrong.
    @Test func invalidGraphsAreRejected() throws {
        let a = try PCGraphNode<Double>(name: "a", size: 2), b = try PCGraphNode<Double>(name: "b", size: 3)
        let w = try Matrix<Double>(rows: 2, columns: 2)
        #expect(throws: PCCoreError.self) { try PCGraph(nodes: [a, b], edges: [try PCGraphEdge(from: 0, to: 1, weight: w)]) }
        #expect(throws: PCCoreError.self) { try PCGraph(nodes: [a, b], edges: [try PCGraphEdge(identityFrom: 0, to: 1)]) }
        #expect(throws: PCCoreError.self) { try PCGraph(nodes: [a], edges: [try PCGraphEdge(from: 0, to: 4, weight: w)]) }
        #expect(throws: PCCoreError.self) { try PCGraphEdge(from: 0, to: 0, weight: w, mask: try Matrix(rows: 2, columns: 2, repeating: 0.5)) }
        // A learned precision needs an error to weigh: a parentless node without bias has none.
        let learned = try PCGraphNode<Double>(name: "c", size: 2, precision: .learnedLogVariance(initial: 0))
        #expect(throws: PCCoreError.self) { try PCGraph(nodes: [learned, a], edges: [try PCGraphEdge(from: 0, to: 1, weight: w)]) }
        #expect((try? PCGraph(nodes: [a, learned], edges: [try PCGraphEdge(from: 0, to: 1, weight: w)])) != nil)
        #expect(throws: PCCoreError.self) { try PCGraphNode<Double>(name: "d", size: 2, precision: .learnedLogVariance(initial: 11)) }
    }

    /// No allocation in a settle, whatever its length (PCCore article EnergyAndInference, section Workspaces), on a residual μPC graph and a
    /// masked cyclic graph.
    @Test func graphInferenceIterationsDoNotAllocate() throws {
        var rng = Xoshiro256(seed: 9)
        let residual = try ResidualNetwork<Float>(ResidualNetworkConfiguration(inputSize: 8, width: 16, hiddenLayers: 6, outputSize: 3), using: &rng)
        let cyclic = try PCGraph<Float>.fullyConnected(size: 12, activation: .tanh, using: &rng)
        var mask = try Matrix<Float>(rows: 8, columns: 12)
        for r in 0..<8 { for c in 0..<6 { mask[r, c] = 1 } }
        #expect(pck_allocation_counter_active() == 1)
        for (graph, clamps, initialization) in [(residual.graph, residual.supervisedClamps, InferenceInitialization.feedforward),
                                                (cyclic, PCGraphClamps([.masked(mask)]), .keep)] {
            var state = try PCGraphState(for: graph, batchSize: 8)
            for v in graph.nodes.indices {
                try state.setActivity(v, Matrix(rows: 8, columns: graph.nodes[v].size, initializer: .uniform(low: 0, high: 1), using: &rng))
            }
            var workspace = try PCGraphWorkspace(for: graph, batchSize: 8)
            for method in [InferenceMethod.gradientDescent, .momentum(0.5), .sequential] {
                func run(_ iterations: Int) throws -> UInt64 {
                    let options = try InferenceOptions(stepSize: 0.05, maxIterations: iterations, method: method, initialization: initialization)
                    _ = try graph.settle(&state, workspace: &workspace, clamps: clamps, options: options)
                    let before = pck_thread_allocation_count()
                    _ = try graph.settle(&state, workspace: &workspace, clamps: clamps, options: options)
                    return pck_thread_allocation_count() - before
                }
                let short = try run(5), long = try run(45)
                #expect(long == short, "\(method): \(long - short) allocations in 40 extra iterations")
                #expect(long == 0, "\(method): a whole settle allocated \(long) times")
            }
        }
    }
}
