import ArgumentParser
import PCNumerics

/// `pcctl`: run tasks, serve robots, train networks, benchmark and inspect PCKit.
@main
struct PCCTL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcctl",
        abstract: "PCKit: predictive-coding agents for robots — run, serve, train, bench, inspect.",
        version: "\(pckitVersion) (kernels: \(KernelPath.current.rawValue); available: \(KernelPath.available.map(\.rawValue).joined(separator: ", ")))",
        subcommands: [Run.self, Serve.self, Broker.self, Keygen.self, Load.self, LoadRobot.self, Bench.self, Train.self, Evaluate.self, Inspect.self, Modes.self, RunSimulator.self, ExportConfigs.self, Replay.self, Export.self]
    )
}

/// The PCKit release this tool belongs to (semantic version).
let pckitVersion = "0.1.0"
