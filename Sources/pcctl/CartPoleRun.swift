import PCAgents
import PCEnvironment
import PCRecording
import PCSims

/// `pcctl run cartpole-swingup`: the PredictiveController on CartPoleSwingUp (PCSims article Tasks, section Cart-pole swing-up).
struct CartPoleRun {
    var options: PredictiveControllerOptions
    var episodes: Int
    var firstSeed: Int

    /// The planner this run uses (also what `pcctl replay` rebuilds).
    static func controller(options: PredictiveControllerOptions) throws -> some RecordablePlan {
        try PredictiveController(model: FiniteDifferenceLinearization(ActionRepeat(CartPoleModel.swingUp, count: options.replanInterval)),
                                 options: options)
    }

    /// Runs the episodes; with `record`, records every step there and passes the recorder to `finished`.
    func run(record: String? = nil, finished: (SessionRecorder) throws -> Void = { _ in }) throws -> RunReport {
        var agent = try Self.controller(options: options)
        let session = RecordedSession.plan(task: "cartpole-swingup", controller: agent, firstSeed: firstSeed, episodes: episodes,
                                           controlPeriod: 0.01)
        let recording = try record.map { path in try AgentBeliefs.planRecording(agent, session: session, path: path) }
        var returns: [Double] = [], successes: [Bool] = [], times: [Double] = []
        var warnings: [String: Int] = [:]
        var trace: [String: [Double]] = [:]
        var action = [0.0]
        for episode in 0..<episodes {
            let seed = firstSeed + episode
            var environment = CartPole(model: .swingUp)
            var observation = environment.reset(seed: UInt64(seed))
            agent.reset(seed: UInt64(seed))
            recording?.recorder.beginEpisode(episode, seed: UInt64(seed))
            var total = 0.0, balanced = 0
            let steps = environment.episodeSteps
            for t in 0..<steps {
                let diagnostics = agent.step(observation, action: &action)
                recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
                times.append(diagnostics.computeTime)
                for (flag, name) in AgentWarnings.named where diagnostics.warnings.contains(flag) { warnings[name, default: 0] += 1 }
                total += try environment.step(action, observation: &observation).reward
                let angle = wrapAngle(environment.state[2])
                if t >= steps - 100 && abs(angle) < 0.2 { balanced += 1 }
                if episode == 0 {
                    trace["angle", default: []].append(angle)
                    trace["torque", default: []].append(action[0])
                    trace["freeEnergy", default: []].append(diagnostics.freeEnergy)
                }
            }
            returns.append(total)
            successes.append(balanced == 100)
        }
        if let recording { try finished(recording.recorder) }
        return RunReport(task: "cartpole-swingup", agent: "predictive", initialStates: "PCKit RNG", firstSeed: firstSeed,
                         statistics: EpisodeStatistics(returns: returns, successes: successes, stepTimes: times),
                         successCriterion: "|wrap θ| < 0.2 at each of the last 100 steps",
                         returns: returns, warnings: warnings, trace: trace, traceTimeStep: 0.01)
    }
}
