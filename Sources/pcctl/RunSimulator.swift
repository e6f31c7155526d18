import ArgumentParser
import Foundation
import PCEnvironment
import PCNumerics
import PCSims

/// `pcctl run <env> --policy random|zero`: episodes of a simulated environment under a simple policy, with scores,
/// an optional SVG time-series plot of the first episode and an SVG frame of its last state.
/// (`pcctl run` forwards here when `--policy` is given or the environment has no agent task.)
struct RunSimulator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-simulator",
        abstract: "Run episodes of a simulated environment and report returns (table or JSON).",
        discussion: "Environments: \(SimulatorName.allCases.map(\.rawValue).joined(separator: ", ")).")

    enum Policy: String, ExpressibleByArgument, CaseIterable {
        case random, zero
    }

    @Argument(help: "The environment.")
    var environment: String

    @Option(name: .long, help: "random (uniform in the action space; [-1, 1] where unbounded) or zero.")
    var policy: Policy = .random

    @Option(name: .long, help: "Number of episodes (seeds S, S+1, …).")
    var episodes: Int = 1

    @Option(name: .long, help: "First seed.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Start from Gymnasium's exported initial states of the seeds (Gymnasium environments only).")
    var gymnasiumStarts = false

    @Option(name: .long, help: "Write an SVG time-series plot (states, actions, rewards) of the first episode.")
    var plot: String?

    @Option(name: .long, help: "Write an SVG picture of the first episode's final state.")
    var frame: String?

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard SimulatorName(rawValue: environment) != nil else {
            throw ValidationError("unknown environment '\(environment)'; known: \(SimulatorName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1") }
    }

    struct Summary: Codable {
        var environment: String, policy: String, seed: UInt64, episodes: Int, gymnasiumStarts: Bool
        var returns: [Double], steps: [Int]
        var mean: Double, standardDeviation: Double, median: Double, worst: Double, best: Double
    }

    func run() throws {
        let name = SimulatorName(rawValue: environment)!
        var entry = try name.make(seed: seed)
        var env = entry.environment
        var actions = Xoshiro256(seed: seed &+ 0x5EED)
        let space = env.actionSpace
        var returns: [Double] = [], lengths: [Int] = []
        var time: [Double] = [], states: [[Double]] = [], actionTrace: [[Double]] = [], rewards: [Double] = []
        for episode in 0..<episodes {
            let episodeSeed = seed &+ UInt64(episode)
            var observation: [Double]
            if gymnasiumStarts {
                guard let starts = entry.gymnasiumStarts, episodeSeed < UInt64(starts.count) else {
                    throw ValidationError("--gymnasium-starts needs a Gymnasium environment and seeds below 100")
                }
                observation = try reset(&env, state: starts[Int(episodeSeed)])
            } else {
                observation = env.reset(seed: episodeSeed)
            }
            var total = 0.0, steps = 0
            if episode == 0 { time.append(0); states.append(env.state) }
            for _ in 0..<entry.episodeSteps {
                let action: [Double] = (0..<space.dimension).map { i in
                    guard policy == .random else { return min(max(0, space.low[i]), space.high[i]) }
                    let low = space.low[i].isFinite ? space.low[i] : -1, high = space.high[i].isFinite ? space.high[i] : 1
                    return actions.uniform(low, high)
                }
                let t = try env.step(action, observation: &observation)
                total += t.reward
                steps += 1
                if episode == 0 {
                    time.append(Double(steps) * env.model.timeStep)
                    states.append(env.state); actionTrace.append(action); rewards.append(t.reward)
                }
                if t.terminated { break }
            }
            if episode == 0, let frame { try env.writeFrame(to: frame) }
            returns.append(total)
            lengths.append(steps)
        }
        entry.environment = env
        if let plot { try writePlot(plot, name: name, entry: entry, time: time, states: states, actions: actionTrace, rewards: rewards) }
        report(returns: returns, lengths: lengths)
    }

    func writePlot(_ path: String, name: SimulatorName, entry: SimulatorEntry, time: [Double], states: [[Double]],
                   actions: [[Double]], rewards: [Double]) throws {
        let stateSeries = entry.stateLabels.indices.map { i in TimeSeries(entry.stateLabels[i], states.map { $0[i] }) }
        // Actions and rewards belong to the interval that ends at each sample: none at t = 0.
        let actionSeries = (0..<(actions.first?.count ?? 0)).map { i in
            TimeSeries(actions.first!.count == 1 ? "a" : "a\(i + 1)", [.nan] + actions.map { $0[i] })
        }
        var cumulative = 0.0
        let returnSeries = [Double.nan] + rewards.map { cumulative += $0; return cumulative }
        let unit = entry.environment.model.timeStep == 1 ? "step" : "time (s)"
        let plot = TimeSeriesPlot(
            title: "\(name.rawValue): \(policy.rawValue) policy, seed \(seed)\(gymnasiumStarts ? " (Gymnasium start)" : "")",
            time: time, xLabel: unit,
            panels: [
                PlotPanel(title: "State", yLabel: "state", series: stateSeries),
                PlotPanel(title: "Action", yLabel: "action", series: actionSeries),
                PlotPanel(title: "Reward per step and return", yLabel: "reward",
                          series: [TimeSeries("reward", [.nan] + rewards), TimeSeries("return / steps", zip(returnSeries, time.indices).map { $1 == 0 ? .nan : $0 / Double($1) })]),
            ])
        try plot.write(to: path)
    }

    func report(returns: [Double], lengths: [Int]) {
        let sorted = returns.sorted()
        let mean = returns.reduce(0, +) / Double(returns.count)
        let sd = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count)).squareRoot()
        let summary = Summary(environment: environment, policy: policy.rawValue, seed: seed, episodes: episodes,
                              gymnasiumStarts: gymnasiumStarts, returns: returns, steps: lengths, mean: mean,
                              standardDeviation: sd, median: median(sorted), worst: sorted.first!, best: sorted.last!)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try! encoder.encode(summary), as: UTF8.self))
        } else {
            print("\(environment), \(policy.rawValue) policy, \(episodes) episode(s) from seed \(seed)")
            print(String(format: "  return %.3f ± %.3f (population sd), median %.3f, worst %.3f, best %.3f; mean length %.1f steps",
                         mean, sd, summary.median, summary.worst, summary.best, Double(lengths.reduce(0, +)) / Double(lengths.count)))
            if let plot { print("  plot: \(plot)") }
            if let frame { print("  frame: \(frame)") }
        }
    }
}
