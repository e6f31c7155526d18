import Testing
@testable import PCAgents
import PCNumerics
import _PCTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The learned model's adjoint (what the shooting planner uses) against its analytic Jacobians, and
/// its tanh against the C library's.
@Suite struct LearnedDynamicsTests {
    /// Aᵀξ and Bᵀξ from the recorded forward pass equal the products with A and B from `linearize`
    /// (to rounding), and the recording transition gives exactly `transition`'s x′; small networks
    /// pull back on the stack, [160] through the per-thread scratch. Beyond the torque bound Bᵀξ = 0.
    @Test(arguments: [([8, 8], Activation.tanh), ([8], Activation.softplus), ([6, 5], Activation.sigmoid), ([160], Activation.tanh)])
    func pullbackIsTheTransposedJacobianProduct(hidden: [Int], activation: Activation) throws {
        var learner = try ModelLearner(options: ModelLearnerTests.options(hidden: hidden, activation: activation, seed: 5))
        try ModelLearnerTests.babble(&learner, steps: 100, seed: 4)
        try learner.train(batches: 10)
        let model = try #require(learner.dynamics)
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
