import PCAgents
import PCEnvironment
import PCSims

/// Runs an agent on Pendulum-v1 for a range of seeds (TASKS.md §1).
struct PendulumRun<A: Agent> {
    var agent: A
    var agentName: String
    var episodes: Int
    var firstSeed: Int
    var ownRandomStarts: Bool

    func run() throws -> RunReport {
        var agent = self.agent
        var environment = Pendulum()
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
            var total = 0.0
            var uprightSteps = 0
            for t in 0..<Pendulum.episodeSteps {
                let diagnostics = agent.step(observation, action: &action)
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

extension RunReport {
    /// Writes the first episode's trace as an SVG: one panel per traced quantity (for the pendulum:
    /// wrapped angle, torque and the planner's free energy) against time.
    func writePlot(to path: String) throws {
        let names = trace.keys.sorted { (Self.panelOrder[$0] ?? 99, $0) < (Self.panelOrder[$1] ?? 99, $1) }
        let steps = trace.values.map(\.count).max() ?? 0
        let time = (0..<steps).map { Double($0) * traceTimeStep }
        let panels = names.map { name in
            let (title, unit) = Self.panelLabels[name] ?? (name, name)
            return PlotPanel(title: title, yLabel: unit, series: [TimeSeries(name, trace[name]!)])
        }
        let plot = TimeSeriesPlot(
            title: "\(task): \(agent), seed \(firstSeed) (\(initialStates)), return \(String(format: "%.1f", returns.first ?? .nan))",
            time: time, xLabel: "time (s)", panels: panels)
        try plot.write(to: path)
    }

    static let panelOrder = ["angle": 0, "torque": 1, "freeEnergy": 2]
    static let panelLabels = ["angle": ("Angle from upright, wrap(θ)", "rad"),
                              "torque": ("Torque", "N·m"),
                              "freeEnergy": ("Planner free energy (energy E of the horizon)", "E")]
}
