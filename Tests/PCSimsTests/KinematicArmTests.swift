import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct KinematicArmTests {
    @Test func referenceArmForwardKinematicsAtTheStartPose() throws {
        // Absolute angles 0°, 20°, 60°, 90° for lengths 50, 70, 90, 20 px.
        let env = KinematicArm.priorelliReference()
        let d = Double.pi / 180
        let x = 50 + 70 * cos(20 * d) + 90 * cos(60 * d) + 20 * cos(90 * d)
        let y = 70 * sin(20 * d) + 90 * sin(60 * d) + 20 * sin(90 * d)
        let tip = env.model.endEffector(q: env.startAngles)
        assertClose([tip.x, tip.y], [x, y], rtol: 1e-14, atol: 1e-12)
    }

    @Test func velocitiesIntegrateAndStopAtTheLimits() throws {
        var env = KinematicArm.priorelliReference()
        _ = env.reset(seed: 0)
        let start = env.jointAngles
        _ = try env.step([0.1, -0.2, 0, 0.05])
        assertClose(env.jointAngles, [start[0] + 0.03, start[1] - 0.06, start[2], start[3] + 0.015], rtol: 1e-14, atol: 1e-14)
        for _ in 0..<100 { _ = try env.step([1, 1, -1, 1]) }
        assertClose(env.jointAngles, [10, 130, -5, 90].map { $0 * Double.pi / 180 }, rtol: 1e-14, atol: 1e-14)
    }

    @Test func targetsAreReachableAndTrialsKeepTheArm() throws {
        var env = KinematicArm.priorelliReference(seed: 3)
        _ = env.reset(seed: 3)
        for _ in 0..<200 {
            _ = try env.step([0.2, 0.1, 0.1, -0.1])
            let before = env.jointAngles
            let o = env.newTarget()
            #expect(env.jointAngles == before)
            #expect((o[4] * o[4] + o[5] * o[5]).squareRoot() <= 230)
        }
        // Reaching by the Jacobian transpose on the true kinematics must get within reach distance:
        // a check that targets are reachable under the limits and that tip/target are consistent.
        var reached = 0
        for seed in 0..<20 as Range<UInt64> {
            var arm = KinematicArm.priorelliReference()
            var o = arm.reset(seed: seed)
            for _ in 0..<500 {
                let e = SIMD2(o[4] - o[6], o[5] - o[7])     // target − tip
                var phi = [Double](repeating: 0, count: 4), sum = 0.0
                for k in 0..<4 { sum += arm.jointAngles[k]; phi[k] = sum }
                let lengths = [50.0, 70, 90, 20]
                let velocities = (0..<4).map { k in
                    (k..<4).reduce(0.0) { acc, i in acc + lengths[i] * (-sin(phi[i]) * e.x + cos(phi[i]) * e.y) } * 1e-4
                }
                o = try arm.step(velocities).observation
            }
            if arm.info["reached"] == 1 { reached += 1 }
        }
        #expect(reached >= 15, "reached \(reached)/20")
    }

    @Test func twelveLinksPassTheCheckerAndAllocateNothing() throws {
        let n = 12
        let model = try KinematicArmModel(lengths: [Double](repeating: 230.0 / 12, count: n),
                                          lowerLimits: [Double](repeating: -0.1, count: n),
                                          upperLimits: [Double](repeating: 2.2, count: n), timeStep: 0.3, maxVelocity: 1)
        let arm = try KinematicArm(model: model, startAngles: [Double](repeating: 0.2, count: n))
        assertClose(arm.reachDistance, 0.0326 * 230, rtol: 1e-14, atol: 0)
        let check = checkEnvironment(arm)
        #expect(check.passed, "\(check)")
        #expect(checkEnvironment(KinematicArm.priorelliReference()).passed)
        var hot = arm
        #expect(try allocationsPerEpisode(&hot, action: [Double](repeating: 0.1, count: n)) == 0)
    }
}
