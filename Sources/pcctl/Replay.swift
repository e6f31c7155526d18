import ArgumentParser
import Foundation
import PCAgents
import PCBridge
import PCKit
import PCNumerics
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
            /// The recorded step stopped at its compute deadline (served sessions), so its action depended on timing.
            var recordedAtDeadline: Bool = false
        }
        var file: String
        var task: String
        var agent: String
        var overrides: [String]
        /// The kernel path the session was recorded on, and the one the replay ran on.
        var recordedKernels: String?
        var kernels: String = KernelPath.current.rawValue
        var episodes: Int
        var steps: Int
        var identical: Bool
        var firstDivergence: Divergence?
    }

    func run() throws {
        let recording = try RecordedSessionFile(path: file)
        // Another kernel path rounds differently: run on the recorded one when this CPU has it.
        if let name = recording.kernels, let path = KernelPath(rawValue: name), path != KernelPath.current,
           KernelPath.available.contains(path) {
            try KernelPath.select(path)
        }
        var report: Report
        switch recording.origin {
        case let .run(session):
            report = try replayRun(session, recording)
        case let .served(served):
            report = try replayServed(served, recording)
        }
        report.recordedKernels = recording.kernels
        report.kernels = KernelPath.current.rawValue
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.summary(report))
        }
        if !report.identical { throw ExitCode(1) }
    }

    /// A `pcctl run` session: the agent rebuilt from its recorded options (and the task's parameters).
    func replayRun(_ session: RecordedSession, _ recording: RecordedSessionFile) throws -> Report {
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
        case ("mountaincar", .predictiveController), ("inverted-pendulum", .predictiveController), ("acrobot-continuous", .predictiveController):
            let task = try ControlTasks.make(session.task, parameters: try TaskParameters(task: session.task,
                                                                                          pairs: session.parameters.map { "\($0.key)=\($0.value)" }))
            report = try replayOpened(try task.truePlanner(options: configuration.predictiveController!), recording)
        case ("cartpole-swingup", .predictiveController):
            report = try replayOpened(try CartPoleRun.controller(options: configuration.predictiveController!), recording)
        case ("reacher", .predictiveController):
            report = try replayOpened(try ReacherRun.controller(options: configuration.predictiveController!), recording)
        case (let task, .learning) where ControlTasks.names.contains(task):
            guard let options = configuration.learning else {
                throw ValidationError("\(file): the learning agent's configuration has no `learning` options")
            }
            var learning = try LearningAgent(options: options)
            report = try replay(&learning, recording) { agent, event in
                guard event == "learningFrozen" else { throw ValidationError("\(file): unknown event `\(event)` (known: learningFrozen)") }
                agent.isLearning = false
            }
        case ("kinematic-arm", .kinematicHierarchy):
            var hierarchy = try KinematicHierarchy(options: configuration.kinematicHierarchy!)
            report = try replay(&hierarchy, recording)
        case ("arm-uaic", .reflexController):
            var controller = try ReflexController(options: configuration.reflexController!)
            report = try replay(&controller, recording)
        case ("lightdark", .activeSensing), ("lightdark-counter", .activeSensing):
            var sensing = try ActiveSensingAgent(options: configuration.activeSensing!)
            report = try replay(&sensing, recording)
        default:
            throw ValidationError("\(file): pcctl replay rebuilds runs of pendulum, cartpole-swingup, reacher, mountaincar, inverted-pendulum, acrobot-continuous (predictiveController), kinematic-arm (kinematicHierarchy), arm-uaic (reflexController) and lightdark (activeSensing); this one is \(session.task) with \(configuration.agent.rawValue)")
        }
        report.agent = configuration.agent.rawValue
        return report
    }

    /// A `pcctl serve` session: the agent rebuilt by the server's own factory from the recorded hello.
    func replayServed(_ served: ServedSessionRecording, _ recording: RecordedSessionFile) throws -> Report {
        if let version = served.resumedModelVersion {
            throw ValidationError("\(file): the session resumed model version \(version) from the server's model directory at its hello; "
                + "a replay from the hello alone would start from no model. Record a session that starts afresh (no --model-dir, or no saved model for the robot)")
        }
        var hello = served
        if let agent {
            guard let data = FileManager.default.contents(atPath: agent) else { throw ValidationError("--agent \(agent): no such file") }
            do { hello.agent = try JSONDecoder().decode(JSONValue.self, from: data) } catch { throw ValidationError("--agent \(agent): not JSON (\(error))") }
        }
        for override in overrides { hello.agent = try Self.apply(override, to: hello.agent) }
        if case let .object(fields) = hello.agent, fields.isEmpty {
            throw ValidationError("\(file): the robot's hello sent an empty agent object, so the server used its default agent (pcctl serve --agent); give that agent with --agent FILE")
        }
        let request = try served.request
        let agent = try PCAgentFactory.builtIn.makeAgent(for: SessionRequest(robot: request.robot, observationSpace: request.observationSpace,
                                                                             actionSpace: request.actionSpace, controlPeriod: request.controlPeriod,
                                                                             agentConfiguration: hello.agent))
        guard request.observationSpace.dimension == recording.layout.observationDimension,
              request.actionSpace.dimension == recording.layout.actionDimension else {
            throw ValidationError("\(file): the hello's spaces do not match the recorded layout")
        }
        var report = Report(file: file, task: recording.taskDescription, agent: hello.agent["agent"]?.stringValue ?? "?",
                            overrides: overrides, episodes: 0, steps: 0, identical: true)
        let action = UnsafeMutableBufferPointer<Double>.allocate(capacity: request.actionSpace.dimension)
        defer { action.deallocate() }
        for event in recording.events {
            switch event {
            case let .reset(_, seed):
                try agent.reset(seed: seed)
                report.episodes += 1
            case let .perceive(observation):
                throw ValidationError("\(file): a served session has no perceptions outside steps (got one of \(observation.count) values)")
            case let .event(name):
                throw ValidationError("\(file): a served session has no events between steps (got `\(name)`)")
            case let .step(episode, step, observation, recorded):
                agent.setComputeDeadline(nil)
                _ = observation.withUnsafeBufferPointer { agent.step(observation: $0, action: action) }
                let replayed = Array(action)
                if zip(replayed, recorded).contains(where: { $0.bitPattern != $1.bitPattern }) {
                    report.identical = false
                    let stopped = report.steps < recording.stepWarnings.count && recording.stepWarnings[report.steps] & 2 != 0
                    report.firstDivergence = .init(episode: episode, step: step, identicalSteps: report.steps, recorded: recorded,
                                                   replayed: replayed, recordedBits: recorded.map(Self.hex), replayedBits: replayed.map(Self.hex),
                                                   recordedAtDeadline: stopped)
                    return report
                }
                report.steps += 1
            }
        }
        return report
    }

    /// ``replay(_:_:)`` for an agent held as `any Agent` (opened to its concrete type).
    func replayOpened<A: Agent>(_ agent: A, _ recording: RecordedSessionFile) throws -> Report {
        var agent = agent
        return try replay(&agent, recording)
    }

    /// Feeds the recorded calls to `agent` and compares every action bit for bit; stops at the first difference.
    func replay<A: Agent>(_ agent: inout A, _ recording: RecordedSessionFile,
                          onEvent: (inout A, String) throws -> Void = { _, name in throw ValidationError("unexpected event `\(name)` in the recording") }) throws -> Report {
        let layout = recording.layout
        guard agent.observationDimension == layout.observationDimension, agent.actionDimension == layout.actionDimension else {
            throw ValidationError("the rebuilt agent reads \(agent.observationDimension) and writes \(agent.actionDimension) values; "
                + "\(file) recorded \(layout.observationDimension) and \(layout.actionDimension)")
        }
        var report = Report(file: file, task: recording.taskDescription, agent: "", overrides: overrides, episodes: 0, steps: 0,
                            identical: true)
        var action = [Double](repeating: 0, count: agent.actionDimension)
        for event in recording.events {
            switch event {
            case let .reset(_, seed):
                agent.reset(seed: seed)
                report.episodes += 1
            case let .perceive(observation):
                agent.perceive(observation)
            case let .event(name):
                try onEvent(&agent, name)
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
        var changed = report.overrides.isEmpty ? "" : " (changed: \(report.overrides.joined(separator: ", ")))"
        if let recorded = report.recordedKernels, recorded != report.kernels {
            changed += " (recorded on kernel path \(recorded), which this CPU or build lacks; replayed on \(report.kernels), which rounds differently)"
        }
        guard let d = report.firstDivergence else {
            return "replay \(report.file): \(report.task), \(report.agent)\(changed) — \(report.steps) steps in \(report.episodes) episode\(report.episodes == 1 ? "" : "s"), every action identical (bit for bit)"
        }
        return """
            replay \(report.file): \(report.task), \(report.agent)\(changed) — actions diverge at episode \(d.episode) step \(d.step) \
            (after \(d.identicalSteps) identical steps)\(d.recordedAtDeadline ? "; the recorded step stopped at its compute deadline, so its action depended on timing" : "")
              recorded \(d.recorded.map { "\($0)" }.joined(separator: ", "))  bits \(d.recordedBits.joined(separator: " "))
              replayed \(d.replayed.map { "\($0)" }.joined(separator: ", "))  bits \(d.replayedBits.joined(separator: " "))
            """
    }

    /// Applies `path=value` changes to the agent configuration and validates the result.
    static func apply(_ overrides: [String], to configuration: AgentConfiguration) throws -> AgentConfiguration {
        guard !overrides.isEmpty else { return configuration }
        var tree = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(configuration))
        for override in overrides { tree = try apply(override, to: tree) }
        return try AgentConfiguration.decode(try JSONEncoder().encode(tree), path: "--set \(overrides.joined(separator: " "))")
    }

    /// Applies one `path=value` change to a JSON agent object.
    static func apply(_ override: String, to tree: JSONValue) throws -> JSONValue {
        let parts = override.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ValidationError("--set \(override): expected path=value, e.g. --set predictiveController.horizon=12")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(parts[1].utf8)) else {
            throw ValidationError("--set \(override): the value must be JSON (a number, true or false, a quoted string, an array)")
        }
        return try set(parts[0].split(separator: ".").map(String.init), in: tree, to: value, override: override)
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
