import Testing
@testable import PCAgents
import PCNumerics
import _PCTestSupport
import _PCKernels
#if canImport(Glibc)
import Glibc
#endif

/// The learned model's adjoint (what the shooting planner uses) against its analytic Jacobians, and
/// its tanh against the C library's.
@Suite struct LearnedDynamicsTests {
    /// A model learned from 100 babbling transitions of the pendulum (10 batches).
    static func trainedModel(hidden: [Int], activation: Activation, seed: UInt64, babblingSeed: UInt64) throws -> LearnedDynamics {
        var learner = try ModelLearner(options: ModelLearnerTests.options(hidden: hidden, activation: activation, seed: seed))
        try ModelLearnerTests.babble(&learner, steps: 100, seed: babblingSeed)
        try learner.train(batches: 10)
        return try #require(learner.dynamics)
    }

    /// Aᵀξ and Bᵀξ from the recorded forward pass equal the products with A and B from `linearize`
    /// (to rounding), and the recording transition gives exactly `transition`'s x′; small networks
    /// pull back on the stack, [160] through the per-thread scratch. Beyond the torque bound Bᵀξ = 0.
    @Test(arguments: [([8, 8], Activation.tanh), ([8], Activation.softplus), ([6, 5], Activation.sigmoid), ([160], Activation.tanh)])
    func pullbackIsTheTransposedJacobianProduct(hidden: [Int], activation: Activation) throws {
        let model = try Self.trainedModel(hidden: hidden, activation: activation, seed: 5, babblingSeed: 4)
        var generator = Xoshiro256(seed: 21)
        var tape = [Double](repeating: .nan, count: model.adjointTapeCount)
        for trial in 0..<25 {
            let x = [generator.uniform(-4, 4), generator.uniform(-8, 8)]
            let u = [trial == 24 ? 2.5 : generator.uniform(-1.9, 1.9)]
            let xi = [generator.uniform(-3, 3), generator.uniform(-3, 3)]
            var a = [Double](repeating: 0, count: 4), b = [0.0, 0.0], next = [0.0, 0.0], recorded = next
            var stateCotangent = [0.0, 0.0], actionCotangent = [0.0]
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
                a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
                next.withUnsafeMutableBufferPointer { model.transition(state: xs, action: us, next: $0) }
                tape.withUnsafeMutableBufferPointer { tp in
                    recorded.withUnsafeMutableBufferPointer { model.transitionRecording(state: xs, action: us, next: $0, tape: tp.baseAddress!) }
                    xi.withUnsafeBufferPointer { cp in stateCotangent.withUnsafeMutableBufferPointer { sp in actionCotangent.withUnsafeMutableBufferPointer {
                        model.pullback(state: xs, action: us, tape: tp.baseAddress!, cotangent: cp.baseAddress!,
                                       stateCotangent: sp.baseAddress!, actionCotangent: $0.baseAddress!)
                    } } }
                }
            } }
            #expect(recorded == next)
            let expectedState = (0..<2).map { j in a[j] * xi[0] + a[2 + j] * xi[1] }
            let expectedAction = [b[0] * xi[0] + b[1] * xi[1]]
            assertClose(stateCotangent, expectedState, rtol: 1e-12, atol: 1e-13, "Aᵀξ at x = \(x), u = \(u)")
            assertClose(actionCotangent, expectedAction, rtol: 1e-12, atol: 1e-13, "Bᵀξ at x = \(x), u = \(u)")
            if trial == 24 { #expect(actionCotangent == [0]) }
        }
    }

    /// fastSinCos against glibc's sin and cos: within 2·10⁻¹⁶ absolute (a few ulp of 1) on a dense grid
    /// of [−100, 100] and at large angles up to 10⁵; beyond, NaN and ±∞ as the C library.
    @Test func fastSinCosMatchesTheCLibrary() {
        var worst = 0.0, worstAt = 0.0
        func check(_ x: Double) {
            let (s, c) = fastSinCos(x)
            let error = max(abs(s - sin(x)), abs(c - cos(x)))
            if error > worst { worst = error; worstAt = x }
        }
        for i in 0..<400_001 { check(-100 + 200 * Double(i) / 400_000) }
        for i in 0..<10_001 { check(-1e5 + 2e5 * Double(i) / 10_000) }
        for v in [1e-300, 1e-8, .pi / 4, .pi / 2, .pi, 3 * .pi / 2] { check(v); check(-v) }
        #expect(worst <= 2.3e-16, "fastSinCos is \(worst) from sin/cos at \(worstAt)")
        #expect(fastSinCos(2e5) == (sin(2e5), cos(2e5)))
        #expect(fastSinCos(.nan).sin.isNaN && fastSinCos(.infinity).cos.isNaN)
        #expect(fastSinCos(1e-300).sin == 1e-300)
    }

    /// The batched transition (the kernel pck_learned_forward_f64) against `transition`, on every
    /// kernel path this CPU runs: within 10⁻¹² relative, with angles (including one beyond 10⁵ rad and
    /// NaN), clipped actions and the activations a learned model supports.
    @Test(arguments: [([8, 8], Activation.tanh), ([8], Activation.softplus), ([6, 5], Activation.sigmoid),
                      ([7], Activation.relu), ([5], Activation.leakyReLU(slope: 0.1)), ([160], Activation.tanh)])
    func batchedTransitionMatchesTransition(hidden: [Int], activation: Activation) throws {
        let model = try Self.trainedModel(hidden: hidden, activation: activation, seed: 6, babblingSeed: 5)
        var generator = Xoshiro256(seed: 31)
        for count in [1, 7, 33] {
            var states = (0..<(2 * count)).map { i in i % 2 == 0 ? generator.uniform(-9, 9) : generator.uniform(-8, 8) }
            let actions = (0..<count).map { _ in generator.uniform(-2.5, 2.5) }
            if count == 33 { states[0] = 3e5; states[2] = .nan }
            var expected = [Double](repeating: 0, count: 2 * count)
            for s in 0..<count {
                states.withUnsafeBufferPointer { xs in actions.withUnsafeBufferPointer { us in expected.withUnsafeMutableBufferPointer {
                    model.transition(state: UnsafeBufferPointer(rebasing: xs[(2 * s)..<(2 * s + 2)]),
                                     action: UnsafeBufferPointer(rebasing: us[s..<(s + 1)]),
                                     next: UnsafeMutableBufferPointer(rebasing: $0[(2 * s)..<(2 * s + 2)]))
                } } }
            }
            for path in KernelPath.available {
                try KernelPath.selectForCurrentThread(path)
                var batch = [Double](repeating: -1, count: 2 * count)
                states.withUnsafeBufferPointer { xs in actions.withUnsafeBufferPointer { us in batch.withUnsafeMutableBufferPointer {
                    model.transitionBatch(states: xs.baseAddress!, actions: us.baseAddress!, next: $0.baseAddress!, count: count)
                } } }
                for i in 0..<(2 * count) {
                    if expected[i].isNaN {
                        #expect(batch[i].isNaN, "\(path.rawValue): pair \(i / 2) should be NaN")
                    } else {
                        #expect(abs(batch[i] - expected[i]) <= 1e-12 * max(1, abs(expected[i])),
                                "\(path.rawValue), \(count) pairs: x′[\(i)] = \(batch[i]), transition gives \(expected[i])")
                    }
                }
            }
            try KernelPath.selectForCurrentThread(nil)
        }
    }

    /// On every kernel path, a single pair (`transition`, through `pck_learned_record_f64`) gives the
    /// batched kernel's x′ bit for bit (the same sums in the same order), and the single-pair kernel
    /// without the transposed weights gives the same x_L as with them.
    @Test(arguments: [([8, 8], Activation.tanh), ([8], Activation.softplus), ([32], Activation.tanh), ([160], Activation.tanh)])
    func singlePairKernelGivesTheBatchedKernelsResult(hidden: [Int], activation: Activation) throws {
        let model = try Self.trainedModel(hidden: hidden, activation: activation, seed: 7, babblingSeed: 6)
        var generator = Xoshiro256(seed: 41)
        let count = 19
        var states = (0..<(2 * count)).map { i in i % 2 == 0 ? generator.uniform(-9, 9) : generator.uniform(-8, 8) }
        states[0] = 3e5
        let actions = (0..<count).map { _ in generator.uniform(-2.5, 2.5) }
        let total = model.sizes.reduce(0, +), top = total - model.sizes.last!
        for path in KernelPath.available {
            try KernelPath.selectForCurrentThread(path)
            var batch = [Double](repeating: -1, count: 2 * count), single = batch
            states.withUnsafeBufferPointer { xs in actions.withUnsafeBufferPointer { us in
                batch.withUnsafeMutableBufferPointer {
                    model.transitionBatch(states: xs.baseAddress!, actions: us.baseAddress!, next: $0.baseAddress!, count: count)
                }
                single.withUnsafeMutableBufferPointer { next in
                    for s in 0..<count {
                        model.transition(state: UnsafeBufferPointer(rebasing: xs[(2 * s)..<(2 * s + 2)]),
                                         action: UnsafeBufferPointer(rebasing: us[s..<(s + 1)]),
                                         next: UnsafeMutableBufferPointer(rebasing: next[(2 * s)..<(2 * s + 2)]))
                    }
                }
                // Without the transposed weights: one output at a time, the same sums.
                var plain = model.kernel.pointer.pointee
                plain.transposed_weights = nil
                var a = [Double](repeating: .nan, count: 2 * total), b = a
                for s in 0..<count {
                    let x = xs.baseAddress! + 2 * s, u = us.baseAddress! + s
                    let first = a.withUnsafeMutableBufferPointer { buffer in
                        pck_learned_record_f64(model.kernel.pointer, x, u, buffer.baseAddress!, buffer.baseAddress! + total, nil)
                    }
                    let second = b.withUnsafeMutableBufferPointer { buffer in
                        pck_learned_record_f64(&plain, x, u, buffer.baseAddress!, buffer.baseAddress! + total, nil)
                    }
                    #expect(first == 0 && second == 0)
                    #expect(Array(a[top..<total]) == Array(b[top..<total]), "\(path.rawValue): pair \(s)")
                }
            } }
            #expect(single == batch, "\(path.rawValue): single pairs differ from the batch")
        }
        try KernelPath.selectForCurrentThread(nil)
    }

    /// A reload in place (a learning agent's model swap) refreshes the kernel's transposed weights:
    /// the reloaded model predicts exactly as a model built from the new network.
    @Test func reloadedModelPredictsAsANewModel() throws {
        var learner = try ModelLearner(options: ModelLearnerTests.options(hidden: [8], activation: .tanh, seed: 5))
        try ModelLearnerTests.babble(&learner, steps: 100, seed: 4)
        try learner.train(batches: 10)
        let normalization = try #require(learner.normalization)
        var model = LearnedDynamics(network: learner.network, options: learner.options, normalization: normalization)
        try learner.train(batches: 10)
        let reloaded = model.reload(from: learner.network, normalization: normalization)
        #expect(reloaded)
        let fresh = LearnedDynamics(network: learner.network, options: learner.options, normalization: normalization)
        var generator = Xoshiro256(seed: 51)
        for _ in 0..<10 {
            let x = [generator.uniform(-4, 4), generator.uniform(-8, 8)], u = [generator.uniform(-2, 2)]
            var next = [0.0, 0.0], expected = next
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
                next.withUnsafeMutableBufferPointer { model.transition(state: xs, action: us, next: $0) }
                expected.withUnsafeMutableBufferPointer { fresh.transition(state: xs, action: us, next: $0) }
            } }
            #expect(next == expected)
        }
    }

    /// fastTanh against glibc's tanh: within 4 ulp on a dense grid of [−25, 25] and on magnitudes
    /// 10⁻³⁰⁰…10⁻³ (where tanh v ≈ v), odd, saturating at ±1, NaN for NaN.
    @Test func fastTanhIsWithinFourUlpOfTheCLibrary() {
        func ulps(_ v: Double) -> Double {
            let reference = tanh(v)
            return abs(fastTanh(v) - reference) / reference.magnitude.ulp
        }
        var worst = 0.0, worstAt = 0.0
        for i in 0..<400_001 {
            let v = -25 + 50 * Double(i) / 400_000
            if tanh(v) != 0, ulps(v) > worst { worst = ulps(v); worstAt = v }
        }
        for i in 0..<2_971 {
            let v = pow(10, -300 + Double(i) * 0.1)
            if ulps(v) > worst { worst = ulps(v); worstAt = v }
            #expect(fastTanh(-v) == -fastTanh(v))
        }
        #expect(worst <= 4, "fastTanh is \(worst) ulp from tanh at \(worstAt)")
        #expect(fastTanh(0) == 0 && fastTanh(.infinity) == 1 && fastTanh(-.infinity) == -1 && fastTanh(30) == 1)
        #expect(fastTanh(.nan).isNaN)
    }
}
