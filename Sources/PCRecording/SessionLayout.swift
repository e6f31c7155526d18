/// One named vector of an agent's beliefs, recorded every step (e.g. the planned controls).
public struct BeliefField: Sendable, Equatable, Codable {
    /// The JSON field name, e.g. `plannedControls`.
    public var name: String
    /// Values per step.
    public var count: Int
    /// What the values are, with units and layout (goes into the channel's JSON schema).
    public var description: String

    /// - Parameters:
    ///   - name: the JSON field name (letters and digits).
    ///   - count: values per step, ≥ 0.
    ///   - description: what the values are, with units and layout.
    public init(name: String, count: Int, description: String) {
        self.name = name
        self.count = count
        self.description = description
    }
}

/// The shape of a recorded session's steps: every step holds one observation, one action, the
/// step's diagnostics and the agent's beliefs, each of a fixed size.
public struct SessionLayout: Sendable, Equatable, Codable {
    /// Values per observation.
    public var observationDimension: Int
    /// Values per action.
    public var actionDimension: Int
    /// The belief vectors recorded per step, in this order.
    public var beliefs: [BeliefField]
    /// Seconds between steps; message log times are step index × controlPeriod (simulated time).
    public var controlPeriod: Double

    /// The largest number of values one step may hold: 1,000,000 (8 MB per slot).
    public static let maximumValuesPerStep = 1_000_000

    /// - Parameters:
    ///   - observationDimension: values per observation, ≥ 1.
    ///   - actionDimension: values per action, ≥ 1.
    ///   - beliefs: the belief vectors recorded per step, in order.
    ///   - controlPeriod: seconds between steps, > 0 (sets the messages' log times).
    public init(observationDimension: Int, actionDimension: Int, beliefs: [BeliefField], controlPeriod: Double) {
        self.observationDimension = observationDimension
        self.actionDimension = actionDimension
        self.beliefs = beliefs
        self.controlPeriod = controlPeriod
    }

    /// Total belief values per step.
    public var beliefDimension: Int { beliefs.reduce(0) { $0 + $1.count } }

    /// Checks that every size is positive (beliefs: non-negative), names are unique JSON-safe words
    /// and the control period is positive and finite.
    /// - Throws: ``SessionRecordingError/invalidLayout(_:)`` naming the bad field.
    public func validate() throws {
        guard observationDimension >= 1, actionDimension >= 1 else {
            throw SessionRecordingError.invalidLayout("observation and action dimensions must be ≥ 1 (got \(observationDimension), \(actionDimension))")
        }
        guard controlPeriod > 0, controlPeriod.isFinite else {
            throw SessionRecordingError.invalidLayout("controlPeriod must be a positive number of seconds (got \(controlPeriod))")
        }
        let reserved: Set<String> = ["episode", "step"]
        var seen: Set<String> = []
        for field in beliefs {
            guard field.count >= 0, !field.name.isEmpty, !reserved.contains(field.name), seen.insert(field.name).inserted,
                  field.name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else {
                throw SessionRecordingError.invalidLayout("belief field `\(field.name)` (count \(field.count)): names must be unique letters and digits, not episode or step, counts ≥ 0")
            }
        }
        let total = observationDimension + actionDimension + beliefDimension
        guard total <= Self.maximumValuesPerStep else {
            throw SessionRecordingError.invalidLayout("\(total) values per step; at most \(Self.maximumValuesPerStep)")
        }
    }
}

/// Why a session could not be recorded.
public enum SessionRecordingError: Error, Equatable, CustomStringConvertible {
    /// The layout is unusable (see ``SessionLayout/validate()``).
    case invalidLayout(String)
    /// The ring buffer's capacity is outside 2…1,048,576 slots.
    case invalidCapacity(Int)
    /// Writing the file failed on the writer thread.
    case writeFailed(MCAPError)

    /// What is wrong, and what would work.
    public var description: String {
        switch self {
        case let .invalidLayout(reason): return "session layout: \(reason)"
        case let .invalidCapacity(capacity): return "recorder capacity \(capacity) slots: must be in 2…1,048,576"
        case let .writeFailed(error): return "recording failed: \(error)"
        }
    }
}
