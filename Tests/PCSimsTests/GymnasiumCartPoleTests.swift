import Testing
import PCEnvironment
import PCSims

/// CartPole (balance) against Gymnasium 1.4.0's CartPole-v1: 10 seeds × 1000 random actions,
/// resetting where Gymnasium's episodes end (the fixture records each new start).
///
/// Tolerance 1e-5 absolute on the float64 state (Gymnasium's observations are its float32
/// rounding); termination flags and rewards must agree exactly.
@Suite struct GymnasiumCartPoleTests {
    @Test func reproducesGymnasiumTrajectories() throws {
        let runs = try loadReferenceRuns("cartpole")
        var env = CartPole()
        var observation = [Double](repeating: 0, count: 4)
        let report = try replay(runs, reset: { _ = try env.reset(state: $0) }) { action in
            let t = try env.step(action, observation: &observation)
            return (env.state, t.reward, t.terminated)
        }
        print("CartPole vs Gymnasium: max |Δstate| \(report.maxStateError), max |Δreward| \(report.maxRewardError), bit-identical \(report.bitIdenticalSteps)/\(report.steps)")
        #expect(report.steps == 10_000)
        #expect(report.maxStateError <= 1e-5)
        #expect(report.maxRewardError == 0)
        #expect(report.flagMismatches.isEmpty, "\(report.flagMismatches.prefix(3))")
        // The fixture must contain terminations, or the flag check proves nothing.
        #expect(runs.flatMap(\.steps).filter(\.terminated).count > 100)
    }
}
