import Testing
import PCEnvironment
import PCSims

/// Scoring on Gymnasium's starts through the wrappers agents use.
@Suite struct GymnasiumStartsTests {
    @Test func zeroTorqueOnGymnasiumStartsReproducesTheTasksReference() throws {
        // PCSims article Tasks, section Pendulum: zero torque on seeds 0..99 scores −1180.3 ± 350.8, median −1171.5, worst −1898.9.
        var env = OrderEnforcing(TimeLimit(Pendulum(), maxEpisodeSteps: Pendulum.episodeSteps))
        var returns: [Double] = []
        for start in GymnasiumInitialStates.pendulum {
            var observation = try env.reset(state: start)
            var total = 0.0
            while true {
                let t = try env.step([0], observation: &observation)
                total += t.reward
                if t.done { break }
            }
            #expect(env.base.elapsedSteps == 200)
            returns.append(total)
        }
        let mean = returns.reduce(0, +) / 100
        let sd = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 100).squareRoot()
        let sorted = returns.sorted()
        #expect(abs(mean - -1180.3) < 0.05 && abs(sd - 350.8) < 0.05)
        #expect(abs((sorted[49] + sorted[50]) / 2 - -1171.5) < 0.05 && abs(sorted[0] - -1898.9) < 0.05)
    }

    @Test func wrappersForwardStateResets() throws {
        var env = try ActionDelay(ObservationNoise(TimeLimit(CartPole(), maxEpisodeSteps: 3), standardDeviation: 0), delay: 1)
        _ = try env.reset(state: GymnasiumInitialStates.cartPole[7])
        _ = try env.step([1]); _ = try env.step([1])
        _ = try env.reset(state: GymnasiumInitialStates.cartPole[7])
        #expect(env.base.base.elapsedSteps == 0)
        #expect(env.base.base.base.state == GymnasiumInitialStates.cartPole[7])
        #expect(throws: EnvironmentError.self) { _ = try env.reset(state: [1, 2]) }
    }
}
