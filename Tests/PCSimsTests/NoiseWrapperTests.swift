import Testing
import PCEnvironment
import PCSims
import _PCTestSupport
import Foundation

@Suite struct NoiseWrapperTests {
    @Test func observationNoiseHasTheRequestedSpreadAndLeavesTheStateAlone() throws {
        // Pendulum's θ̇ entry is the state itself, so y − θ̇ is the noise: its sd must be σ
        // (standard error σ/√n ≈ 0.5% for n = 20 000, so 2% is > 3 standard errors).
        var env = try ObservationNoise(Pendulum(), standardDeviation: [0, 0, 0.3], seed: 1)
        var observation = env.reset(seed: 2)
        var sum = 0.0, sumSquares = 0.0
        let n = 20_000
        for _ in 0..<n {
            _ = try env.step([0.1], observation: &observation)
            let e = observation[2] - env.state[1]
            sum += e; sumSquares += e * e
        }
        let mean = sum / Double(n)
        assertClose((sumSquares / Double(n) - mean * mean).squareRoot(), 0.3, rtol: 0.02, atol: 0)
        // Noise-free coordinates stay exact.
        assertClose(observation[0], Foundation.cos(env.state[0]), rtol: 1e-15, atol: 0)
        #expect(checkEnvironment(try ObservationNoise(Pendulum(), standardDeviation: 0.05)).passed)
    }

    @Test func actionNoisePerturbsActionsReproduciblyAndRejectsBadInputCleanly() throws {
        var a = try ActionNoise(Pendulum(), standardDeviation: [0.5], seed: 3)
        var b = a
        _ = a.reset(seed: 4); _ = b.reset(seed: 4)
        var plain = Pendulum()
        _ = try plain.reset(state: a.base.state)
        _ = try a.step([0.2]); _ = try plain.step([0.2])
        #expect(a.base.state != plain.state)          // the applied torque differed from 0.2
        #expect(throws: EnvironmentError.self) { _ = try b.step([.nan]) }
        _ = try b.step([0.2])
        #expect(a.base.state == b.base.state)         // the rejected step drew no noise
        #expect(checkEnvironment(try ActionNoise(Pendulum(), standardDeviation: [0.1])).passed)
    }

    @Test func wrappersAllocateNothingPerStep() throws {
        var noisy = try ActionNoise(ObservationNoise(CartPole(model: .swingUp), standardDeviation: 0.01), standardDeviation: [0.1])
        #expect(try allocationsPerEpisode(&noisy, action: [0.3]) == 0)
        var delayed = try ActionDelay(Pendulum(), delay: 3)
        #expect(try allocationsPerEpisode(&delayed, action: [0.3]) == 0)
        var limited = OrderEnforcing(TimeLimit(Pendulum(), maxEpisodeSteps: 100_000))
        #expect(try allocationsPerEpisode(&limited, action: [0.3]) == 0)
    }
}
