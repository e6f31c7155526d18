import Testing
@testable import PCAgents
import _PCTestSupport

@Suite struct KinematicGradientTests {
    @Test func linkJacobianMatchesFiniteDifferences() {
        let parent = (x: 0.3, y: -0.2, phi: 0.7)
        let analytic = KinematicLink.jacobian(parent: parent, angle: -0.4, length: 0.35)
        let numeric = finiteDifferenceJacobian(at: [0.3, -0.2, 0.7, -0.4]) { v in
            let e = KinematicLink.predict(parent: (v[0], v[1], v[2]), angle: v[3], length: 0.35)
            return [e.x, e.y, e.phi]
        }
        assertClose(analytic, numeric.flatMap { $0 }, rtol: 1e-8, atol: 1e-9)
    }

    @Test func freeEnergyGradientMatchesFiniteDifferences() throws {
        var options = KinematicHierarchyOptions.referenceArm
        options.visualPrecision = 0.7
        options.extrinsicPrecision = 1.3
        options.limitGain = 0.8
        var agent = try KinematicHierarchy(options: options)
        agent.reset(seed: 0)
        // Two perception steps from an observation move the beliefs off the forward kinematics.
        let observation = [0.05, 0.4, 2.4, 1.2, 120, 90, 100, 80]  // q (4), target (2), seen tip (2)
        agent.perceive(observation)
        agent.perceive(observation)
        // Push one angle outside its limit so the limit attractor is active.
        agent.angles[0] = 0.3
        var probe = agent
        _ = probe.computeGradients()
        let n = 4
        // Beliefs: θ (n), θ′ (n), e (3(n+1), the base excluded).
        func energy(_ v: [Double]) -> Double {
            var a = agent
            for i in 0..<n { a.angles[i] = v[i]; a.angularVelocities[i] = v[n + i] }
            for k in 3..<(3 * (n + 1)) { a.extrinsic[k] = v[2 * n + k - 3] }
            return a.computeGradients()
        }
        let point = agent.angles + agent.angularVelocities + Array(agent.extrinsic[3...])
        let numeric = finiteDifferenceGradient(at: point, step: 1e-6, energy)
        let analytic = probe.angleGradient + probe.angleVelocityGradient + Array(probe.extrinsicGradient[3...])
        assertClose(analytic, numeric, rtol: 1e-6, atol: 1e-7)
    }
}
