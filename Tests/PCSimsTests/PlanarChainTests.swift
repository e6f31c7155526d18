import Testing
import PCEnvironment
import PCNumerics
import PCSims
import _PCTestSupport
import Foundation

/// Cholesky factorisation succeeds (all pivots > 0) iff the symmetric matrix is positive definite.
func isPositiveDefinite(_ a: [[Double]]) -> Bool {
    let n = a.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for j in 0..<n {
        var d = a[j][j]
        for k in 0..<j { d -= l[j][k] * l[j][k] }
        guard d > 0 else { return false }
        l[j][j] = d.squareRoot()
        for i in (j + 1)..<max(j + 1, n) {
            var s = a[i][j]
            for k in 0..<j { s -= l[i][k] * l[j][k] }
            l[i][j] = s / l[j][j]
        }
    }
    return true
}

@Suite struct PlanarChainTests {
    // The closed forms of PCSims article Tasks, section Two-link test plant, for the unbiased-AIC plant.
    let I1 = 1.0209, I2 = 1.0218, m1 = 2.1368, m2 = 2.2418, L1 = 1.0446, Lg1 = 0.5451, Lg2 = 0.5075, g = 9.81
    let D = [101.519, 103.8566]

    @Test func twoLinkMassMatrixMatchesTheTextbookClosedForm() {
        let chain = PlanarChain.unbiasedAICPlant
        for q in [[0.0, 0.0], [-Double.pi / 2, 0.7], [1.3, -2.9], [0.4, Double.pi]] {
            let c2 = cos(q[1])
            let m11 = I1 + I2 + m1 * Lg1 * Lg1 + m2 * (L1 * L1 + Lg2 * Lg2 + 2 * L1 * Lg2 * c2)
            let m12 = I2 + m2 * (Lg2 * Lg2 + L1 * Lg2 * c2)
            let m22 = I2 + m2 * Lg2 * Lg2
            let m = chain.massMatrix(q: q)
            assertClose(m.flatMap { $0 }, [m11, m12, m12, m22], rtol: 1e-13, atol: 1e-13)
        }
    }

    @Test func twoLinkAccelerationMatchesTheClosedFormEquationsOfMotion() {
        // q̈ = M⁻¹(τ − C q̇ − D q̇ − G) with the C and G of PCSims article Tasks, section Two-link test plant (an independent derivation).
        let chain = PlanarChain.unbiasedAICPlant
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<20 {
            let q = [rng.uniform(-3, 3), rng.uniform(-3, 3)], v = [rng.uniform(-4, 4), rng.uniform(-4, 4)]
            let tau = [rng.uniform(-50, 50), rng.uniform(-50, 50)]
            let s2 = sin(q[1]), c2 = cos(q[1])
            let h = m2 * L1 * Lg2
            let cq = [-h * v[1] * s2 * v[0] - h * (v[0] + v[1]) * s2 * v[1], h * v[0] * s2 * v[0]]
            let gq = [g * (m1 * Lg1 * cos(q[0]) + m2 * (Lg2 * cos(q[0] + q[1]) + L1 * cos(q[0]))), g * m2 * Lg2 * cos(q[0] + q[1])]
            let b = (0..<2).map { tau[$0] - cq[$0] - D[$0] * v[$0] - gq[$0] }
            let m11 = I1 + I2 + m1 * Lg1 * Lg1 + m2 * (L1 * L1 + Lg2 * Lg2 + 2 * L1 * Lg2 * c2)
            let m12 = I2 + m2 * (Lg2 * Lg2 + L1 * Lg2 * c2), m22 = I2 + m2 * Lg2 * Lg2
            let det = m11 * m22 - m12 * m12
            let expected = [(m22 * b[0] - m12 * b[1]) / det, (m11 * b[1] - m12 * b[0]) / det]
            assertClose(chain.acceleration(q: q, velocity: v, torque: tau), expected, rtol: 1e-11, atol: 1e-11)
        }
    }

    @Test func gravityTorquesAreTheGradientOfThePotential() throws {
        for n in [1, 3, 7] {
            let chain = try PlanarChain(links: (0..<n).map { PlanarLink(length: 0.5 + 0.1 * Double($0), mass: 1 + Double($0), centerOfMass: 0.2, inertia: 0.05) })
            var rng = Xoshiro256(seed: UInt64(n))
            let q = (0..<n).map { _ in rng.uniform(-3, 3) }
            let numeric = finiteDifferenceGradient(at: q) { chain.potentialEnergy(q: $0) }
            assertClose(chain.gravityTorques(q: q), numeric, rtol: 1e-7, atol: 1e-7)
        }
    }

    @Test func jacobiansMatchFiniteDifferences() throws {
        for n in [2, 3, 7] {
            let chain = try PlanarChain.uniformRods(count: n, length: 0.7)
            var rng = Xoshiro256(seed: 10 + UInt64(n))
            let q = (0..<n).map { _ in rng.uniform(-3, 3) }
            for link in 0..<n {
                let along = rng.uniform(0, 0.7), across = rng.uniform(-0.1, 0.1)
                let numeric = finiteDifferenceJacobian(at: q) { x in
                    let p = chain.pointPosition(q: x, link: link, along: along, across: across)
                    return [p.x, p.y]
                }
                let analytic = chain.pointJacobian(q: q, link: link, along: along, across: across)
                assertClose(analytic.flatMap { $0 }, numeric.flatMap { $0 }, rtol: 1e-7, atol: 1e-8, "n \(n) link \(link)")
            }
        }
    }

    @Test func massMatrixIsSymmetricPositiveDefiniteAlongRandomTrajectories() throws {
        for n in [2, 3, 7] {
            var env = try PlanarArm.rods(count: n, seed: UInt64(n))
            var rng = Xoshiro256(seed: 99)
            var observation = env.reset(seed: 5)
            for step in 0..<500 {
                let action = (0..<n).map { _ in rng.uniform(-1, 1) }
                _ = try env.step(action, observation: &observation)
                guard step % 25 == 0 else { continue }
                let q = Array(env.state[0..<n])
                let m = env.model.chain.massMatrix(q: q, includingArmature: false)
                for k in 0..<n { for l in 0..<n { #expect(m[k][l] == m[l][k]) } }
                #expect(isPositiveDefinite(m), "n \(n) step \(step) q \(q)")
            }
        }
    }

    /// Relative energy drift of n uniform rods (1 m, 1 kg) released from rest at angles
    /// U[−amplitude, amplitude] about `base` (the first joint) and about 0 (the others) over 10 s with RK4 at `timeStep`, measured against the energy
    /// above the lowest configuration (all links hanging down), the scale of the motion.
    func energyDrift(links: Int, base: Double = 0, amplitude: Double, timeStep: Double) throws -> (drift: Double, fastest: Double) {
        let chain = try PlanarChain.uniformRods(count: links)
        let model = try PlanarArmModel(chain: chain, timeStep: timeStep, integrator: .rk4, gear: [Double](repeating: 1, count: links))
        let task = PlanarArmTask(startAngles: [Double](repeating: 0, count: links), observation: .joints, episodeSteps: 10_000)
        var env = try PlanarArm(model: model, task: task)
        var rng = Xoshiro256(seed: UInt64(links))
        let q0 = (0..<links).map { (i: Int) in (i == 0 ? base : 0) + rng.uniform(-amplitude, amplitude) }
        var observation = try env.reset(state: q0 + [Double](repeating: 0, count: links) + [0, 0])
        func energy() -> Double {
            let s = env.state
            return chain.kineticEnergy(q: Array(s[0..<links]), velocity: Array(s[links..<2 * links]))
                + chain.potentialEnergy(q: Array(s[0..<links]))
        }
        let lowest = chain.potentialEnergy(q: [-Double.pi / 2] + [Double](repeating: 0, count: links - 1))
        let e0 = energy()
        let zero = [Double](repeating: 0, count: links)
        var worst = 0.0, fastest = 0.0
        for _ in 0..<Int((10 / timeStep).rounded()) {
            _ = try env.step(zero, observation: &observation)
            worst = max(worst, abs(energy() - e0) / (e0 - lowest))
            fastest = max(fastest, observation[links..<2 * links].map(abs).max()!)
        }
        return (worst, fastest)
    }

    @Test(arguments: [2, 3, 7])
    func energyIsConservedWithRK4WithoutDampingOrTorque(links: Int) throws {
        // Released from rest within ±1 rad of hanging straight down, every joint.
        let (drift, fastest) = try energyDrift(links: links, base: -.pi / 2, amplitude: 1, timeStep: 1e-3)
        print("\(links) links, released within ±1 rad of hanging: max relative energy error \(drift), fastest joint \(fastest) rad/s")
        #expect(drift <= 1e-6)
        #expect(fastest > 1)   // the arm really moved
    }

    @Test func energyErrorOfAViolentSevenLinkWhipShrinksAtFourthOrder() throws {
        // Released within ±1 rad of horizontal, the 7-link chain falls and whips to ~85 rad/s and
        // RK4 at 1e-3 drifts by ~6e-6 (more than the 1e-6 above); halving the step must cut the drift by ~2⁴ (a dynamics bug would not converge).
        let coarse = try energyDrift(links: 7, amplitude: 1, timeStep: 1e-3).drift
        let fine = try energyDrift(links: 7, amplitude: 1, timeStep: 5e-4).drift
        print("7 links, released within ±1 rad of horizontal: drift \(coarse) at 1e-3, \(fine) at 5e-4")
        #expect(coarse / fine > 10)
    }
}
