import Testing
import PCEnvironment
import PCSims

/// Pendulum against Gymnasium 1.4.0's own Pendulum-v1: 10 seeds × 1000 steps of random torques.
///
/// Tolerance: 1e-5 absolute on the float64 state and reward (the bound; Gymnasium's
/// float32 observations are themselves only good to ~5e-7·|θ̇|). The equations run in
/// Gymnasium's order, so in practice the state is bit-identical on all 10 000 steps; a few
/// rewards differ by one ulp because NumPy's float64 `x**2` (a SIMD `pow`) is not always the
/// correctly rounded x·x that Swift computes.
@Suite struct GymnasiumPendulumTests {
    @Test func reproducesGymnasiumTrajectories() throws {
        let runs = try loadReferenceRuns("pendulum")
        var env = Pendulum()
        var observation = [0.0, 0.0, 0.0]
        let report = try replay(runs, reset: { _ = try env.reset(state: $0) }) { action in
            let t = try env.step(action, observation: &observation)
            return (env.state, t.reward, t.terminated)
        }
        print("Pendulum vs Gymnasium: max |Δstate| \(report.maxStateError), max |Δreward| \(report.maxRewardError), bit-identical \(report.bitIdenticalSteps)/\(report.steps)")
        #expect(report.steps == 10_000)
        #expect(report.maxStateError <= 1e-5)
        #expect(report.maxRewardError <= 1e-5)
        #expect(report.flagMismatches.isEmpty)
    }

    @Test func initialStatesMatchTheFixtureLayout() throws {
        // Gymnasium draws θ ~ U[−π, π], θ̇ ~ U[−1, 1]; the first trajectory start is seed 0's.
        #expect(GymnasiumInitialStates.pendulum.count == 100)
        #expect(GymnasiumInitialStates.pendulum.allSatisfy { abs($0[0]) <= .pi && abs($0[1]) <= 1 })
        #expect(try loadReferenceRuns("pendulum")[0].initial == GymnasiumInitialStates.pendulum[0])
    }
}
