import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct CartPoleTests {
    @Test func balanceAccelerationMatchesTheLagrangianForm() {
        // Independent oracle: the cart-pole's equations of motion as a 2×2 linear system
        // [[M, −m l cos θ], [−cos θ, 4l/3]]·(ẍ, θ̈) = (F − m l θ̇² sin θ, g sin θ)  (θ clockwise from up,
        // Gymnasium's sign convention), solved by Cramer's rule.
        let model = CartPoleModel.balance
        for (theta, rate, force) in [(0.3, -1.2, 10.0), (-2.0, 0.5, -10.0), (1.0, 3.0, 0.0)] {
            let m = 0.1, l = 0.5, M = 1.1, g = 9.8
            let a11 = M, a12 = m * l * cos(theta), a21 = cos(theta), a22 = 4 * l / 3
            // Gymnasium's form: M ẍ + m l (θ̈ cos θ − θ̇² sin θ) = F, (4l/3) θ̈ + ẍ cos θ = g sin θ.
            let b1 = force + m * l * rate * rate * sin(theta), b2 = g * sin(theta)
            let det = a11 * a22 - a12 * a21
            let xAcc = (b1 * a22 - a12 * b2) / det
            let thetaAcc = (a11 * b2 - a21 * b1) / det
            let a = model.acceleration(angle: theta, angularVelocity: rate, force: force)
            assertClose([a[0], a[1]], [xAcc, thetaAcc], rtol: 1e-12, atol: 1e-12)
        }
    }

    @Test func balanceRewardsAndTerminatesLikeGymnasium() throws {
        var env = CartPole()
        _ = try env.reset(state: [2.39, 1.0, 0, 0])
        let first = try env.step([1])
        #expect(first.terminated && first.reward == 1)
        let second = try env.step([1])
        #expect(second.terminated && second.reward == 0)
    }

    @Test func swingUpStopsAtTheTrackEndAndRewardsUpright() throws {
        var env = CartPole(model: .swingUp)
        _ = try env.reset(state: [1.79, 2.0, .pi, 0])
        for _ in 0..<10 { _ = try env.step([1]) }
        #expect(env.state[0] == 1.8 && env.state[1] == 0)
        // Upright, centred, at rest, no force: every factor is 1.
        _ = try env.reset(state: [0, 0, 0, 0])
        assertClose(try env.step([0]).reward, 1.0, rtol: 0, atol: 1e-9)
        // Hanging down: upright factor 0.
        _ = try env.reset(state: [0, 0, .pi, 0])
        assertClose(try env.step([0]).reward, 0.0, rtol: 0, atol: 1e-12)
    }

    @Test func swingUpRK4ConvergesAtFourthOrder() throws {
        // Halving the step cuts the one-second error by ~16 (compared against dt/64).
        func run(_ dt: Double) throws -> [Double] {
            let model = try CartPoleModel(task: .swingUp, timeStep: dt)
            var s = SIMD4<Double>(0, 0, 2.5, 0)
            for _ in 0..<Int((1 / dt).rounded()) { s = model.advance(s, action: 0.3) }
            return [s[0], s[1], s[2], s[3]]
        }
        let reference = try run(0.01 / 64)
        let coarse = try run(0.01), fine = try run(0.005)
        let ratio = maxRelativeDifference(coarse, reference, floor: 1.0) / maxRelativeDifference(fine, reference, floor: 1.0)
        #expect(ratio > 12 && ratio < 20, "ratio \(ratio)")
    }

    @Test func passesTheEnvironmentCheckerBothTasks() {
        let balance = checkEnvironment(CartPole())
        #expect(balance.passed, "\(balance)")
        let swingUp = checkEnvironment(CartPole(model: .swingUp))
        #expect(swingUp.passed, "\(swingUp)")
    }

    @Test func stepAllocatesNothing() throws {
        var balance = CartPole()
        #expect(try allocationsPerEpisode(&balance, action: [1]) == 0)
        var swingUp = CartPole(model: .swingUp)
        #expect(try allocationsPerEpisode(&swingUp, action: [0.4]) == 0)
    }
}
