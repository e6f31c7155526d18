import ArgumentParser
import Foundation
import PCAgents
import PCEnvironment
import PCSims
import PCRecording

/// `pcctl run <task>`: run an agent on a built-in task for N episodes and print its score.
///
/// Agent tasks: pendulum, cartpole-swingup, mountaincar, inverted-pendulum, reacher and acrobot-continuous
/// (PredictiveController on the true model, or `--agent learned`: a LearningAgent, `ControlTaskRun`), lightdark and lightdark-counter (ActiveSensingAgent
/// and its baselines), kinematic-arm (KinematicHierarchy), arm-uaic (ReflexController). With
/// `--policy random|zero`, or for any other environment, the run is forwarded to the simulator
/// runner (`RunSimulator`).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an agent on a simulated task and print mean ± sd, median, worst, success rate and compute time.",
        discussion: """
        Agent tasks: pendulum, cartpole-swingup, mountaincar, inverted-pendulum, reacher, acrobot-continuous \
        (--agent predictive: the PredictiveController on the true model; --agent learned: a LearningAgent \
        explores, learns the dynamics and controls within the task's interaction budget (--learning-steps, \
        --babbling-steps), is frozen, and is scored next to the true-model planner on the same starts), \
        lightdark and lightdark-counter (all, efe, epistemic, goToMean, random, stay), kinematic-arm \
        (hierarchy), arm-uaic (aic, unbiased). --agent also takes a JSON config file (Examples/configs/; \
        a learning config may give only its goal). Episodes use seeds S..S+N−1; pendulum, mountaincar and \
        acrobot-continuous seeds below 100 start from Gymnasium's initial states (pendulum: unless --own-rng). \
        With --policy random|zero, any environment runs under that policy (see `pcctl run-simulator --help`); \
        an environment without an agent needs --policy (it never falls back to a random policy), and an \
        agent a task cannot use is an error listing the agents it can use.
        """)

    static let agentTasks = ["pendulum", "cartpole-swingup", "reacher", "mountaincar", "inverted-pendulum", "acrobot-continuous", "lightdark", "lightdark-counter", "lightdark-countercheck", "kinematic-arm", "arm-uaic"]

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

    @Option(name: .long, help: "--agent learned: environment steps of interaction (exploration + on-policy) before scoring; default the task's budget (pendulum 5,000, inverted-pendulum 10,000, cartpole-swingup, mountaincar and reacher 20,000, acrobot-continuous 30,000), at most 1,000,000.")
    var learningSteps: Int?

    @Option(name: .long, help: "--agent learned: agent steps of motor babbling at the start of the interaction (default per task, 1…1,000,000).")
    var babblingSteps: Int?

    @Option(name: .long, parsing: .upToNextOption, help: "--agent learned: hidden layer widths of the learned model's PC network (default per task).")
    var hiddenSizes: [Int] = []

    @Flag(name: .long, help: "--agent learned: skip scoring the true-model planner on the same starts.")
    var noReference = false

    @Option(name: .long, help: ArgumentHelp("Record the session to this MCAP file: the agent's config and seeds, and per step the observation, action, diagnostics and beliefs (pendulum, cartpole-swingup, reacher, mountaincar, inverted-pendulum, acrobot-continuous, kinematic-arm, arm-uaic, lightdark, lightdark-counter; `pcctl replay` checks it).", valueName: "file.mcap"))
    var record: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A physical parameter, name=value (repeatable): \(TaskParameters.help). The environment and the true-model planner both use it.", valueName: "name=value"))
    var parameters: [String] = []

    func validate() throws {
        if let episodes, episodes < 1 { throw ValidationError("--episodes must be at least 1 (got \(episodes))") }
        guard seed >= 0 else { throw ValidationError("--seed must be ≥ 0 (got \(seed))") }
        if let learningSteps, !(1...1_000_000).contains(learningSteps) {
            throw ValidationError("--learning-steps must be in 1…1,000,000 (got \(learningSteps))")
        }
        if let babblingSteps, !(1...1_000_000).contains(babblingSteps) {
            throw ValidationError("--babbling-steps must be in 1…1,000,000 (got \(babblingSteps))")
        }
    }

    /// Tasks whose runs `--record` records.
    static let recordableTasks = ["pendulum", "cartpole-swingup", "reacher", "mountaincar", "inverted-pendulum", "acrobot-continuous",
                                  "kinematic-arm", "arm-uaic", "lightdark", "lightdark-counter"]

    /// The agents each agent task can use (names; every task also takes a .json config of the same kind).
    static let agentsByTask: [String: [String]] = [
        "pendulum": ["predictive", "learned"], "cartpole-swingup": ["predictive", "learned"], "reacher": ["predictive", "learned"],
        "mountaincar": ["predictive", "learned"], "inverted-pendulum": ["predictive", "learned"],
        "acrobot-continuous": ["predictive", "learned"],
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
            guard record == nil else {
                throw ValidationError("--record records an agent's session; --policy \(policy) runs no agent (record one of: \(Self.recordableTasks.joined(separator: ", ")))")
            }
            return try forwardToSimulator()
        }
        if record != nil {
            guard Self.recordableTasks.contains(task) else {
                throw ValidationError("pcctl run \(task) --record is not supported yet; --record works for: \(Self.recordableTasks.joined(separator: ", "))")
            }
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
        let configuration = try agent.flatMap { $0.hasSuffix(".json") ? try AgentConfiguration.load(path: $0) : nil }
        switch task {
        case _ where agent == "learned" || (ControlTasks.names.contains(task) && configuration?.agent == .learning):
            try runLearned(episodes: count, configured: configuration?.learning, goal: configuration?.goal)
        case "mountaincar", "inverted-pendulum", "acrobot-continuous":
            var control = try ControlTasks.make(task, parameters: taskParameters)
            let configured = try predictiveOptions(default: nil)
            if let configured { _ = try observing(configured, control.stateDimension, "its state (identity layout)") }
            var planner = try control.truePlanner(options: configured)
            var recording: RunRecording<any Agent>?
            if let record {
                guard let plan = planner as? any RecordablePlan else { preconditionFailure("\(task)'s true planner is a PredictiveController") }
                let session = RecordedSession.plan(task: task, controller: plan, parameters: taskParameters.values, firstSeed: seed,
                                                   episodes: count, controlPeriod: control.controlPeriod)
                recording = RunRecording(recorder: try session.startRecorder(path: record), beliefs: AgentBeliefs.planWriter(for: plan))
            }
            let report = try ControlTaskRun.score(&planner, on: &control, agentName: "predictive", episodes: count, firstSeed: seed,
                                                  recording: recording)
            try finishRecording(recording?.recorder)
            try finish(report)
        case "pendulum":
            let options = try observing(try predictiveOptions(default: .pendulumSwingUp), 3, "(cos θ, sin θ, θ̇)")
            let model = try pendulumModel()
            let controller = try PredictiveController(model: FiniteDifferenceLinearization(model), options: options)
            var run = PendulumRun(agent: controller, agentName: agent ?? "predictive", episodes: count,
                                  firstSeed: seed, ownRandomStarts: ownRng, model: model)
            if let record {
                let session = RecordedSession.plan(task: task, controller: controller, parameters: taskParameters.values, firstSeed: seed,
                                                   episodes: count, ownRandomStarts: ownRng, controlPeriod: 0.05)
                run.recording = RunRecording(recorder: try session.startRecorder(path: record), beliefs: AgentBeliefs.writePredictive)
            }
            let report = try run.run()
            try finishRecording(run.recording?.recorder)
            try finish(report)
        case "cartpole-swingup":
            try finish(try CartPoleRun(options: try observing(try predictiveOptions(default: .cartPoleSwingUp), 5, "(x, ẋ, cos θ, sin θ, θ̇)"), episodes: count,
                                       firstSeed: seed).run(record: record, finished: finishRecording))
        case "reacher":
            try finish(try ReacherRun(options: try observing(try predictiveOptions(default: .reacher), 10, "Reacher's (cos q, sin q, target, q̇, tip − target)"),
                                      episodes: count, firstSeed: seed).run(record: record, finished: finishRecording))
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
            if let record {
                // One agent per recording: the first run (the configured agent, or the one named policy).
                guard run.configured != nil || run.policies.count == 1 else {
                    throw ValidationError("--record records one agent; name a policy (--agent efe, epistemic, goToMean, random or stay) or a .json config")
                }
                run.includeGaussian = false
                let options = run.runs[0].options
                let session = RecordedSession(task: task, agent: AgentConfiguration(activeSensing: options), parameters: [:],
                                              firstSeed: seed, episodes: count, ownRandomStarts: false,
                                              layout: SessionLayout(observationDimension: 5, actionDimension: 2,
                                                                    beliefs: AgentBeliefs.sensing, controlPeriod: 1))
                run.recording = RunRecording(recorder: try session.startRecorder(path: record), beliefs: AgentBeliefs.writeSensing)
            }
            let report = try run.run()
            try finishRecording(run.recording?.recorder)
            json ? printJSON(report) : report.printSummary()
        case "kinematic-arm":
            var run = ReachingRun(options: try hierarchyOptions(), trials: count, firstSeed: seed)
            if let record {
                let hierarchy = try KinematicHierarchy(options: run.options)
                let session = RecordedSession(task: task, agent: AgentConfiguration(kinematicHierarchy: run.options), parameters: [:],
                                              firstSeed: seed, episodes: count, ownRandomStarts: false,
                                              layout: SessionLayout(observationDimension: hierarchy.observationDimension,
                                                                    actionDimension: hierarchy.actionDimension,
                                                                    beliefs: AgentBeliefs.hierarchy(hierarchy), controlPeriod: 1))
                run.recording = RunRecording(recorder: try session.startRecorder(path: record), beliefs: AgentBeliefs.writeHierarchy)
            }
            let report = try run.run()
            try finishRecording(run.recording?.recorder)
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
            var run = ReflexArmRun(options: options)
            if let record {
                let controller = try ReflexController(options: options)
                let session = RecordedSession(task: task, agent: AgentConfiguration(reflexController: options), parameters: [:],
                                              firstSeed: 0, episodes: 1, ownRandomStarts: false,
                                              layout: SessionLayout(observationDimension: controller.observationDimension,
                                                                    actionDimension: controller.actionDimension,
                                                                    beliefs: AgentBeliefs.reflex(controller), controlPeriod: options.controlPeriod))
                run.recording = RunRecording(recorder: try session.startRecorder(path: record), beliefs: AgentBeliefs.writeReflex)
            }
            let report = try run.run()
            try finishRecording(run.recording?.recorder)
            json ? printJSON(report) : report.printSummary()
        }
    }

    /// Learn the pendulum's dynamics with a ModelLearner, then score the planner on the learned model.
    /// `--agent learned`: a ``LearningAgent`` explores, learns and controls within the task's
    /// interaction budget, then is scored frozen; the true-model planner is scored on the same starts.
    func runLearned(episodes: Int, configured: LearningAgentOptions?, goal: LearningGoal?) throws {
        var control = try ControlTasks.make(task, parameters: try TaskParameters(task: task, pairs: parameters))
        let defaults = control.learning
        let options: LearningAgentOptions
        if let goal {
            guard goal.target.count == control.stateDimension else {
                throw ValidationError("\(agent!)'s goal has \(goal.target.count) values; \(task) observes its state, \(control.stateDimension) values")
            }
            options = try LearningAgentOptions(goal: goal, actionLower: control.actionLower, actionUpper: control.actionUpper,
                                               controlPeriod: control.controlPeriod, seed: UInt64(seed))
        } else if let configured {
            guard configured.observationDimension == control.stateDimension, configured.actionLower == control.actionLower,
                  configured.actionUpper == control.actionUpper, configured.angleIndices == control.angleIndices,
                  abs(configured.controlPeriod - control.controlPeriod) < 1e-12 else {
                throw ValidationError("\(agent!) is a learning agent for another robot: \(task) observes its state "
                    + "(observationDimension \(control.stateDimension), angleIndices \(control.angleIndices)) and acts in "
                    + "[\(control.actionLower), \(control.actionUpper)] every \(control.controlPeriod) s; the config has "
                    + "observationDimension \(configured.observationDimension), angleIndices \(configured.angleIndices), "
                    + "actions [\(configured.actionLower), \(configured.actionUpper)], controlPeriod \(configured.controlPeriod)")
            }
            guard babblingSteps == nil, hiddenSizes.isEmpty else {
                throw ValidationError("--babbling-steps and --hidden-sizes set what \(agent!) already configures; give them in the file")
            }
            options = configured
        } else {
            options = try ControlTaskRun.learningOptions(for: control, explorationSteps: babblingSteps,
                                                         hiddenSizes: hiddenSizes.isEmpty ? nil : hiddenSizes, seed: UInt64(seed))
        }
        var learning = try LearningAgent(options: options)
        let budget = learningSteps ?? defaults.budget
        // --record: the interaction (learning included), the switch to frozen, and the scored episodes.
        var recording: RunRecording<LearningAgent>?
        if let record {
            guard Self.recordableTasks.contains(task) else {
                throw ValidationError("pcctl run \(task) --record is not supported yet; --record works for: \(Self.recordableTasks.joined(separator: ", "))")
            }
            let session = RecordedSession(task: task, agent: AgentConfiguration(learning: options),
                                          parameters: try TaskParameters(task: task, pairs: parameters).values, firstSeed: seed,
                                          episodes: episodes, ownRandomStarts: false,
                                          layout: SessionLayout(observationDimension: control.stateDimension, actionDimension: control.actionLower.count,
                                                                beliefs: AgentBeliefs.learning(learning), controlPeriod: control.controlPeriod))
            recording = RunRecording(recorder: try session.startRecorder(path: record, events: AgentBeliefs.learningEvents),
                                     beliefs: AgentBeliefs.writeLearning)
        }
        let interaction = try ControlTaskRun.interact(&learning, with: &control, budget: budget, episodeSteps: defaults.episodeSteps,
                                                      recording: recording, log: { line in if !json { print("  learn: " + line) } })
        learning.isLearning = false
        recording?.recorder.recordEvent(0)
        var agent: any Agent = learning
        let scoring = recording.map { recording in
            RunRecording<any Agent>(recorder: recording.recorder, beliefs: { agent, buffer in
                withUnsafePointer(to: agent.pointee as! LearningAgent) { AgentBeliefs.writeLearning($0, buffer) }
            })
        }
        var report = try ControlTaskRun.score(&agent, on: &control, agentName: "learned", episodes: episodes, firstSeed: seed,
                                              recording: scoring, firstRecordedEpisode: interaction.episodes)
        try finishRecording(recording?.recorder)
        report.extra["learn.environmentSteps"] = Double(interaction.environmentSteps)
        report.extra["learn.agentSteps"] = Double(interaction.agentSteps)
        report.extra["learn.explorationSteps"] = Double(interaction.explorationSteps)
        report.extra["learn.episodes"] = Double(interaction.episodes)
        report.extra["learn.modelVersion"] = Double(interaction.modelVersion)
        report.extra["learn.batches"] = Double(interaction.batches)
        report.extra["learn.seconds"] = interaction.learningSeconds
        report.extra["learn.maxStepLearningSeconds"] = interaction.maxStepLearningSeconds
        for (i, value) in interaction.onlineRMS.enumerated() { report.extra["learn.onlineRMS.\(i)"] = value }
        if !noReference {
            var reference = try control.truePlanner(options: nil)
            let truth = try ControlTaskRun.score(&reference, on: &control, agentName: "predictive", episodes: episodes, firstSeed: seed)
            report.extra["reference.meanReturn"] = truth.statistics.meanReturn
            report.extra["reference.successRate"] = truth.statistics.successRate
            report.extra["reference.medianStepTime"] = truth.statistics.medianStepTime
            report.extra["learnedOverReference"] = report.statistics.meanReturn / truth.statistics.meanReturn
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
        try predictiveOptions(default: Optional(preset))!
    }

    /// The predictive controller's options from a config file, or `preset` (nil: the task's own).
    func predictiveOptions(default preset: PredictiveControllerOptions?) throws -> PredictiveControllerOptions? {
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

    /// Refuses a planner whose observation layout does not read the task's observation (it would
    /// see every observation as invalid and only ever emit its safe action).
    func observing(_ options: PredictiveControllerOptions, _ dimension: Int, _ layout: String) throws -> PredictiveControllerOptions {
        guard options.observation.observationDimension == dimension else {
            throw ValidationError("""
                \(agent ?? "the preset") reads observations of \(options.observation.observationDimension) values, \
                but \(task) observes \(dimension): \(layout); set predictiveController.observation to that layout
                """)
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

    /// Closes a recording and says what it holds (on stderr with --json, so stdout stays one JSON object).
    func finishRecording(_ recorder: SessionRecorder?) throws {
        guard let recorder else { return }
        let summary = try recorder.finish()
        let line = "recorded \(recorder.path): \(summary.steps) steps, \(summary.messages) messages, \(summary.bytes) bytes"
            + (summary.stalls > 0 ? "; the control thread waited for the writer \(summary.stalls) times" : "")
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
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
