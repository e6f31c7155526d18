import Foundation
import Testing
import PCCore
import PCNumerics
import _PCTestSupport

/// The fused settle kernel (`InferenceKernel.automatic`) against the generic loop (`.generic`,
/// the reference): same states, energies, stopping and recovery, for every activation, with and
/// without biases, for identity, diagonal and learned precisions; for synchronous gradient
/// descent and for SeqIL's sequential sweep.
struct FusedInferenceTests {
    /// Runs the same settle on both kernels and compares everything the settle returns or leaves.
    func compare<S: PCScalar>(_ network: PCNetwork<S>, _ start: PCState<S>, options: InferenceOptions, rtol: S,
                              _ comment: String) throws {
        var fused = start, generic = start
        var fusedWorkspace = try InferenceWorkspace(for: network, batchSize: start.batchSize)
        var genericWorkspace = try InferenceWorkspace(for: network, batchSize: start.batchSize)
        var genericOptions = options
        genericOptions.kernel = .generic
        let a = try network.settle(&fused, workspace: &fusedWorkspace, options: options)
        let b = try network.settle(&generic, workspace: &genericWorkspace, options: genericOptions)
        #expect(a.iterations == b.iterations, "\(comment): iterations")
        #expect(a.stop == b.stop, "\(comment): stop")
        #expect(a.bestIteration == b.bestIteration, "\(comment): best iteration")
        #expect(a.energies.count == b.energies.count, "\(comment): trace length")
        assertClose(a.energies, b.energies, rtol: Double(rtol), atol: 0.0, "\(comment): energies")
        assertClose(a.finalEnergy, b.finalEnergy, rtol: Double(rtol), atol: 0.0, "\(comment): final energy")
        for l in 0...network.depth {
            let scale = max(S(1), fused.activities[l].elements.map(abs).max() ?? 1)
            assertClose(fused.activities[l].elements, generic.activities[l].elements, rtol: rtol, atol: rtol * scale, "\(comment): x\(l)")
            if l >= 1 {
                assertClose(fused.predictions[l].elements, generic.predictions[l].elements, rtol: rtol, atol: rtol * scale, "\(comment): μ\(l)")
                assertClose(fused.errors[l].elements, generic.errors[l].elements, rtol: rtol, atol: rtol * scale, "\(comment): ε\(l)")
            }
        }
        // The workspace is left ready for the parameter gradients (rates, weighted errors current).
        var ga = try ParameterGradients(for: network), gb = try ParameterGradients(for: network)
        try network.parameterGradients(fused, workspace: fusedWorkspace, into: &ga)
        try network.parameterGradients(generic, workspace: genericWorkspace, into: &gb)
        let scale = max(S(1), gb.flattened.map(abs).max() ?? 1)
        assertClose(ga.flattened, gb.flattened, rtol: rtol, atol: rtol * scale, "\(comment): ∂F/∂θ")
    }

    static let activations: [Activation] = [.relu, .tanh, .sigmoid, .leakyReLU(slope: 0.1), .gelu, .softplus, .identity]
    /// The methods the fused kernel runs.
    static let methods: [InferenceMethod] = [.gradientDescent, .sequential]

    @Test(arguments: activations)
    func matchesTheGenericLoopInDouble(activation: Activation) throws {
        for (seed, sizes) in [(UInt64(1), [4, 7, 5, 3]), (2, [6, 9, 8, 7, 5, 2]), (3, [5, 3])] {
            for bias in [true, false] {
                var rng = Xoshiro256(seed: seed)
                let precisions: [PrecisionSpecification] = (1..<sizes.count).map { l in
                    switch l % 3 {
                    case 0: .diagonal((0..<sizes[l]).map { 0.5 + Double($0 % 3) * 0.25 })
                    case 1: .identity
                    default: .learnedLogVariance(initial: 0.3)
                    }
                }
                let network = try PCNetwork<Double>(sizes: sizes, activation: activation, bias: bias, precisions: precisions, using: &rng)
                var state = try Fixtures.randomState(network, batch: 5, seed: seed + 10)
                for method in Self.methods {
                    for initialization in [InferenceInitialization.feedforward, .keep] {
                        try compare(network, state, options: InferenceOptions(stepSize: 0.1, maxIterations: 20, method: method,
                                                                              initialization: initialization),
                                    rtol: 1e-12, "\(activation) \(sizes) bias \(bias) \(method) \(initialization)")
                    }
                }
                // Learned precisions with non-default log-variances.
                state = try Fixtures.randomState(network, batch: 3, seed: seed + 20)
                for method in Self.methods {
                    try compare(network, state, options: InferenceOptions(stepSize: 0.05, maxIterations: 7, method: method), rtol: 1e-12,
                                "\(activation) \(sizes) bias \(bias) \(method) short")
                }
            }
        }
    }

    /// Tolerance stopping and divergence recovery (restoring the best state from either buffer).
    @Test func stopsAndRecoversLikeTheGenericLoop() throws {
        var rng = Xoshiro256(seed: 7)
        let network = try PCNetwork<Double>(sizes: [3, 6, 6, 2], activation: .identity, initializer: .normal(standardDeviation: 1), using: &rng)
        let state = try Fixtures.randomState(network, batch: 4, seed: 8)
        for method in Self.methods {
            for step in [0.3, 0.6, 1.0, 5.0] {
                try compare(network, state, options: InferenceOptions(stepSize: step, maxIterations: 100, method: method), rtol: 1e-12,
                            "\(method) step \(step)")
                try compare(network, state, options: InferenceOptions(stepSize: step, maxIterations: 100, method: method, initialization: .keep),
                            rtol: 1e-12, "\(method) step \(step), keep")
            }
        }
        let tanh = try PCNetwork<Double>(sizes: [3, 5, 2], activation: .tanh, using: &rng)
        let start = try Fixtures.randomState(tanh, batch: 4, seed: 9)
        for method in Self.methods {
            try compare(tanh, start, options: InferenceOptions(stepSize: 0.1, maxIterations: 10_000, tolerance: 1e-6, method: method),
                        rtol: 1e-11, "\(method) tolerance")
        }
        // A non-finite start: nothing to restore; reported as diverged at t = 0 on both.
        var bad = start
        bad.activities[1][0, 0] = .nan
        var workspace = try InferenceWorkspace(for: tanh, batchSize: 4)
        let report = try tanh.settle(&bad, workspace: &workspace, options: InferenceOptions(initialization: .keep))
        #expect(report.diverged && report.iterations == 0 && report.energies.count == 1)
    }

    /// Float on the fused kernel (the AVX-512 small-product path where available) against the
    /// generic loop on Eigen, at the digits MLP's shapes and odd ones (edge tiles and masks).
    @Test(arguments: [[64, 128, 128, 10], [13, 37, 33, 5], [70, 17, 129, 1]])
    func matchesTheGenericLoopInFloat(sizes: [Int]) throws {
        var rng = Xoshiro256(seed: UInt64(sizes[1]))
        let network = try PCNetwork<Float>(sizes: sizes, activation: .relu, using: &rng)
        for batch in [64, 32, 9, 1] {
            var state = try PCState(for: network, batchSize: batch)
            try state.setInput(Matrix<Float>(rows: batch, columns: sizes[0], initializer: .uniform(low: 0, high: 1), using: &rng))
            try state.setOutput(Matrix<Float>(rows: batch, columns: sizes.last!, initializer: .uniform(low: 0, high: 1), using: &rng))
            for method in Self.methods {
                try compare(network, state, options: InferenceOptions(stepSize: 0.1, maxIterations: 20, method: method), rtol: 2e-4,
                            "\(sizes) B \(batch) \(method)")
            }
        }
    }

    /// Options decoded from JSON written before `kernel` existed default to `.automatic`.
    @Test func optionsWithoutAKernelDecode() throws {
        let json = #"{"stepSize":0.1,"maxIterations":20,"tolerance":0,"method":{"gradientDescent":{}},"initialization":{"feedforward":{}},"divergenceThreshold":1}"#
        let options = try JSONDecoder().decode(InferenceOptions.self, from: Data(json.utf8))
        #expect(options == InferenceOptions.standard)
        var generic = InferenceOptions.standard
        generic.kernel = .generic
        let roundTrip = try JSONDecoder().decode(InferenceOptions.self, from: JSONEncoder().encode(generic))
        #expect(roundTrip.kernel == .generic)
    }
}

/// The persistent worker pool behind `LearningOptions.threads`.
struct WorkerPoolTests {
    final class Counts: @unchecked Sendable {
        var hits = [Int](repeating: 0, count: 8)
        var threads = [UInt](repeating: 0, count: 8)
    }

    @Test func runsEveryIndexOnceOnItsOwnThread() throws {
        let pool = try WorkerPool(width: 4)
        let counts = Counts()
        for round in 1...2_000 {
            let count = round % 5  // 0…4
            pool.run({ context, index in
                let counts = Unmanaged<Counts>.fromOpaque(context!).takeUnretainedValue()
                counts.hits[index] += 1
                counts.threads[index] = pthread_self()
            }, context: Unmanaged.passUnretained(counts).toOpaque(), count: count)
        }
        // Index i ran in every round with count > i.
        for i in 0..<4 { #expect(counts.hits[i] == (1...2_000).filter { $0 % 5 > i }.count, "index \(i)") }
        #expect(counts.threads[0] == pthread_self())
        #expect(Set(counts.threads[0..<4]).count == 4)
        #expect(throws: NumericsError.self) { try WorkerPool(width: 0) }
    }
}
