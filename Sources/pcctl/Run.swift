import ArgumentParser
import Foundation
import PCAgents
import PCEnvironment
import PCSims

/// `pcctl run <task>`: run an agent on a built-in task for N episodes and print its score.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an agent on a simulated task and print mean ± sd, median, worst, success rate and compute time.",
        discussion: """
        Agent tasks: pendulum, lightdark, lightdark-countercheck. Agents: a name (predictive) or a JSON
        config file (see Examples/configs/); light-dark runs all sensing policies unless one is named.
        Any simulated environment (\(SimulatorName.allCases.map(\.rawValue).joined(separator: ", ")))
        runs under a simple policy with --policy random|zero.
        Episodes use seeds S..S+N−1; seeds below 100 start from Gymnasium's initial states
        (Sims/Fixtures) where the environment has them, unless --own-rng is given.
        """)

    @Argument(help: "The task or environment, e.g. pendulum.")
    var task: String

    @Option(name: .long, help: "Run a simple policy instead of an agent: random or zero.")
    var policy: PolicyRun.Policy?

    @Option(name: .long, help: "With --policy: write an SVG picture of the first episode's final state.")
    var frame: String?

    @Option(name: .long, help: "Agent name (predictive) or path to a JSON agent config.")
    var agent: String = "predictive"

    @Option(name: .long, help: "Number of episodes (default: 100 for agent tasks, 1 with --policy).")
    var episodes: Int?

    @Option(name: .long, help: "First seed; episode k uses seed S + k.")
    var seed: Int = 0

    @Flag(name: .long, help: "Draw initial states from PCKit's own seeded RNG instead of the Gymnasium fixture.")
    var ownRng = false

    @Option(name: .long, help: "Write an SVG plot of the first episode to this file.")
    var plot: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let episodes, episodes < 1 { throw ValidationError("--episodes must be at least 1 (got \(episodes))") }
        guard seed >= 0 else { throw ValidationError("--seed must be ≥ 0 (got \(seed))") }
    }

    func run() throws {
        let agentTasks = ["pendulum", "lightdark", "lightdark-countercheck"]
        if policy != nil || !agentTasks.contains(task) {
            try PolicyRun(environment: task, policy: policy ?? .random, episodes: episodes ?? 1, seed: UInt64(seed),
                          gymnasiumStarts: !ownRng, plot: plot, frame: frame, json: json).run()
            return
        }
        let episodes = self.episodes ?? 100
        switch task {
        case "pendulum":
            let options = try predictiveOptions(default: .pendulumSwingUp)
            let controller = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium),
                                                      options: options)
            let report = try PendulumRun(agent: controller, agentName: agentName, episodes: episodes,
                                         firstSeed: seed, ownRandomStarts: ownRng).run()
            try finish(report)
        case "lightdark", "lightdark-countercheck":
            let report = try LightDarkRun(variant: task == "lightdark" ? .main : .counterCheck, episodes: episodes,
                                          firstSeed: seed, policies: try sensingPolicies()).run()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                report.printSummary()
            }
        default:
            throw ValidationError("unknown task `\(task)`; known: pendulum, lightdark, lightdark-countercheck")
        }
    }

    /// Light-dark runs every policy unless one is named (efe, epistemic, goToMean, random, stay).
    func sensingPolicies() throws -> [ActiveSensingOptions.Policy] {
        switch agent {
        case "predictive", "all": return [.expectedFreeEnergy, .epistemic, .goToMean, .random, .stay]
        case "efe": return [.expectedFreeEnergy]
        default:
            guard let policy = ActiveSensingOptions.Policy(rawValue: agent) else {
                throw ValidationError("unknown sensing policy `\(agent)`; use all, efe, epistemic, goToMean, random or stay")
            }
            return [policy]
        }
    }

    var agentName: String { agent.hasSuffix(".json") ? (agent as NSString).lastPathComponent : agent }

    /// The predictive controller's options: the task default, or a config file.
    func predictiveOptions(default preset: PredictiveControllerOptions) throws -> PredictiveControllerOptions {
        switch agent {
        case "predictive", "PredictiveController", "predictiveController": return preset
        default:
            guard agent.hasSuffix(".json") else {
                throw ValidationError("unknown agent `\(agent)` for \(task); use `predictive` or a .json config")
            }
            let configuration = try AgentConfiguration.load(path: agent)
            guard configuration.agent == .predictiveController, let options = configuration.predictiveController else {
                throw ValidationError("\(agent) configures \(configuration.agent.rawValue), not a predictive controller")
            }
            return options
        }
    }

    func finish(_ report: RunReport) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printSummary()
        }
        if let plot {
            try report.writePlot(to: plot)
            if !json { print("plot: \(plot)") }
        }
    }
}

/// What `pcctl run` reports.
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

    func printSummary() {
        let s = statistics
        print("pcctl run \(task) — agent \(agent), \(s.episodes) episodes, seeds \(firstSeed)..\(firstSeed + s.episodes - 1) (\(initialStates))")
        print(String(format: "  return   %.1f ± %.1f   median %.1f   worst %.1f   best %.1f",
                     s.meanReturn, s.standardDeviation, s.medianReturn, s.worstReturn, s.bestReturn))
        print(String(format: "  success  %.0f%%  (%@)", 100 * s.successRate, successCriterion))
        print(String(format: "  compute  median %.1f µs/step   p99 %.1f µs/step",
                     1e6 * s.medianStepTime, 1e6 * s.p99StepTime))
        if !warnings.isEmpty {
            print("  warnings " + warnings.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
        }
    }
}
