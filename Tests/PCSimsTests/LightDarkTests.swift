import Testing
import PCEnvironment
import PCSims
import _PCTestSupport

@Suite struct LightDarkTests {
    /// Sample mean and standard deviation of the x and y reading errors at a fixed sensor.
    func readingStatistics(_ model: LightDarkModel, state: [Double], samples: Int = 20_000) throws -> (mean: Double, sd: Double) {
        var env = LightDark(model: model, seed: 11)
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<samples {
            _ = try env.reset(state: state)
            let o = try env.step([0, 0]).observation
            for (k, e) in [o[2] - (state[0] - state[2]), o[3] - (state[1] - state[3])].enumerated() {
                _ = k
                sum += e; sumSquares += e * e
            }
        }
        let n = Double(2 * samples)
        let mean = sum / n
        return (mean, (sumSquares / n - mean * mean).squareRoot())
    }

    @Test func mainVariantNoiseDependsOnTheSensorsDistanceToTheLightStrip() throws {
        // σ(p) = 0.1 + 0.5·|p_x − 8|: at p_x = 8 → 0.1, at p_x = 2 → 3.1. With 40 000 draws the
        // sample sd is within ~1% of σ (its standard error is σ/√(2n) ≈ 0.35%).
        for (px, sigma) in [(8.0, 0.1), (2.0, 3.1), (5.0, 1.6)] {
            let stats = try readingStatistics(.main, state: [3, 3, px, 5])
            assertClose(stats.sd, sigma, rtol: 0.015, atol: 0)
            assertClose(stats.mean, 0, rtol: 0, atol: 4 * sigma / 200)
        }
    }

    @Test func counterCheckNoiseDependsOnTheDistanceToTheTarget() throws {
        // σ = 0.1 + 0.5·‖x* − p‖: target 3 m away → 1.6; on the target → 0.1.
        let far = try readingStatistics(.counterCheck, state: [8, 5, 5, 5])
        assertClose(far.sd, 1.6, rtol: 0.015, atol: 0)
        let near = try readingStatistics(.counterCheck, state: [5, 5, 5, 5])
        assertClose(near.sd, 0.1, rtol: 0.015, atol: 0)
    }

    @Test func movesAreShortenedAndClampedAndPrecisionIsReported() throws {
        var env = LightDark()
        _ = try env.reset(state: [1, 1, 9.8, 5])
        let o = try env.step([0.5, 0.5]).observation       // length 0.707 → 0.5 at 45°, then x clamped at 10
        assertClose([o[0], o[1]], [10, 5 + 0.5 / 2.0.squareRoot()], rtol: 1e-15, atol: 1e-15)
        let sigma = 0.1 + 0.5 * 2.0
        assertClose(o[4], 1 / (sigma * sigma), rtol: 1e-15, atol: 0)
        #expect(LightDark.headings.count == 9)
        #expect(LightDark.headings.allSatisfy { abs(($0[0] * $0[0] + $0[1] * $0[1]).squareRoot() - 0.5) < 1e-15 || $0 == [0, 0] })
    }

    @Test func startsFollowTheVariant() {
        var main = LightDark(), counter = LightDark(model: .counterCheck)
        let a = main.reset(seed: 4), b = counter.reset(seed: 4)
        #expect(Array(a[0..<2]) == [2, 5] && Array(b[0..<2]) == [5, 5] && a[4] == 0)
        #expect(main.state[0] == counter.state[0])   // same seed, same target draw
    }

    @Test func passesTheEnvironmentCheckerAndAllocatesNothing() throws {
        for model in [LightDarkModel.main, .counterCheck] {
            let check = checkEnvironment(LightDark(model: model))
            #expect(check.passed, "\(check)")
            var env = LightDark(model: model)
            #expect(try allocationsPerEpisode(&env, action: [0.2, -0.1]) == 0)
        }
    }
}
