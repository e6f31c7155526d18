import Testing
import PCEnvironment
import PCNumerics
import PCSims
import _PCTestSupport
import Foundation

@Suite struct PlanarArmTests {
    @Test func presetsPassTheEnvironmentChecker() throws {
        for env in [PlanarArm.reacher(), PlanarArm.unbiasedAICPlant(), try PlanarArm.rods(count: 3), try PlanarArm.rods(count: 7)] {
            let check = checkEnvironment(env)
            #expect(check.passed, "\(check)")
        }
    }

    @Test func stepAllocatesNothing() throws {
        var reacher = PlanarArm.reacher()
        #expect(try allocationsPerEpisode(&reacher, action: [0.3, -0.2]) == 0)
        var seven = try PlanarArm.rods(count: 7)
        #expect(try allocationsPerEpisode(&seven, action: [Double](repeating: 0.1, count: 7)) == 0)
    }

    @Test func reacherRewardIsMinusDistanceMinusControlCost() throws {
        var env = PlanarArm.reacher()
        // Arm straight along +x at rest: the tip sits at 0.21 m. Target there, zero action.
        _ = try env.reset(state: [0, 0, 0, 0, 0.21, 0])
        assertClose(try env.step([0, 0]).reward, 0, rtol: 0, atol: 1e-12)
        _ = try env.reset(state: [0, 0, 0, 0, 0.21, 0.1])
        let r = try env.step([0.5, -2])   // clipped to (0.5, −1)
        let tip = PlanarChain.reacher.endEffector(q: Array(env.state[0..<2]))
        let distance = ((tip.x - 0.21) * (tip.x - 0.21) + (tip.y - 0.1) * (tip.y - 0.1)).squareRoot()
        assertClose(r.reward, -distance - (0.25 + 1), rtol: 1e-14, atol: 1e-14)
        #expect(abs(distance - 0.1) > 1e-4)   // the arm moved during the step
        // Reacher's observation layout: cos q, sin q, target, q̇, tip − target.
        assertClose(Array(r.observation[0..<6]), [cos(env.state[0]), cos(env.state[1]), sin(env.state[0]), sin(env.state[1]), 0.21, 0.1],
                    rtol: 1e-12, atol: 1e-12)
    }

    @Test func reacherTargetsLieOnTheDiscAndArmStartsNearZero() {
        var env = PlanarArm.reacher()
        for seed in 0..<100 as Range<UInt64> {
            _ = env.reset(seed: seed)
            let s = env.state
            #expect((s[4] * s[4] + s[5] * s[5]).squareRoot() < 0.2)
            #expect(abs(s[0]) <= 0.1 && abs(s[1]) <= 0.1 && abs(s[2]) <= 0.005 && abs(s[3]) <= 0.005)
        }
    }

    @Test func reachableTargetsAreWithinReach() throws {
        var env = try PlanarArm.rods(count: 4, length: 0.5)
        for seed in 0..<100 as Range<UInt64> {
            _ = env.reset(seed: seed)
            let s = env.state
            #expect((s[8] * s[8] + s[9] * s[9]).squareRoot() <= 2.0 + 1e-12)
        }
    }

    @Test func elbowStopsInelasticallyAtItsLimit() throws {
        var env = PlanarArm.reacher()
        _ = try env.reset(state: [0, 2.9, 0, 0, 0, 0.1])
        for _ in 0..<50 { _ = try env.step([0, 1]) }
        #expect(env.state[1] == 3.0)
        #expect(env.state[3] == 0)
    }

    @Test func blockingHoldsTheJointsAndReleaseResumes() throws {
        var env = PlanarArm.unbiasedAICPlant()
        _ = env.reset(seed: 0)
        #expect(env.state[0] == -.pi / 2 && env.state[1] == 0)
        for _ in 0..<100 { _ = try env.step([30, 0]) }
        let moving = env.state
        env.isBlocked = true
        for _ in 0..<100 { _ = try env.step([30, 0]) }
        #expect(Array(env.state[0..<2]) == Array(moving[0..<2]))
        #expect(env.state[2] == 0 && env.state[3] == 0)
        env.isBlocked = false
        _ = try env.step([30, 0])
        #expect(env.state[2] != 0)
    }

    @Test func hangingPlantAtRestStaysAtRestWithoutTorque() throws {
        // q = (−π/2, 0) is an equilibrium: G = 0 there.
        var env = PlanarArm.unbiasedAICPlant()
        _ = env.reset(seed: 0)
        for _ in 0..<1000 { _ = try env.step([0, 0]) }
        assertClose(env.state, [-Double.pi / 2, 0, 0, 0] + Array(env.state[4...]), rtol: 0, atol: 1e-12)
    }
}

@Suite struct PlanarArmInputTests {
    @Test func badStatesAndActionsAreRejectedWithoutChangingTheArm() throws {
        var env = PlanarArm.reacher()
        _ = env.reset(seed: 1)
        let before = env.state
        #expect(throws: EnvironmentError.self) { _ = try env.reset(state: [0, 3.5, 0, 0, 0.1, 0]) }   // elbow beyond ±3
        #expect(throws: EnvironmentError.actionShape(expected: 2, got: 1)) { _ = try env.step([0.1]) }
        #expect(throws: EnvironmentError.nonFiniteAction(index: 1, value: .infinity)) { _ = try env.step([0.1, .infinity]) }
        #expect(env.state == before)
        #expect(throws: EnvironmentError.self) { _ = try PlanarChain(links: []) }
        #expect(throws: EnvironmentError.self) { _ = try PlanarChain(links: Array(repeating: .rod(length: 1, mass: 1), count: 9)) }
        #expect(throws: EnvironmentError.self) { _ = try PlanarChain(links: [PlanarLink(length: -1, mass: 1)]) }
    }
}
