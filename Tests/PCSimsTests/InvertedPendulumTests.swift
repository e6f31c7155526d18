import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct InvertedPendulumTests {
    @Test func massesMatchTheGeometryOfTasks() {
        let model = InvertedPendulumModel.gymnasium
        assertClose(model.poleMass, 5.02, rtol: 0, atol: 0.005)
        assertClose(model.cartMass, 10.47, rtol: 0, atol: 0.005)
    }

    @Test func smallOscillationsHangingDownHaveTheLinearisedFrequency() throws {
        // Without damping, hanging (θ = π) with a free cart: ω² = m g lc (M + m) / ((M + m)(m lc² + I) − (m lc)²).
        // Count the time between sign changes of θ − π over several periods.
        let model = InvertedPendulumModel(cartDamping: 0, poleDamping: 0)
        let (M, m, lc, I, g) = (model.cartMass, model.poleMass, model.poleCenterOfMass, model.poleInertia, model.gravity)
        let omega = (m * g * lc * (M + m) / ((M + m) * (m * lc * lc + I) - (m * lc) * (m * lc))).squareRoot()
        var s = SIMD4<Double>(0, .pi + 1e-3, 0, 0)
        var crossings: [Double] = []
        var previous = s[1] - .pi
        for k in 1...2000 {
            s = model.advance(s, action: 0)
            let now = s[1] - .pi
            if (previous > 0) != (now > 0) {
                // Linear interpolation of the zero crossing inside the step.
                crossings.append((Double(k - 1) + previous / (previous - now)) * model.timeStep)
            }
            previous = now
        }
        let halfPeriod = (crossings.last! - crossings.first!) / Double(crossings.count - 1)
        assertClose(Double.pi / halfPeriod, omega, rtol: 1e-4, atol: 0)
    }

    /// Relative energy drift over 10 s without damping, swinging below the hinge (θ = π − 1) so the
    /// cart stays clear of its end stops.
    func drift(substeps: Int) -> Double {
        let free = InvertedPendulumModel(cartDamping: 0, poleDamping: 0, substeps: substeps)
        var s = SIMD4<Double>(0, .pi - 1, 0, 0)
        let e0 = free.energy(s)
        var worst = 0.0
        for _ in 0..<250 {
            s = free.advance(s, action: 0)
            #expect(abs(s[0]) < 1)
            worst = max(worst, abs(free.energy(s) - e0) / abs(e0))
        }
        return worst
    }

    @Test func energyIsConservedToRK4AccuracyWithoutDampingAndDecaysWithIt() {
        // Gymnasium's 2 × 0.02 s drifts ~1e-5; halving the step must cut that at least ~16× (fourth order or better),
        // and 8 sub-steps (5 ms) conserve to 1e-6.
        let coarse = drift(substeps: 2), fine = drift(substeps: 4)
        #expect(coarse / fine > 12, "ratio \(coarse / fine)")   // measured ≈ 30: at least fourth order
        #expect(drift(substeps: 8) < 1e-6)
        let damped = InvertedPendulumModel.gymnasium
        var d = SIMD4<Double>(0, .pi - 1, 0, 0)
        let e0 = damped.energy(d)
        for _ in 0..<250 { d = damped.advance(d, action: 0) }
        #expect(damped.energy(d) < e0 - 1)
    }

    @Test func terminatesBeyondPointTwoRadians() throws {
        var env = InvertedPendulum()
        _ = try env.reset(state: [0, 0.19, 0, 2])
        let t = try env.step([0])
        #expect(t.terminated && t.reward == 0)
        _ = try env.reset(state: [0, 0, 0, 0])
        let upright = try env.step([0])
        #expect(!upright.terminated && upright.reward == 1)
    }

    @Test func passesTheCheckerAndAllocatesNothing() throws {
        let check = checkEnvironment(InvertedPendulum())
        #expect(check.passed, "\(check)")
        var env = InvertedPendulum()
        #expect(try allocationsPerEpisode(&env, action: [0.1]) == 0)
    }
}
