import PCAgents
import PCEnvironment
import PCSims

/// Runs an agent on Pendulum-v1 for a range of seeds (PCSims article Tasks, sections Scoring protocol and Pendulum).
struct PendulumRun<A: Agent> {
    var agent: A
    var agentName: String
    var episodes: Int
    var firstSeed: Int
    var ownRandomStarts: Bool
    /// The pendulum's physics (default Pendulum-v1's; `--param` changes it).
    var model: PendulumModel = .gymnasium
    /// Records every step when set (`--record`).
    var recording: RunRecording<A>? = nil

    func run() throws -> RunReport {
        var agent = self.agent
        var environment = Pendulum(model: model)
        var observation = [0.0, 0.0, 0.0]
        var action = [0.0]
        var returns: [Double] = [], successes: [Bool] = [], stepTimes: [Double] = []
        var warnings: [String: Int] = [:]
        var trace: [String: [Double]] = ["angle": [], "torque": [], "freeEnergy": []]
        stepTimes.reserveCapacity(episodes * Pendulum.episodeSteps)
        let fixture = GymnasiumInitialStates.pendulum
        for episode in 0..<episodes {
            let seed = firstSeed + episode
            if !ownRandomStarts && seed < fixture.count {
                observation = try environment.reset(state: fixture[seed])
            } else {
                observation = environment.reset(seed: UInt64(seed))
            }
            agent.reset(seed: UInt64(seed))
            recording?.recorder.beginEpisode(episode, seed: UInt64(seed))
            var total = 0.0
            var uprightSteps = 0
            for t in 0..<Pendulum.episodeSteps {
                let diagnostics = agent.step(observation, action: &action)
                recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
                let transition = try environment.step(action, observation: &observation)
                total += transition.reward
                stepTimes.append(diagnostics.computeTime)
                for (flag, name) in AgentWarnings.named where diagnostics.warnings.contains(flag) {
                    warnings[name, default: 0] += 1
                }
                let angle = wrapAngle(environment.angle)
                if t >= Pendulum.episodeSteps - 50 && abs(angle) < 0.1 { uprightSteps += 1 }
                if episode == 0 {
                    trace["angle", default: []].append(angle)
                    trace["torque", default: []].append(action[0])
                    trace["freeEnergy", default: []].append(diagnostics.freeEnergy)
                }
            }
            returns.append(total)
            successes.append(uprightSteps == 50)
        }
        return RunReport(
            task: "pendulum", agent: agentName,
            initialStates: ownRandomStarts ? "PCKit RNG" : "Gymnasium 1.4.0 fixture",
            firstSeed: firstSeed,
            statistics: EpisodeStatistics(returns: returns, successes: successes, stepTimes: stepTimes),
            successCriterion: "|wrap θ| < 0.1 at each of the last 50 steps",
            returns: returns, warnings: warnings, trace: trace, traceTimeStep: 0.05)
    }
}
