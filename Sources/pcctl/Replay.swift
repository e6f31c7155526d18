import ArgumentParser
import Foundation
import PCAgents
import PCRecording
import PCSims
import PCWire

/// `pcctl replay FILE.mcap`: rebuilds the recorded agent from its configuration and seeds, feeds it
/// the recorded observations and checks every action bit for bit.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a session recorded with `pcctl run --record` and check every action bit for bit.",
        discussion: """
        The agent is rebuilt from the recorded configuration (its options as built, the task's parameters), reset with \
        each recorded episode's seed and fed the recorded observations in order; each action it writes is compared with \
        the recorded action's IEEE-754 bit patterns. On the first difference the episode, the step and both actions are \
        printed and the exit status is 1. --set (or --agent) changes the agent before the replay, to see where a change \
        would first have changed an action.
        """)

    @Argument(help: "A session recorded by `pcctl run --record`.")
    var file: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Change one agent option before replaying: a path in the agent configuration and a JSON value, e.g. predictiveController.horizon=12 (repeatable).", valueName: "path=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Replay with the agent in this JSON config instead of the recorded one (same kind of agent).")
    var agent: String?

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    /// The outcome of a replay.
    struct Report: Codable {
        struct Divergence: Codable {
            var episode: Int
            var step: Int
            /// Steps replayed identically before this one.
            var identicalSteps: Int
            var recorded: [Double]
            var replayed: [Double]
            var recordedBits: [String]
            var replayedBits: [String]
        }
        var file: String
        var task: String
        var agent: String
        var overrides: [String]
        var episodes: Int
        var steps: Int
        var identical: Bool
        var firstDivergence: Divergence?
    }

    func run() throws {
        let recording = try RecordedSessionFile(path: file)
        let session = recording.session
        var configuration = session.agent
        if let agent {
            let replacement = try AgentConfiguration.load(path: agent)
            guard replacement.agent == configuration.agent else {
                throw ValidationError("\(agent) configures \(replacement.agent.rawValue); \(file) recorded \(configuration.agent.rawValue)")
            }
            configuration = replacement
        }
        configuration = try Self.apply(overrides, to: configuration)
        var report: Report
        switch (session.task, configuration.agent) {
        case ("pendulum", .predictiveController):
            let model = try TaskParameters(task: "pendulum", pairs: session.parameters.map { "\($0.key)=\($0.value)" }).pendulumModel()
            var controller = try PredictiveController(model: FiniteDifferenceLinearization(model), options: configuration.predictiveController!)
            report = try replay(&controller, recording)
        case ("arm-uaic", .reflexController):
            var controller = try ReflexController(options: configuration.reflexController!)
            report = try replay(&controller, recording)
        case ("lightdark", .activeSensing), ("lightdark-counter", .activeSensing):
            var sensing = try ActiveSensingAgent(options: configuration.activeSensing!)
            report = try replay(&sensing, recording)
        default:
            throw ValidationError("\(file): pcctl replay rebuilds pendulum (predictiveController), arm-uaic (reflexController) and lightdark (activeSensing) sessions; this one is \(session.task) with \(configuration.agent.rawValue)")
        }
        report.agent = configuration.agent.rawValue
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.summary(report))
        }
        if !report.identical { throw ExitCode(1) }
    }

    /// Feeds the recorded calls to `agent` and compares every action bit for bit; stops at the first difference.
    func replay<A: Agent>(_ agent: inout A, _ recording: RecordedSessionFile) throws -> Report {
        let layout = recording.session.layout
        guard agent.observationDimension == layout.observationDimension, agent.actionDimension == layout.actionDimension else {
            throw ValidationError("the rebuilt agent reads \(agent.observationDimension) and writes \(agent.actionDimension) values; "
                + "\(file) recorded \(layout.observationDimension) and \(layout.actionDimension)")
        }
        var report = Report(file: file, task: recording.session.task, agent: "", overrides: overrides, episodes: 0, steps: 0,
                            identical: true)
        var action = [Double](repeating: 0, count: agent.actionDimension)
        for event in recording.events {
            switch event {
            case let .reset(_, seed):
                agent.reset(seed: seed)
                report.episodes += 1
            case let .perceive(observation):
                agent.perceive(observation)
            case let .step(episode, step, observation, recorded):
                _ = agent.step(observation, action: &action)
                if zip(action, recorded).contains(where: { $0.bitPattern != $1.bitPattern }) {
                    report.identical = false
                    report.firstDivergence = .init(episode: episode, step: step, identicalSteps: report.steps, recorded: recorded,
                                                   replayed: action, recordedBits: recorded.map(Self.hex), replayedBits: action.map(Self.hex))
                    return report
                }
                report.steps += 1
            }
        }
        return report
    }

    static func hex(_ value: Double) -> String {
        let digits = String(value.bitPattern, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func summary(_ report: Report) -> String {
        let changed = report.overrides.isEmpty ? "" : " (changed: \(report.overrides.joined(separator: ", ")))"
        guard let d = report.firstDivergence else {
            return "replay \(report.file): \(report.task), \(report.agent)\(changed) — \(report.steps) steps in \(report.episodes) episode\(report.episodes == 1 ? "" : "s"), every action identical (bit for bit)"
        }
        return """
            replay \(report.file): \(report.task), \(report.agent)\(changed) — actions diverge at episode \(d.episode) step \(d.step) \
            (after \(d.identicalSteps) identical steps)
              recorded \(d.recorded.map { "\($0)" }.joined(separator: ", "))  bits \(d.recordedBits.joined(separator: " "))
              replayed \(d.replayed.map { "\($0)" }.joined(separator: ", "))  bits \(d.replayedBits.joined(separator: " "))
            """
    }

    /// Applies `path=value` changes to the agent configuration and validates the result.
    static func apply(_ overrides: [String], to configuration: AgentConfiguration) throws -> AgentConfiguration {
        guard !overrides.isEmpty else { return configuration }
        var tree = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(configuration))
        for override in overrides {
            let parts = override.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--set \(override): expected path=value, e.g. --set predictiveController.horizon=12")
            }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(parts[1].utf8)) else {
                throw ValidationError("--set \(override): the value must be JSON (a number, true or false, a quoted string, an array)")
            }
            tree = try set(parts[0].split(separator: ".").map(String.init), in: tree, to: value, override: override)
        }
        return try AgentConfiguration.decode(try JSONEncoder().encode(tree), path: "--set \(overrides.joined(separator: " "))")
    }

    private static func set(_ path: [String], in tree: JSONValue, to value: JSONValue, override: String) throws -> JSONValue {
        guard let key = path.first else { return value }
        guard case var .object(object) = tree else {
            throw ValidationError("--set \(override): `\(key)` is inside a value that is not an object")
        }
        guard let child = object[key] else {
            throw ValidationError("--set \(override): the agent configuration has no `\(key)` here; it has: \(object.keys.sorted().joined(separator: ", "))")
        }
        object[key] = try set(Array(path.dropFirst()), in: child, to: value, override: override)
        return .object(object)
    }
}
