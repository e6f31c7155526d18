import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct PendulumTests {
    @Test func oneStepFollowsTheEquations() throws {
        var env = Pendulum()
        _ = try env.reset(state: [2.0, -0.5])
        let result = try env.step([3.0])   // clipped to 2
        // θ̈ = 15 sin θ + 3u; θ̇′ = θ̇ + θ̈Δt; θ′ = θ + θ̇′Δt; cost on the pre-step state.
        let velocity = -0.5 + (15 * sin(2.0) + 3 * 2.0) * 0.05
        let angle = 2.0 + velocity * 0.05
        assertClose(env.state, [angle, velocity], rtol: 1e-15, atol: 0)
        assertClose(result.reward, -(4.0 + 0.1 * 0.25 + 0.001 * 4), rtol: 1e-15, atol: 0)
        assertClose(result.observation, [cos(angle), sin(angle), velocity], rtol: 1e-15, atol: 0)
        #expect(result.terminated == false && result.truncated == false)
    }

    @Test func costWrapsTheAngleAndSpeedIsClipped() throws {
        var env = Pendulum()
        _ = try env.reset(state: [2 * Double.pi + 0.1, 7.9])
        let result = try env.step([2.0])
        assertClose(result.reward, -(0.1 * 0.1 + 0.1 * 7.9 * 7.9 + 0.001 * 4), rtol: 1e-12, atol: 0)
        #expect(env.velocity == 8.0)
        // Worst case of the documented reward range.
        _ = try env.reset(state: [Double.pi - 1e-12, 8])
        #expect(try env.step([-2]).reward >= -(Double.pi * Double.pi + 6.4 + 0.004))
    }

    @Test func wrappedAngleMatchesNumPyFlooredModulo() {
        #expect(wrappedAngle(0) == 0)
        #expect(wrappedAngle(.pi) == -.pi)
        assertClose(wrappedAngle(-3 * .pi / 2), .pi / 2, rtol: 1e-15, atol: 1e-15)
        assertClose(wrappedAngle(7.0), 7.0 - 2 * .pi, rtol: 1e-15, atol: 1e-15)
    }

    @Test func resetDrawsFromTheDocumentedBoxAndRejectsBadStates() throws {
        var env = Pendulum()
        for seed in 0..<200 as Range<UInt64> {
            _ = env.reset(seed: seed)
            #expect(abs(env.angle) <= .pi && abs(env.velocity) <= 1)
        }
        let before = env.state
        #expect(throws: EnvironmentError.self) { try env.reset(state: [1, .nan]) }
        #expect(env.state == before)
    }

    @Test func passesTheEnvironmentChecker() {
        let check = checkEnvironment(Pendulum())
        #expect(check.passed, "\(check)")
        let wrapped = checkEnvironment(TimeLimit(Pendulum(), maxEpisodeSteps: 50))
        #expect(wrapped.passed, "\(wrapped)")
    }

    @Test func stepAllocatesNothing() throws {
        var env = Pendulum()
        let count = try allocationsPerEpisode(&env, action: [0.7])
        #expect(count == 0)
    }
}
