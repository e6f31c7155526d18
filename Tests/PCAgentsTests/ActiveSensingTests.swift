import Foundation
import Testing
import PCAgents
import PCEnvironment
import PCNumerics
import PCSims
import _PCAllocationCounter
import _PCTestSupport

/// Expected free energy and the grid belief (PCAgents article ActiveSensing): constant noise gives every action the
/// same epistemic value, the closed form matches Monte Carlo, and epistemic beats go-to-mean on light-dark only.
@Suite struct ActiveSensingTests {
    /// Draws M cells from the belief by inverse CDF and 2M standard normals.
    static func samples(_ belief: GridBelief, count: Int, seed: UInt64) -> (cells: [Int], normals: [Double]) {
        var generator = Xoshiro256(seed: seed)
        var cumulative: [Double] = [], total = 0.0
        for l in belief.logProbability { total += exp(l); cumulative.append(total) }
        var cells: [Int] = [], normals: [Double] = []
        for _ in 0..<count {
            let u = generator.nextUniform() * total
            cells.append(cumulative.firstIndex { $0 >= u } ?? cumulative.count - 1)
            normals.append(generator.nextNormal()); normals.append(generator.nextNormal())
        }
        return (cells, normals)
    }

    static func epistemic(_ belief: GridBelief, sensor: (Double, Double), noise: SensorNoiseModel,
                          cells: [Int], normals: [Double]) -> Double {
        cells.withUnsafeBufferPointer { c in
            normals.withUnsafeBufferPointer { z in
                ExpectedFreeEnergy.monteCarloEpistemic(belief: belief, priorEntropy: belief.entropy, sensorX: sensor.0,
                                                       sensorY: sensor.1, noise: noise, sampleCells: c, normals: z)
            }
        }
    }

    @Test func actionIndependentNoiseGivesEqualEpistemicValue() {
        // (i) With R independent of a, every move has the same information gain.
        var belief = GridBelief(size: 41, extent: 10)
        belief.setGaussian(meanX: 4, meanY: 6, varianceX: 1.5, varianceY: 0.7)
        let (cells, normals) = Self.samples(belief, count: 12, seed: 3)
        let noise = SensorNoiseModel.constant(0.8)
        let values = ActiveSensingOptions.lightDarkMoves.map { move in
            Self.epistemic(belief, sensor: (2 + move[0], 5 + move[1]), noise: noise, cells: cells, normals: normals)
        }
        #expect(values[0] > 0.1, "a reading is informative")
        for v in values { assertClose(v, values[0], rtol: 0, atol: 1e-12) }
        // and so does the closed form.
        let c = belief.covariance
        let closed = [0.3, 0.6].map { _ in ExpectedFreeEnergy.gaussianEpistemic(covariance: c, noise: (0.64, 0.64, 0)) }
        #expect(closed[0] == closed[1])
    }

    @Test func closedFormMatchesMonteCarloOnAGaussianGridBelief() {
        // (ii) ½ ln det(I + ΣR⁻¹) against the MC estimate with exact grid posteriors.
        var belief = GridBelief(size: 81, extent: 10)
        belief.setGaussian(meanX: 5, meanY: 5, varianceX: 0.6, varianceY: 0.3)
        let noise = SensorNoiseModel.lightStrip(base: 0.1, slope: 0.5, stripX: 8)
        for sensor in [(7.0, 5.0), (6.0, 5.0)] {
            let sigma = noise.standardDeviation(targetX: 0, targetY: 0, sensorX: sensor.0, sensorY: sensor.1)
            let closed = ExpectedFreeEnergy.gaussianEpistemic(covariance: belief.covariance, noise: (sigma * sigma, sigma * sigma, 0))
            let (cells, normals) = Self.samples(belief, count: 300, seed: 11)
            let perSample = (0..<cells.count).map { m in
                Self.epistemic(belief, sensor: sensor, noise: noise, cells: [cells[m]], normals: [normals[2 * m], normals[2 * m + 1]])
            }
            let mean = perSample.reduce(0, +) / Double(perSample.count)
            let sd = (perSample.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(perSample.count - 1)).squareRoot()
            let standardError = sd / Double(perSample.count).squareRoot()
            #expect(abs(mean - closed) < 4 * standardError + 1e-3,
                    "σ = \(sigma): MC \(mean) ± \(standardError), closed form \(closed)")
        }
    }

    @Test func bayesUpdateIsTheGaussianPosterior() {
        // A Gaussian prior and a constant-noise reading give the Kalman posterior (PCAgents article ActiveSensing, section Gaussian belief).
        var belief = GridBelief(size: 81, extent: 10)
        belief.setGaussian(meanX: 5, meanY: 4, varianceX: 0.5, varianceY: 0.5)
        let prior = belief.covariance
        belief.update(readingX: 1.2, readingY: -0.5, sensorX: 3, sensorY: 5, noise: .constant(0.5))
        let gain = prior.xx / (prior.xx + 0.25)
        let mean = belief.mean
        assertClose(mean.x, 5 + gain * (4.2 - 5), rtol: 0, atol: 2e-3)
        assertClose(mean.y, 4 + gain * (4.5 - 4), rtol: 0, atol: 2e-3)
        assertClose(belief.covariance.xx, (1 - gain) * prior.xx, rtol: 0, atol: 2e-3)
    }

    /// Success counts of a policy on light-dark seeds 0..<n (reduced grid for CI).
    static func successes(_ policy: ActiveSensingOptions.Policy, variant: LightDarkVariant, episodes: Int) throws -> Int {
        var options = variant == .main ? ActiveSensingOptions(policy: policy) : .counterCheck(policy: policy)
        options.gridSize = 31
        var agent = try ActiveSensingAgent(options: options)
        var successes = 0
        var action = [0.0, 0.0]
        for seed in 0..<episodes {
            var environment = LightDark(model: variant == .main ? .main : .counterCheck)
            var observation = environment.reset(seed: UInt64(seed))
            agent.reset(seed: UInt64(seed))
            for _ in 0..<LightDark.episodeSteps {
                _ = agent.step(observation, action: &action)
                _ = try environment.step(action, observation: &observation)
            }
            agent.perceive(observation)
            let mean = agent.posteriorMean
            let dx = mean.x - environment.target.x, dy = mean.y - environment.target.y
            if (dx * dx + dy * dy).squareRoot() < 0.25 { successes += 1 }
        }
        return successes
    }

    @Test func epistemicBeatsGoToMeanOnLightDarkButNotOnTheCounterCheck() throws {
        // (iii) 10 seeds on a 31 × 31 grid in CI; `pcctl run lightdark` runs 100 seeds on 81 × 81.
        let n = 10
        let mainEpistemic = try Self.successes(.epistemic, variant: .main, episodes: n)
        let mainGreedy = try Self.successes(.goToMean, variant: .main, episodes: n)
        #expect(mainEpistemic >= mainGreedy + 3, "main: epistemic \(mainEpistemic), go-to-mean \(mainGreedy) of \(n)")
        let checkEpistemic = try Self.successes(.epistemic, variant: .counterCheck, episodes: n)
        let checkGreedy = try Self.successes(.goToMean, variant: .counterCheck, episodes: n)
        #expect(checkEpistemic <= checkGreedy + 1, "counter-check: epistemic \(checkEpistemic), go-to-mean \(checkGreedy) of \(n)")
    }

    @Test func sameSeedSameMovesAndNoAllocation() throws {
        func moves(seed: UInt64) throws -> [Double] {
            var options = ActiveSensingOptions(policy: .expectedFreeEnergy)
            options.gridSize = 21
            var agent = try ActiveSensingAgent(options: options)
            var environment = LightDark()
            var observation = environment.reset(seed: 5)
            agent.reset(seed: seed)
            var action = [0.0, 0.0], out: [Double] = []
            for step in 0..<8 {
                let before = pck_thread_allocation_count()
                _ = agent.step(observation, action: &action)
                if step > 1 { #expect(pck_thread_allocation_count() - before == 0) }
                out += action
                _ = try environment.step(action, observation: &observation)
            }
            return out
        }
        #expect(try moves(seed: 1) == moves(seed: 1))
    }

    @Test func invalidInputIsReportedNotFatal() throws {
        var agent = try ActiveSensingAgent(options: ActiveSensingOptions())
        agent.reset(seed: 0)
        var action = [1.0, 1.0]
        let diagnostics = agent.step([2, 5, .nan, 0, 1], action: &action)
        #expect(diagnostics.warnings.contains(.invalidObservation))
        #expect(action == [0, 0])
        var options = ActiveSensingOptions()
        options.moves = [[0.5]]
        #expect(throws: AgentConfigurationError.dimensionMismatch(field: "moves[0]", expected: 2, got: 1)) {
            try ActiveSensingAgent(options: options)
        }
    }
}

@Suite struct GaussianBeliefTests {
    @Test func kalmanUpdateMatchesTheScalarClosedForm() throws {
        var options = ActiveSensingOptions(policy: .expectedFreeEnergy, noise: .constant(0.5))
        options.belief = .gaussian
        var agent = try ActiveSensingAgent(options: options)
        agent.reset(seed: 0)
        let prior = 100.0 / 12, r2 = 0.25
        agent.perceive([3, 4, 1.5, -0.5, 4])        // sensor (3, 4), reading (1.5, −0.5)
        let gain = prior / (prior + r2)
        assertClose(agent.gaussianMean.x, 5 + gain * (4.5 - 5), rtol: 1e-14, atol: 0)
        assertClose(agent.gaussianMean.y, 5 + gain * (3.5 - 5), rtol: 1e-14, atol: 0)
        assertClose(agent.gaussianCovariance.xx, (1 - gain) * prior, rtol: 1e-12, atol: 0)
        #expect(agent.gaussianCovariance.xy == 0)
        // The closed-form epistemic value prefers the light strip on the main task.
        var main = ActiveSensingOptions(policy: .epistemic)
        main.belief = .gaussian
        var sensing = try ActiveSensingAgent(options: main)
        sensing.reset(seed: 0)
        var action = [0.0, 0.0]
        _ = sensing.step([2, 5, 0, 0, 0], action: &action)
        #expect(action[0] > 0.3, "moves toward p_x = 8 (got \(action))")
    }
}
