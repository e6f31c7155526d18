import Testing
import PCSims
import Foundation

/// The integrators on the harmonic oscillator q̈ = −q, q(0) = 1, q̇(0) = 0, exact q(t) = cos t.
@Suite struct IntegratorTests {
    func error(_ integrator: Integrator, step h: Double, until t: Double = 2) -> Double {
        var q = SIMD2<Double>(1, 0), v = SIMD2<Double>(0, 0)
        for _ in 0..<Int((t / h).rounded()) {
            integrate(integrator, position: &q, velocity: &v, timeStep: h) { q, _ in -q }
        }
        return max(abs(q[0] - cos(t)), abs(v[0] + sin(t)))
    }

    @Test(arguments: [(Integrator.explicitEuler, 1.0), (.semiImplicitEuler, 1.0), (.rk4, 4.0)])
    func convergesAtItsOrder(integrator: Integrator, order: Double) {
        // Halving h divides the error by 2^order.
        let ratio = error(integrator, step: 0.01) / error(integrator, step: 0.005)
        #expect(abs(log2(ratio) - order) < 0.15, "\(integrator): observed order \(log2(ratio))")
    }

    @Test func semiImplicitEulerKeepsEnergyBoundedWhereExplicitEulerDrifts() {
        func energyAfter(_ integrator: Integrator) -> Double {
            var q = SIMD2<Double>(1, 0), v = SIMD2<Double>(0, 0)
            for _ in 0..<100_000 {   // 1000 s at h = 0.01
                integrate(integrator, position: &q, velocity: &v, timeStep: 0.01) { q, _ in -q }
            }
            return 0.5 * (q[0] * q[0] + v[0] * v[0])
        }
        #expect(abs(energyAfter(.semiImplicitEuler) - 0.5) < 0.01)   // symplectic: O(h) oscillation, no drift
        #expect(energyAfter(.explicitEuler) > 100)                   // grows like e^{h t}
    }

    @Test func subStepsEqualRepeatedShortSteps() {
        var q1 = SIMD2<Double>(0.3, -1), v1 = SIMD2<Double>(2, 0.5)
        var q2 = q1, v2 = v1
        let field: (SIMD2<Double>, SIMD2<Double>) -> SIMD2<Double> = { q, v in -q * q * q - 0.1 * v }
        integrate(.rk4, position: &q1, velocity: &v1, timeStep: 0.2, substeps: 4, acceleration: field)
        for _ in 0..<4 { integrate(.rk4, position: &q2, velocity: &v2, timeStep: 0.2 / 4, acceleration: field) }
        #expect(q1 == q2 && v1 == v2)
    }
}
