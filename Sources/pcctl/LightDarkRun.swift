import Foundation
import PCAgents
import PCEnvironment
import PCSims

/// Runs every sensing policy on light-dark (PCSims article Tasks, section Light-dark) on the same seeds, so the EFE agent and
/// its baselines are reported in one run.
struct LightDarkRun {
    var variant: LightDarkVariant
    var episodes: Int
    var firstSeed: Int
    var policies: [ActiveSensingOptions.Policy]
    /// Also run the EFE policy with the Gaussian belief and closed-form epistemic term.
    var includeGaussian = true
    /// Options from a config file: run first, then the baselines with the same sensor model.
    var configured: ActiveSensingOptions? = nil
    /// Records the first policy's episodes when set (`--record`).
    var recording: RunRecording<ActiveSensingAgent>? = nil

    struct PolicyResult: Codable {
        var policy: String
        var successRate: Double
        var meanFinalError: Double
        /// Median over episodes of the first step with posterior sd < 0.25 (episodes that never reach it count as ∞).
        var medianStepsToConfidence: Double?
        var confidentFraction: Double
        var medianStepTime: Double
        var p99StepTime: Double
    }

    struct Report: Codable {
        var task: String
        var variant: String
        var episodes: Int
        var firstSeed: Int
        var results: [PolicyResult]
    }

    /// The agents run, in order: each policy, its belief model and its options.
    var runs: [(policy: ActiveSensingOptions.Policy, belief: ActiveSensingOptions.BeliefModel, options: ActiveSensingOptions)] {
        var runs: [(ActiveSensingOptions.Policy, ActiveSensingOptions.BeliefModel)] = policies.map { ($0, .grid) }
        if includeGaussian && policies.contains(.expectedFreeEnergy) { runs.insert((.expectedFreeEnergy, .gaussian), at: 1) }
        if let configured { runs = [(configured.policy, configured.belief), (.goToMean, .grid), (.random, .grid)] }
        return runs.enumerated().map { index, run in
            let (policy, beliefModel) = run
            var options = variant == .main ? ActiveSensingOptions(policy: policy) : .counterCheck(policy: policy)
            if let configured {
                options = configured
                if index > 0 { options.belief = .grid }
            }
            options.policy = policy
            options.belief = beliefModel
            return (policy, beliefModel, options)
        }
    }

    func run() throws -> Report {
        var results: [PolicyResult] = []
        for (index, (policy, beliefModel, options)) in runs.enumerated() {
            var agent = try ActiveSensingAgent(options: options)
            let recording = index == 0 ? self.recording : nil
            var successes = 0, errors: [Double] = [], confidence: [Double] = [], times: [Double] = []
            var action = [0.0, 0.0]
            for episode in 0..<episodes {
                let seed = firstSeed + episode
                var environment = LightDark(model: variant == .main ? .main : .counterCheck)
                var observation = environment.reset(seed: UInt64(seed))
                agent.reset(seed: UInt64(seed))
                recording?.recorder.beginEpisode(episode, seed: UInt64(seed))
                var reached = Double.infinity
                for t in 1...LightDark.episodeSteps {
                    let diagnostics = agent.step(observation, action: &action)
                    times.append(diagnostics.computeTime)
                    recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
                    _ = try environment.step(action, observation: &observation)
                    // Score the belief after the reading of step t (recorded: it changes the belief a replay must rebuild).
                    agent.perceive(observation)
                    recording?.recorder.recordPerception(observation: observation)
                    if reached.isInfinite && agent.posteriorStandardDeviation < 0.25 { reached = Double(t) }
                    if t < LightDark.episodeSteps {
                        // The next step's perceive must not apply the same reading twice.
                        observation[4] = 0
                    }
                }
                let mean = agent.posteriorMean
                let error = ((mean.x - environment.target.x) * (mean.x - environment.target.x)
                             + (mean.y - environment.target.y) * (mean.y - environment.target.y)).squareRoot()
                errors.append(error)
                if error < 0.25 { successes += 1 }
                confidence.append(reached)
            }
            let sortedConfidence = confidence.sorted(), sortedTimes = times.sorted()
            let medianConfidence = EpisodeStatistics.median(sortedConfidence)
            results.append(PolicyResult(
                policy: policy.rawValue + (beliefModel == .gaussian ? " (Gaussian)" : ""), successRate: Double(successes) / Double(episodes),
                meanFinalError: errors.reduce(0, +) / Double(episodes),
                medianStepsToConfidence: medianConfidence.isFinite ? medianConfidence : nil,
                confidentFraction: Double(confidence.filter(\.isFinite).count) / Double(episodes),
                medianStepTime: EpisodeStatistics.median(sortedTimes),
                p99StepTime: EpisodeStatistics.quantile(sortedTimes, 0.99)))
        }
        return Report(task: "lightdark", variant: variant.rawValue, episodes: episodes, firstSeed: firstSeed, results: results)
    }
}

extension LightDarkRun.Report {
    func printSummary() {
        print("pcctl run lightdark — variant \(variant), \(episodes) episodes, seeds \(firstSeed)..\(firstSeed + episodes - 1)")
        print("  policy                         success  final error  steps to sd<0.25 (reached)  compute median/p99")
        for r in results {
            let steps = r.medianStepsToConfidence.map { String(format: "%.0f", $0) } ?? "never"
            let name = r.policy.padding(toLength: 29, withPad: " ", startingAt: 0)
            let stepsText = String(repeating: " ", count: max(0, 8 - steps.count)) + steps
            print(String(format: "  %@  %5.0f%%  %11.3f  %@ (%3.0f%%)  %10.2f / %.2f ms",
                         name as NSString, 100 * r.successRate, r.meanFinalError, stepsText as NSString,
                         100 * r.confidentFraction, 1e3 * r.medianStepTime, 1e3 * r.p99StepTime))
        }
    }
}
