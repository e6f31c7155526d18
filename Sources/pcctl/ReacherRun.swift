import PCAgents
import PCEnvironment
import PCSims

/// `pcctl run reacher`: the PredictiveController on the Reacher-v5 preset (PCSims article Tasks, section Reacher), scored by
/// the return and the final fingertip distance (success: < 0.01 m at step 50).
struct ReacherRun {
    var options: PredictiveControllerOptions
    var episodes: Int
    var firstSeed: Int

    func run() throws -> RunReport {
        let model = PlanarArm.reacher().model
        var agent = try PredictiveController(model: FiniteDifferenceLinearization(model), options: options)
        var returns: [Double] = [], successes: [Bool] = [], times: [Double] = [], finals: [Double] = []
        var warnings: [String: Int] = [:]
        var trace: [String: [Double]] = [:]
        var action = [0.0, 0.0]
        for episode in 0..<episodes {
            let seed = firstSeed + episode
            var environment = PlanarArm.reacher(seed: UInt64(seed))
            var observation = environment.reset(seed: UInt64(seed))
            agent.reset(seed: UInt64(seed))
            var total = 0.0
            for _ in 0..<environment.task.episodeSteps {
                let diagnostics = agent.step(observation, action: &action)
                times.append(diagnostics.computeTime)
                for (flag, name) in AgentWarnings.named where diagnostics.warnings.contains(flag) { warnings[name, default: 0] += 1 }
                total += try environment.step(action, observation: &observation).reward
                if episode == 0 {
                    trace["angle", default: []].append((observation[8] * observation[8] + observation[9] * observation[9]).squareRoot())
                    trace["torque", default: []].append(action[0])
                    trace["freeEnergy", default: []].append(diagnostics.freeEnergy)
                }
            }
            let distance = (observation[8] * observation[8] + observation[9] * observation[9]).squareRoot()
            finals.append(distance)
            returns.append(total)
            successes.append(distance < 0.01)
        }
        var report = RunReport(task: "reacher", agent: "predictive", initialStates: "PCKit RNG", firstSeed: firstSeed,
                               statistics: EpisodeStatistics(returns: returns, successes: successes, stepTimes: times),
                               successCriterion: "fingertip within 0.01 m of the target at step 50",
                               returns: returns, warnings: warnings, trace: trace, traceTimeStep: 0.02)
        report.extra = ["meanFinalDistance": finals.reduce(0, +) / Double(finals.count),
                        "worstFinalDistance": finals.max() ?? .nan]
        return report
    }
}
