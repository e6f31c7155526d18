import Foundation
import Testing
import PCCore
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

/// Associative memory with a competitive (softmax) latent (PCCore articles ModesAndMemory and GraphsAndMuPC): the softmax
/// memory (on the graph engine) against its closed form, finite differences through the softmax Jacobian, allocation-free
/// settles, and recall of stored digits from their top half scored on the recalled half alone.
struct MemoryTests {
    /// Recalls from the top half (columns 0..<32 clamped): how many recalled bottom halves are
    /// nearest to their own stored bottom half, and the per-pixel squared error of that half.
    static func recalledHalfScore(_ recalled: Matrix<Float>, _ stored: Matrix<Float>) -> (correct: Int, mse: Float) {
        let p = stored.rows
        func distance(_ i: Int, _ s: Int) -> Float { (32..<64).reduce(0) { $0 + (recalled[i, $1] - stored[s, $1]) * (recalled[i, $1] - stored[s, $1]) } }
        let correct = (0..<p).filter { i in (0..<p).min { distance(i, $0) < distance(i, $1) }! == i }.count
        return (correct, (0..<p).reduce(0) { $0 + distance($1, $1) } / Float(p * 32))
    }

    /// The per-pixel squared error of the bottom half when it is filled with the mean stored image
    /// (a recall that uses no memory).
    static func meanFillError(_ stored: Matrix<Float>) -> Float {
        let p = stored.rows
        var total: Float = 0
        for j in 32..<64 {
            let mean = (0..<p).reduce(Float(0)) { $0 + stored[$1, j] } / Float(p)
            for i in 0..<p { total += (stored[i, j] - mean) * (stored[i, j] - mean) }
        }
        return total / Float(p * 32)
    }

    /// The top-half cue and mask for `stored`.
    static func topHalfCue(_ stored: Matrix<Float>) throws -> (cue: Matrix<Float>, observed: Matrix<Float>) {
        var cue = stored, observed = try Matrix<Float>(rows: stored.rows, columns: 64)
        for i in 0..<stored.rows { for j in 0..<64 { if j < 32 { observed[i, j] = 1 } else { cue[i, j] = 0 } } }
        return (cue, observed)
    }

    /// The softmax memory (a builder over the graph engine) against an independent closed form, for
    /// λ = 0 and λ = 0.3: F = ½‖x − W softmax(βz)‖² + ½λ‖z‖² and 40 steps of z ← z − γ(λz − β s ⊙
    /// (g − ⟨s, g⟩)), g = Wᵀε, free x ← x − γε, written out here in plain loops (Double, to 1e-10).
    @Test(arguments: [0.0, 0.3])
    func softmaxMemoryFollowsItsClosedFormGradientFlow(lambda: Double) throws {
        var rng = Xoshiro256(seed: 31)
        let (n, k, b, gamma, beta) = (6, 5, 3, 0.1, 3.0)
        let memory = try SoftmaxMemory<Double>(patternSize: n, units: k, gain: beta, priorPrecision: lambda,
                                               initializer: .normal(standardDeviation: 0.5), using: &rng)
        let data = try Matrix<Double>(rows: b, columns: n, initializer: .uniform(low: 0, high: 1), using: &rng)
        var observed = try Matrix<Double>(rows: b, columns: n)
        for i in 0..<b { for j in 0..<3 { observed[i, j] = 1 } }
        let latent = try Matrix<Double>(rows: b, columns: k, initializer: .normal(standardDeviation: 0.3), using: &rng)

        var workspace = try SoftmaxMemoryWorkspace(for: memory, batchSize: b, traceCapacity: 40)
        try workspace.data.assign(data)
        try workspace.observed.assign(observed)
        try workspace.latent.assign(latent)
        let report = try memory.settle(&workspace, options: InferenceOptions(stepSize: gamma, maxIterations: 40))

        // The closed form, sample by sample.
        let w = memory.weight
        var z = latent.elements, x = data.elements
        var energies: [Double] = []
        for t in 0...40 {
            var energy = 0.0
            var nextZ = z, nextX = x
            for r in 0..<b {
                let zr = Array(z[(r * k)..<((r + 1) * k)])
                let top = zr.map { beta * $0 }.max()!
                let e = zr.map { exp(beta * $0 - top) }
                let s = e.map { $0 / e.reduce(0, +) }
                var eps = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    var mu = 0.0
                    for j in 0..<k { mu += w[i, j] * s[j] }
                    eps[i] = x[r * n + i] - mu
                    energy += 0.5 * eps[i] * eps[i]
                }
                for j in 0..<k { energy += 0.5 * lambda * zr[j] * zr[j] }
                var g = [Double](repeating: 0, count: k)
                for j in 0..<k { for i in 0..<n { g[j] += w[i, j] * eps[i] } }
                let mean = zip(s, g).map { $0 * $1 }.reduce(0, +)
                for j in 0..<k {
                    let gradient: Double = lambda * zr[j] - beta * s[j] * (g[j] - mean)
                    nextZ[r * k + j] = zr[j] - gamma * gradient
                }
                for i in 0..<n where observed[r, i] == 0 { nextX[r * n + i] = x[r * n + i] - gamma * eps[i] }
            }
            energies.append(energy / Double(b))
            if t < 40 { (z, x) = (nextZ, nextX) }
        }
        #expect(report.energies.count == 41)
        for t in 0...40 { #expect(isClose(report.energies[t], energies[t], rtol: 1e-10, atol: 1e-12), "energy \(t)") }
        #expect(report.finalEnergy < 0.9 * report.initialEnergy)
        for i in 0..<(b * k) { #expect(isClose(workspace.latent.elements[i], z[i], rtol: 1e-10, atol: 1e-12)) }
        for i in 0..<(b * n) { #expect(isClose(workspace.data.elements[i], x[i], rtol: 1e-10, atol: 1e-12)) }
        // The clamped entries never moved.
        for i in 0..<b { for j in 0..<3 { #expect(workspace.data[i, j] == data[i, j]) } }
    }

    /// Graph energy with a softmax rate (PCCore article GraphsAndMuPC): ∂F/∂x and ∂F/∂θ of the fully connected memory graph equal central
    /// finite differences of F_B (the softmax Jacobian β (diag(s) − s sᵀ) included).
    @Test func memoryGraphGradientsMatchFiniteDifferences() throws {
        var rng = Xoshiro256(seed: 32)
        let graph = try PCGraph<Double>.fullyConnectedMemory(dataSize: 5, memoryUnits: 4, softmaxGain: 2.5, activation: .tanh,
                                                             initializer: .normal(standardDeviation: 0.5), using: &rng)
        #expect(!graph.isAcyclic)
        let B = 2
        var state = try PCGraphState(for: graph, batchSize: B)
        for v in 0..<2 { try state.setActivity(v, Matrix(rows: B, columns: graph.nodes[v].size, initializer: .normal(standardDeviation: 1), using: &rng)) }
        let gx = try graph.activityGradients(of: &state, clamps: PCGraphClamps(nodeCount: 2, clamped: []))
        let h = 1e-6
        for v in 0..<2 {
            for i in 0..<(B * graph.nodes[v].size) {
                var plus = state, minus = state
                plus.activities[v].withUnsafeMutableStorage { p, _ in p[i] += h }
                minus.activities[v].withUnsafeMutableStorage { p, _ in p[i] -= h }
                let numeric = Double(B) * (try graph.freeEnergy(of: &plus) - graph.freeEnergy(of: &minus)) / (2 * h)
                #expect(isClose(gx[v].elements[i], numeric, rtol: 1e-6, atol: 1e-8), "x[\(v)][\(i)]: \(gx[v].elements[i]) vs \(numeric)")
            }
        }
        let gradients = try graph.parameterGradients(of: &state)
        for e in graph.edges.indices {
            let weight = graph.edges[e].weight!
            for i in 0..<weight.count {
                var plus = graph, minus = graph
                var wp = weight, wm = weight
                wp.withUnsafeMutableStorage { p, _ in p[i] += h }
                wm.withUnsafeMutableStorage { p, _ in p[i] -= h }
                try plus.setWeight(wp, ofEdge: e)
                try minus.setWeight(wm, ofEdge: e)
                var s1 = state, s2 = state
                let numeric = (try plus.freeEnergy(of: &s1) - minus.freeEnergy(of: &s2)) / (2 * h)
                #expect(isClose(gradients.weights[e]!.elements[i], numeric, rtol: 1e-6, atol: 1e-8), "W[\(e)][\(i)]")
            }
        }
        #expect(throws: PCCoreError.self) { try PCGraphEdge<Double>(from: 0, to: 1, weight: Matrix(rows: 2, columns: 2), softmaxGain: 0) }
        #expect(throws: PCCoreError.self) {
            try PCGraphEdge<Double>(from: 0, to: 1, weight: Matrix(rows: 2, columns: 2), activation: .tanh, softmaxGain: 1)
        }
    }

    /// No allocation in a settle of the softmax memory or of the memory graph, whatever its length.
    @Test func memoryInferenceIterationsDoNotAllocate() throws {
        var rng = Xoshiro256(seed: 33)
        #expect(pck_allocation_counter_active() == 1)
        let memory = try SoftmaxMemory<Float>(patternSize: 64, units: 20, gain: 4, priorPrecision: 0.1, using: &rng)
        var workspace = try SoftmaxMemoryWorkspace(for: memory, batchSize: 8, traceCapacity: 64)
        try workspace.data.assign(Matrix(rows: 8, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng))
        func runMemory(_ iterations: Int) throws -> UInt64 {
            let options = try InferenceOptions(stepSize: 0.1, maxIterations: iterations)
            _ = try memory.settle(&workspace, options: options)
            let before = pck_thread_allocation_count()
            _ = try memory.settle(&workspace, options: options)
            return pck_thread_allocation_count() - before
        }
        let (short, long) = (try runMemory(5), try runMemory(45))
        #expect(long == short && long == 0, "softmax memory: \(short) and \(long) allocations")

        let graph = try PCGraph<Float>.fullyConnectedMemory(dataSize: 64, memoryUnits: 20, softmaxGain: 4, using: &rng)
        var state = try PCGraphState(for: graph, batchSize: 8)
        try state.setActivity(0, Matrix(rows: 8, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng))
        var mask = try Matrix<Float>(rows: 8, columns: 64)
        for r in 0..<8 { for c in 0..<32 { mask[r, c] = 1 } }
        let clamps = PCGraphClamps([.masked(mask), .free])
        var graphWorkspace = try PCGraphWorkspace(for: graph, batchSize: 8)
        func runGraph(_ iterations: Int) throws -> UInt64 {
            let options = try InferenceOptions(stepSize: 0.05, maxIterations: iterations, initialization: .keep)
            _ = try graph.settle(&state, workspace: &graphWorkspace, clamps: clamps, options: options)
            let before = pck_thread_allocation_count()
            _ = try graph.settle(&state, workspace: &graphWorkspace, clamps: clamps, options: options)
            return pck_thread_allocation_count() - before
        }
        let (graphShort, graphLong) = (try runGraph(5), try runGraph(45))
        #expect(graphLong == graphShort && graphLong == 0, "memory graph: \(graphShort) and \(graphLong) allocations")
    }

    /// Associative recall (PCCore article ModesAndMemory): 20 stored digits, stored by IL in the softmax memory, recalled from their top half: the
    /// recalled bottom half alone (the clamped top half not counted) is nearest to the right
    /// pattern's bottom half for ≥ 18/20, with an error far below filling in the mean image.
    @Test func softmaxMemoryRecallsDigitsFromTheirTopHalf() throws {
        let (train, _) = try Digits.split(as: Float.self)
        let p = 20
        let stored = try train.features.rows(0..<p).copy()
        var rng = Xoshiro256(seed: 11)
        var memory = try SoftmaxMemory<Float>(patternSize: 64, units: p, gain: 4, priorPrecision: 0.1, using: &rng)
        var codes = try Matrix<Float>(rows: p, columns: p)
        for i in 0..<p { codes[i, i] = 2 }
        let energies = try memory.store(stored, codes: codes, options: SoftmaxMemoryStorageOptions(epochs: 100)).energies
        #expect(energies.last! < 0.1 * energies.first!, "storage energy \(energies.first!) → \(energies.last!)")
        let (cue, observed) = try Self.topHalfCue(stored)
        var workspace = try SoftmaxMemoryWorkspace(for: memory, batchSize: p, traceCapacity: 300)
        let report = try memory.recall(cue, observed: observed, workspace: &workspace, options: InferenceOptions(stepSize: 0.1, maxIterations: 300))
        #expect(!report.diverged && report.finalEnergy < report.initialEnergy)
        let (correct, mse) = Self.recalledHalfScore(workspace.data, stored)
        let baseline = Self.meanFillError(stored)
        #expect(correct >= 18, "\(correct)/\(p) recalled halves nearest to their own")
        #expect(mse < 0.2 * baseline, "recalled-half MSE \(mse), mean fill \(baseline)")
        for i in 0..<p { for j in 0..<32 { #expect(workspace.data[i, j] == stored[i, j]) } }
    }

    /// The fully connected cyclic memory graph trained with IL on 20 digits recalls each from
    /// its top half: recalled bottom half nearest to its own for ≥ 18/20, error far below mean fill.
    @Test func fullyConnectedGraphRecallsDigitsFromTheirTopHalf() throws {
        let (train, _) = try Digits.split(as: Float.self)
        let p = 20
        let stored = try train.features.rows(0..<p).copy()
        var rng = Xoshiro256(seed: 21)
        var graph = try PCGraph<Float>.fullyConnectedMemory(dataSize: 64, memoryUnits: p, softmaxGain: 4, using: &rng)
        var learner = try PCLearner(for: graph, batchSize: p, options: LearningOptions(
            rule: .il, inference: InferenceOptions(stepSize: 0.05, maxIterations: 20, initialization: .keep), optimizer: .adam(learningRate: 0.01)))
        var codes = try Matrix<Float>(rows: p, columns: p)
        for i in 0..<p { codes[i, i] = 2 }
        try learner.state.setActivity(0, stored)
        try learner.state.setActivity(1, codes)
        var energies: [Double] = []
        for _ in 0..<200 { energies.append(try learner.step(&graph, clamps: PCGraphClamps(nodeCount: 2, clamped: [0])).finalEnergy) }
        #expect(energies.last! < 0.1 * energies.first!, "training energy \(energies.first!) → \(energies.last!)")
        let (cue, observed) = try Self.topHalfCue(stored)
        var state = try PCGraphState(for: graph, batchSize: p)
        try state.setActivity(0, cue)
        var workspace = try PCGraphWorkspace(for: graph, batchSize: p, traceCapacity: 600)
        let report = try graph.settle(&state, workspace: &workspace, clamps: PCGraphClamps([.masked(observed), .free]),
                                      options: InferenceOptions(stepSize: 0.05, maxIterations: 600, initialization: .keep))
        #expect(!report.diverged && report.finalEnergy < report.initialEnergy)
        let (correct, mse) = Self.recalledHalfScore(state.activities[0], stored)
        let baseline = Self.meanFillError(stored)
        #expect(correct >= 18, "\(correct)/\(p) recalled halves nearest to their own")
        #expect(mse < 0.2 * baseline, "recalled-half MSE \(mse), mean fill \(baseline)")
    }
}
