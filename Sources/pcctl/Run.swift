import ArgumentParser
import Foundation
import PCAgents
import PCEnvironment
import PCSims

/// `pcctl run <task>`: run an agent on a built-in task for N episodes and print its score.
///
/// Agent tasks: pendulum (PredictiveController on the true model, or `--agent learned` on a model a
/// ModelLearner learned from interaction: `LearnedPendulumRun`), lightdark and lightdark-counter (ActiveSensingAgent
/// and its baselines), kinematic-arm (KinematicHierarchy), arm-uaic (ReflexController). With
/// `--policy random|zero`, or for any other environment, the run is forwarded to the simulator
/// runner (`RunSimulator`).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an agent on a simulated task and print mean ± sd, median, worst, success rate and compute time.",
        discussion: """
        Agent tasks: pendulum, cartpole-swingup, reacher, lightdark, lightdark-counter, kinematic-arm, arm-uaic.
        --agent takes a name (pendulum: predictive, or learned — a ModelLearner learns the dynamics from
        --learning-steps environment steps, --babbling-steps of them motor babbling, then the planner runs on
        the learned model; lightdark: all, efe, epistemic, goToMean, random, stay;
        arm-uaic: aic, unbiased) or a JSON config file (Examples/configs/). Episodes use seeds S..S+N−1;
        pendulum seeds below 100 start from Gymnasium's initial states unless --own-rng is given.
        With --policy random|zero, any environment runs under that policy (see `pcctl run-simulator --help`);
        an environment without an agent needs --policy (it never falls back to a random policy), and an
        agent a task cannot use is an error listing the agents it can use.
        """)

    static let agentTasks = ["pendulum", "cartpole-swingup", "reacher", "lightdark", "lightdark-counter", "lightdark-countercheck", "kinematic-arm", "arm-uaic"]

    @Argument(help: "The task or environment.")
    var task: String

    @Option(name: .long, help: "Agent name or path to a JSON agent config.")
    var agent: String?

    @Option(name: .long, help: "Run the environment under a simple policy instead of an agent: random or zero.")
    var policy: String?

    @Option(name: .long, help: "Number of episodes.")
    var episodes: Int?

    @Option(name: .long, help: "First seed; episode k uses seed S + k.")
    var seed: Int = 0

    @Flag(name: .long, help: "Pendulum: draw initial states from PCKit's own seeded RNG instead of the Gymnasium fixture.")
    var ownRng = false

    @Flag(name: .long, help: "Simulator runs: start from Gymnasium's exported initial states.")
    var gymnasiumStarts = false

    @Option(name: .long, help: "Write an SVG plot of the first episode to this file.")
    var plot: String?

    @Option(name: .long, help: "Simulator runs: write an SVG picture of the first episode's final state.")
    var frame: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(name: .long, help: "Pendulum with --agent learned: environment steps the ModelLearner may use (babbling, then on-policy).")
    var learningSteps: Int = 5_000

    @Option(name: .long, help: "Pendulum with --agent learned: of those, motor-babbling steps.")
    var babblingSteps: Int = 2_000

    @Option(name: .long, parsing: .upToNextOption, help: "Pendulum with --agent learned: hidden layer widths of the learned model's PC network.")
    var hiddenSizes: [Int] = []

    @Option(name: .customLong("param"), help: ArgumentHelp("A physical parameter, name=value (repeatable): \(TaskParameters.help). The environment and the true-model planner both use it.", valueName: "name=value"))
    var parameters: [String] = []

    func validate() throws {
        if let episodes, episodes < 1 { throw ValidationError("--episodes must be at least 1 (got \(episodes))") }
        guard seed >= 0 else { throw ValidationError("--seed must be ≥ 0 (got \(seed))") }
        guard babblingSteps >= 64, babblingSteps <= learningSteps else {
            throw ValidationError("need 64 ≤ --babbling-steps ≤ --learning-steps (got \(babblingSteps) and \(learningSteps))")
        }
    }

    /// The agents each agent task can use (names; every task also takes a .json config of the same kind).
    static let agentsByTask: [String: [String]] = [
        "pendulum": ["predictive", "learned"], "cartpole-swingup": ["predictive"], "reacher": ["predictive"],
        "lightdark": ["all", "efe", "epistemic", "goToMean", "random", "stay"],
        "lightdark-counter": ["all", "efe", "epistemic", "goToMean", "random", "stay"],
        "lightdark-countercheck": ["all", "efe", "epistemic", "goToMean", "random", "stay"],
        "kinematic-arm": ["hierarchy"], "arm-uaic": ["aic", "unbiased"],
    ]

    func run() throws {
        if let policy {
            // A simple policy is asked for by name; an agent beside it would be ignored, so refuse.
            guard agent == nil else {
                throw ValidationError("give either --agent or --policy, not both (got --agent \(agent!) and --policy \(policy))")
            }
            return try forwardToSimulator()
        }
        let taskParameters = try TaskParameters(task: task, pairs: parameters)
        if !taskParameters.values.isEmpty {
            for (name, value) in taskParameters.values.sorted(by: { $0.key < $1.key }) where !json { print("  \(task) \(name) = \(value)") }
        }
        guard Self.agentTasks.contains(task) else {
            // Never fall back to a random policy silently.
            let withAgents = Self.agentTasks.filter { $0 != "lightdark-countercheck" }.joined(separator: ", ")
            throw ValidationError("""
                \(task) has no PCKit agent in pcctl run yet\(agent.map { " (asked for --agent \($0))" } ?? ""); \
                tasks with agents: \(withAgents). To run \(task) under a simple policy, ask for it: --policy random or --policy zero
                """)
        }
        if let agent, !agent.hasSuffix(".json"), let known = Self.agentsByTask[task], !known.contains(agent),
           !(known.contains("predictive") && ["PredictiveController", "predictiveController"].contains(agent)) {
            throw ValidationError("\(task) cannot use agent `\(agent)`; it can use: \(known.joined(separator: ", ")), or a .json config (Examples/configs/)")
        }
        let count = episodes ?? 100
        switch task {
        case "pendulum" where agent == "learned":
            try runLearnedPendulum(episodes: count)
        case "pendulum":
            let options = try predictiveOptions(default: .pendulumSwingUp)
            let model = try pendulumModel()
            let controller = try PredictiveController(model: FiniteDifferenceLinearization(model), options: options)
            try finish(try PendulumRun(agent: controller, agentName: agent ?? "predictive", episodes: count,
                                       firstSeed: seed, ownRandomStarts: ownRng, model: model).run())
        case "cartpole-swingup":
            try finish(try CartPoleRun(options: try predictiveOptions(default: .cartPoleSwingUp), episodes: count,
                                       firstSeed: seed).run())
        case "reacher":
            try finish(try ReacherRun(options: try predictiveOptions(default: .reacher), episodes: count, firstSeed: seed).run())
        case "lightdark", "lightdark-counter", "lightdark-countercheck":
            var run = LightDarkRun(variant: task == "lightdark" ? .main : .counterCheck, episodes: count,
                                   firstSeed: seed, policies: [])
            if let agent, agent.hasSuffix(".json") {
                let configuration = try AgentConfiguration.load(path: agent)
                guard let options = configuration.activeSensing else {
                    throw ValidationError("\(agent) configures \(configuration.agent.rawValue), not an active-sensing agent")
                }
                run.configured = options
            } else {
                run.policies = try sensingPolicies()
            }
            let report = try run.run()
            json ? printJSON(report) : report.printSummary()
        case "kinematic-arm":
            let report = try ReachingRun(options: try hierarchyOptions(), trials: count, firstSeed: seed).run()
            json ? printJSON(report) : report.printSummary()
        default: // arm-uaic
            var options: ReflexControllerOptions
            if let agent, agent.hasSuffix(".json") {
                let configuration = try AgentConfiguration.load(path: agent)
                guard let configured = configuration.reflexController else {
                    throw ValidationError("\(agent) configures \(configuration.agent.rawValue), not a reflex controller")
                }
                options = configured
            } else {
                guard let variant = ReflexControllerOptions.Variant(rawValue: agent ?? "unbiased") else {
                    throw ValidationError("arm-uaic agents: aic, unbiased or a .json config (got \(agent!))")
                }
                options = .twoLinkArm(variant: variant)
            }
            let report = try ReflexArmRun(options: options).run()
            json ? printJSON(report) : report.printSummary()
        }
    }

    /// Learn the pendulum's dynamics with a ModelLearner, then score the planner on the learned model.
    func runLearnedPendulum(episodes: Int) throws {
        var learnerOptions = try LearnedPendulumRun.defaultLearnerOptions()
        if !hiddenSizes.isEmpty {
            learnerOptions.hiddenSizes = hiddenSizes
            try learnerOptions.validate()
        }
        var run = LearnedPendulumRun(learnerOptions: learnerOptions,
                                     controllerOptions: .pendulumSwingUp)
        run.model = try pendulumModel()
        run.learningSteps = learningSteps
        run.babblingSteps = babblingSteps
        let (learner, summary) = try run.learn(log: { line in if !json { print("  learn: " + line) } })
        var report = try PendulumRun(agent: try run.controller(for: learner), agentName: "learned", episodes: episodes,
                                     firstSeed: seed, ownRandomStarts: ownRng, model: run.model).run()
        report.extra["learn.interactionSteps"] = Double(summary.interactionSteps)
        report.extra["learn.babblingSteps"] = Double(summary.babblingSteps)
        report.extra["learn.onPolicySteps"] = Double(summary.onPolicySteps)
        report.extra["learn.batches"] = Double(summary.batches)
        report.extra["learn.seconds"] = summary.learningSeconds
        report.extra["learn.onlineCount"] = Double(summary.onlineCount)
        // The online error exists only for transitions recorded after the first training.
        let online = summary.onlineCount > 0 ? summary.onlineError : []
        for (name, values) in [("trainRMS", summary.trainingError), ("heldOutRMS", summary.heldOutError),
                               ("onlineRMS", online)] {
            for (i, coordinate) in ["theta", "thetaDot"].enumerated() where i < values.count {
                report.extra["learn.\(name).\(coordinate)"] = values[i]
            }
        }
        try finish(report)
    }

    /// Hands the run to the simulator runner with the same options.
    func forwardToSimulator() throws {
        var arguments = [task == "lightdark-countercheck" ? "lightdark-counter" : task,
                         "--episodes", String(episodes ?? 1), "--seed", String(seed)]
        if let policy { arguments += ["--policy", policy] }
        if gymnasiumStarts { arguments.append("--gymnasium-starts") }
        if let plot { arguments += ["--plot", plot] }
        if let frame { arguments += ["--frame", frame] }
        if json { arguments.append("--json") }
        let command = try RunSimulator.parse(arguments)
        try command.run()
    }

    /// Light-dark runs every policy unless one is named.
    func sensingPolicies() throws -> [ActiveSensingOptions.Policy] {
        switch agent ?? "all" {
        case "all": return [.expectedFreeEnergy, .epistemic, .goToMean, .random, .stay]
        case "efe": return [.expectedFreeEnergy]
        case let name:
            guard let policy = ActiveSensingOptions.Policy(rawValue: name) else {
                throw ValidationError("unknown sensing policy `\(name)`; use all, efe, epistemic, goToMean, random or stay")
            }
            return [policy]
        }
    }

    /// The predictive controller's options: the task default, or a config file.
    func predictiveOptions(default preset: PredictiveControllerOptions) throws -> PredictiveControllerOptions {
        guard let agent, agent.hasSuffix(".json") else {
            if let agent, !["predictive", "PredictiveController", "predictiveController"].contains(agent) {
                throw ValidationError("unknown agent `\(agent)` for \(task); use `predictive` or a .json config")
            }
            return preset
        }
        let configuration = try AgentConfiguration.load(path: agent)
        guard let options = configuration.predictiveController else {
            throw ValidationError("\(agent) configures \(configuration.agent.rawValue), not a predictive controller")
        }
        return options
    }

    /// Pendulum-v1 with the `--param` values.
    func pendulumModel() throws -> PendulumModel {
        do { return try TaskParameters(task: task, pairs: parameters).pendulumModel() } catch let error as ValidationError {
            throw error
        } catch { throw ValidationError("\(error)") }
    }

    func hierarchyOptions() throws -> KinematicHierarchyOptions {
        guard let agent, agent.hasSuffix(".json") else { return .referenceArm }  // `hierarchy` or none (checked in run)
        let configuration = try AgentConfiguration.load(path: agent)
        guard let options = configuration.kinematicHierarchy else {
            throw ValidationError("\(agent) configures \(configuration.agent.rawValue), not a kinematic hierarchy")
        }
        return options
    }

    func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try! encoder.encode(value), as: UTF8.self))
    }

    func finish(_ report: RunReport) throws {
        json ? printJSON(report) : report.printSummary()
        if let plot {
            try report.writePlot(to: plot)
            if !json { print("plot: \(plot)") }
        }
    }
}

/// What `pcctl run pendulum` reports.
struct RunReport: Codable {
    var task: String
    var agent: String
    var initialStates: String
    var firstSeed: Int
    var statistics: EpisodeStatistics
    var successCriterion: String
    var returns: [Double]
    var warnings: [String: Int]
    /// Time series of the first episode, for plots.
    var trace: [String: [Double]]
    var traceTimeStep: Double
    /// Task-specific figures (e.g. Reacher's final distances).
    var extra: [String: Double] = [:]

    func printSummary() {
        let s = statistics
        print("pcctl run \(task) — agent \(agent), \(s.episodes) episodes, seeds \(firstSeed)..\(firstSeed + s.episodes - 1) (\(initialStates))")
        print(String(format: "  return   %.1f ± %.1f   median %.1f   worst %.1f   best %.1f",
                     s.meanReturn, s.standardDeviation, s.medianReturn, s.worstReturn, s.bestReturn))
        print(String(format: "  success  %.0f%%  (%@)", 100 * s.successRate, successCriterion))
        print(String(format: "  compute  median %.1f µs/step   p99 %.1f µs/step",
                     1e6 * s.medianStepTime, 1e6 * s.p99StepTime))
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { print("  \(key) \(value)") }
        if !warnings.isEmpty {
            print("  warnings " + warnings.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
        }
    }

    /// Angle, torque and free energy of the first episode over time (the sims' SVG plot).
    func writePlot(to path: String) throws {
        let angle = trace["angle"] ?? [], torque = trace["torque"] ?? [], energy = trace["freeEnergy"] ?? []
        let time = angle.indices.map { Double($0 + 1) * traceTimeStep }
        let plot = TimeSeriesPlot(
            title: "\(task): \(agent), seed \(firstSeed) — return \(String(format: "%.1f", returns.first ?? .nan))",
            time: time, xLabel: "time (s)",
            panels: [
                PlotPanel(title: "Angle from upright, wrap(θ)", yLabel: "rad", series: [TimeSeries("wrap θ", angle)]),
                PlotPanel(title: "Torque", yLabel: "N·m", series: [TimeSeries("u", torque)]),
                PlotPanel(title: "Free energy of the settled plan", yLabel: "E", series: [TimeSeries("E", energy)]),
            ])
        try plot.write(to: path)
    }
}
