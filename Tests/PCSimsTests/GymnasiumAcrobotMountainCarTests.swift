import Testing
import PCEnvironment
import PCSims

/// Acrobot and MountainCar against Gymnasium 1.4.0 (Acrobot-v1, MountainCarContinuous-v0): 10 seeds ×
/// 1000 random actions, resetting where Gymnasium's episodes end.
///
/// Tolerance 1e-5 absolute on the float64 state: the arithmetic runs in Gymnasium's order, so the
/// remaining sources of difference are last-bit ones (NumPy's float64 `x**2` is a SIMD `pow`, not
/// always the correctly rounded x·x; NumPy's sin/cos kernels). The acrobot is chaotic, so a 1-ulp
/// difference could grow over an episode; running free from each start, the largest deviation
/// measured is ~7e-14 (MountainCar and CartPole are bit-identical).
@Suite struct GymnasiumAcrobotMountainCarTests {
    @Test func acrobotReproducesGymnasiumTrajectories() throws {
        let runs = try loadReferenceRuns("acrobot")
        var env = Acrobot()
        var observation = [Double](repeating: 0, count: 6)
        let report = try replay(runs, reset: { _ = try env.reset(state: $0) }) { action in
            let t = try env.step(action, observation: &observation)
            return (env.state, t.reward, t.terminated)
        }
        print("Acrobot vs Gymnasium: max |Δstate| \(report.maxStateError), max |Δreward| \(report.maxRewardError), bit-identical \(report.bitIdenticalSteps)/\(report.steps)")
        #expect(report.steps == 10_000)
        #expect(report.maxStateError <= 1e-5)
        #expect(report.maxRewardError == 0)
        #expect(report.flagMismatches.isEmpty, "\(report.flagMismatches.prefix(3))")
    }

    @Test func mountainCarReproducesGymnasiumTrajectories() throws {
        let runs = try loadReferenceRuns("mountaincar")
        var env = MountainCar()
        var observation = [0.0, 0.0]
        let report = try replay(runs, reset: { _ = try env.reset(state: $0) }) { action in
            let t = try env.step(action, observation: &observation)
            return (env.state, t.reward, t.terminated)
        }
        print("MountainCar vs Gymnasium: max |Δstate| \(report.maxStateError), max |Δreward| \(report.maxRewardError), bit-identical \(report.bitIdenticalSteps)/\(report.steps)")
        #expect(report.steps == 10_000)
        #expect(report.maxStateError <= 1e-5)
        #expect(report.maxRewardError <= 1e-12)
        #expect(report.flagMismatches.isEmpty, "\(report.flagMismatches.prefix(3))")
    }

    @Test func initialStateFixturesHaveGymnasiumsRanges() {
        #expect(GymnasiumInitialStates.cartPole.count == 100 && GymnasiumInitialStates.acrobot.count == 100
                && GymnasiumInitialStates.mountainCar.count == 100)
        #expect(GymnasiumInitialStates.cartPole.allSatisfy { $0.count == 4 && $0.allSatisfy { abs($0) <= 0.05 } })
        #expect(GymnasiumInitialStates.acrobot.allSatisfy { $0.count == 4 && $0.allSatisfy { abs($0) <= 0.1 && Double(Float($0)) == $0 } })
        #expect(GymnasiumInitialStates.mountainCar.allSatisfy { $0.count == 2 && $0[0] >= -0.6 && $0[0] <= -0.4 && $0[1] == 0 })
    }
}
