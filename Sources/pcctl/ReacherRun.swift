import PCAgents
import PCEnvironment
import PCRecording
import PCSims

/// `pcctl run reacher`: the PredictiveController on the Reacher-v5 preset (PCSims article Tasks, section Reacher), scored by
/// the return and the final fingertip distance (success: < 0.01 m at step 50).
struct ReacherRun {
    var options: PredictiveControllerOptions
    var episodes: Int
    var firstSeed: Int

    /// The planner this run uses (also what `pcctl replay` rebuilds).
    static func controller(options: PredictiveControllerOptions) throws -> some RecordablePlan {
        try PredictiveController(model: FiniteDifferenceLinearization(PlanarArm.reacher().model), options: options)
    }

    /// Runs the episodes; with `record`, records every step there and passes the recorder to `finished`.
    func run(record: String? = nil, finished: (SessionRecorder) throws -> Void = { _ in }) throws -> RunReport {
        var agent = try Self.controller(options: options)
        let session = RecordedSession.plan(task: "reacher", controller: agent, firstSeed: firstSeed, episodes: episodes,
                                           controlPeriod: 0.02)
        let recording = try record.map { path in try AgentBeliefs.planRecording(agent, session: session, path: path) }
        var returns: [Double] = [], successes: [Bool] = [], times: [Double] = [], finals: [Double] = []
        var warnings: [String: Int] = [:]
        var trace: [String: [Double]] = [:]
        var action = [0.0, 0.0]
        for episode in 0..<episodes {
            let seed = firstSeed + episode
            var environment = PlanarArm.reacher(seed: UInt64(seed))
            var observation = environment.reset(seed: UInt64(seed))
            agent.reset(seed: UInt64(seed))
            recording?.recorder.beginEpisode(episode, seed: UInt64(seed))
            var total = 0.0
            for _ in 0..<environment.task.episodeSteps {
                let diagnostics = agent.step(observation, action: &action)
                recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
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
        if let recording { try finished(recording.recorder) }
        var report = RunReport(task: "reacher", agent: "predictive", initialStates: "PCKit RNG", firstSeed: firstSeed,
                               statistics: EpisodeStatistics(returns: returns, successes: successes, stepTimes: times),
                               successCriterion: "fingertip within 0.01 m of the target at step 50",
                               returns: returns, warnings: warnings, trace: trace, traceTimeStep: 0.02)
        report.extra = ["meanFinalDistance": finals.reduce(0, +) / Double(finals.count),
                        "worstFinalDistance": finals.max() ?? .nan]
        return report
    }
}
