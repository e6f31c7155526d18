import ArgumentParser
import PCAgents
import PCSims

/// `--param name=value` for `pcctl run`: a task's physical parameters, each with a documented range,
/// parsed strictly (an unknown name, a malformed pair, a repeat or a value out of range is an error
/// naming what would work).
struct TaskParameters {
    /// A settable parameter: its default and closed range.
    struct Parameter {
        let name: String
        let defaultValue: Double
        let range: ClosedRange<Double>
        let unit: String
    }

    /// Settable parameters by task (tasks not listed have none yet).
    static let byTask: [String: [Parameter]] = [
        "pendulum": [Parameter(name: "mass", defaultValue: 1, range: 0.01...100, unit: "kg"),
                     Parameter(name: "length", defaultValue: 1, range: 0.01...100, unit: "m"),
                     Parameter(name: "gravity", defaultValue: 10, range: 0...100, unit: "m/s²")],
        "cartpole-swingup": [Parameter(name: "cartMass", defaultValue: 1, range: 0.01...100, unit: "kg"),
                             Parameter(name: "poleMass", defaultValue: 0.1, range: 0.01...100, unit: "kg"),
                             Parameter(name: "halfLength", defaultValue: 0.5, range: 0.05...10, unit: "m"),
                             Parameter(name: "forceMagnitude", defaultValue: 10, range: 0.1...1000, unit: "N"),
                             Parameter(name: "gravity", defaultValue: 9.8, range: 0...100, unit: "m/s²")],
        "inverted-pendulum": [Parameter(name: "gravity", defaultValue: 9.81, range: 0...100, unit: "m/s²"),
                              Parameter(name: "cartDamping", defaultValue: 1, range: 0...100, unit: "N·s/m"),
                              Parameter(name: "poleDamping", defaultValue: 1, range: 0...100, unit: "N·m·s/rad")],
    ]

    /// One line per task for `--help`.
    static var help: String {
        byTask.keys.sorted().map { task in
            "\(task): " + byTask[task]!.map { "\($0.name) (\($0.unit), default \($0.defaultValue), \($0.range.lowerBound)…\($0.range.upperBound))" }
                .joined(separator: ", ")
        }.joined(separator: "; ")
    }

    let values: [String: Double]

    /// Parses `name=value` pairs for `task`.
    init(task: String, pairs: [String]) throws {
        guard !pairs.isEmpty else { values = [:]; return }
        guard let parameters = Self.byTask[task] else {
            throw ValidationError("\(task) has no settable parameters yet (--param works for: \(Self.byTask.keys.sorted().joined(separator: ", ")))")
        }
        var values: [String: Double] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw ValidationError("--param \(pair): expected name=value, e.g. --param mass=1.3")
            }
            let known = parameters.map(\.name)
            guard let parameter = parameters.first(where: { $0.name == parts[0] }) else {
                let suggestion = AgentConfigurationError.unknownKey(parts[0], known: known)
                throw ValidationError("--param: \(task) has no parameter `\(parts[0])`; \(suggestion)")
            }
            guard values[parameter.name] == nil else { throw ValidationError("--param \(parameter.name) given twice") }
            guard value.isFinite, parameter.range.contains(value) else {
                throw ValidationError("--param \(parameter.name)=\(parts[1]): must be in \(parameter.range.lowerBound)…\(parameter.range.upperBound) \(parameter.unit)")
            }
            values[parameter.name] = value
        }
        self.values = values
    }

    /// The cart-pole swing-up with these parameters (defaults for the rest).
    func cartPoleModel() throws -> CartPoleModel {
        try CartPoleModel(task: .swingUp, gravity: values["gravity"] ?? 9.8, cartMass: values["cartMass"] ?? 1,
                          poleMass: values["poleMass"] ?? 0.1, halfLength: values["halfLength"] ?? 0.5,
                          forceMagnitude: values["forceMagnitude"] ?? 10)
    }

    /// InvertedPendulum-v5's geometry with these parameters (defaults for the rest).
    func invertedPendulumModel() -> InvertedPendulumModel {
        InvertedPendulumModel(cartDamping: values["cartDamping"] ?? 1, poleDamping: values["poleDamping"] ?? 1,
                              gravity: values["gravity"] ?? 9.81)
    }

    /// Gymnasium's Pendulum-v1 with these parameters (defaults for the rest).
    func pendulumModel() throws -> PendulumModel {
        try PendulumModel(gravity: values["gravity"] ?? 10, mass: values["mass"] ?? 1, length: values["length"] ?? 1)
    }
}
