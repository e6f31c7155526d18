import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct AcrobotMountainCarTests {
    @Test func acrobotTorqueMappings() {
        let discrete = AcrobotModel.gymnasium, continuous = AcrobotModel.continuous
        #expect([-1, -0.34, -0.2, 0, 0.2, 0.34, 1].map(discrete.appliedTorque) == [-1, -1, 0, 0, 0, 1, 1])
        #expect([-3, -0.2, 0.7].map(continuous.appliedTorque) == [-1, -0.2, 0.7])
    }

    @Test func acrobotConservesEnergyWithoutTorqueOverShortHorizons() throws {
        // The book dynamics are Lagrangian, so with τ = 0 and no velocity clipping active the
        // total energy is conserved up to RK4's error: check over 5 s at Δt = 0.01.
        let model = try AcrobotModel(torque: .continuous, timeStep: 0.01)
        func energy(_ s: SIMD4<Double>) -> Double {
            let (t1, t2, w1, w2) = (s[0], s[1], s[2], s[3])
            let d11 = 0.25 + (1 + 0.25 + cos(t2)) + 2, d12 = (0.25 + 0.5 * cos(t2)) + 1, d22 = 0.25 + 1
            let kinetic = 0.5 * (d11 * w1 * w1 + 2 * d12 * w1 * w2 + d22 * w2 * w2)
            let potential = -9.8 * (0.5 * cos(t1) + (cos(t1) + 0.5 * cos(t1 + t2)))
            return kinetic + potential
        }
        var s = SIMD4<Double>(1.0, -0.5, 0, 0)
        let e0 = energy(s)
        for _ in 0..<500 { s = model.advance(s, action: 0) }
        assertClose(energy(s), e0, rtol: 1e-6, atol: 0)
    }

    @Test func acrobotTerminatesAboveTheBar() throws {
        var env = Acrobot()
        _ = try env.reset(state: [Double.pi, 0, 0, 0])   // straight up: −cos π − cos π = 2 > 1
        let t = try env.step([0])
        #expect(t.terminated && t.reward == 0)
        _ = try env.reset(state: [0, 0, 0, 0])
        let hanging = try env.step([0])
        #expect(!hanging.terminated && hanging.reward == -1)
    }

    @Test func mountainCarStopsAtTheLeftWallAndRewardsTheGoal() throws {
        var env = MountainCar()
        _ = try env.reset(state: [-1.19, -0.05])
        _ = try env.step([-1])
        #expect(env.position == Double(Float(-1.2)) && env.velocity == 0)
        _ = try env.reset(state: [0.44, 0.07])
        let t = try env.step([0.5])
        #expect(t.terminated)
        assertClose(t.reward, 100 - 0.025, rtol: 1e-15, atol: 0)
    }

    @Test func passCheckerAndAllocateNothing() throws {
        for check in [checkEnvironment(Acrobot()), checkEnvironment(Acrobot(model: .continuous)), checkEnvironment(MountainCar())] {
            #expect(check.passed, "\(check)")
        }
        var acrobot = Acrobot()
        #expect(try allocationsPerEpisode(&acrobot, action: [1]) == 0)
        var car = MountainCar()
        #expect(try allocationsPerEpisode(&car, action: [0.5]) == 0)
    }
}
