/// The kinds of message on the wire, with their one-byte codes (PROTOCOL.md §2).
///
/// `hello`, `welcome`, `reset`, `bye` and `error` travel on the JSON control plane; `step`,
/// `action`, `heartbeat` and `telemetry` travel as binary ``DataFrame``s.
public enum MessageKind: UInt8, Sendable, CaseIterable, Codable {
    case hello = 1
    case welcome = 2
    case step = 3
    case action = 4
    case reset = 5
    case bye = 6
    case heartbeat = 7
    case error = 8
    case telemetry = 9

    /// Whether this kind is carried by a binary data frame.
    public var isDataPlane: Bool {
        switch self {
        case .step, .action, .heartbeat, .telemetry: true
        default: false
        }
    }

    /// The lower-case name used in JSON (`"kind": "hello"`).
    public var name: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .step: "step"
        case .action: "action"
        case .reset: "reset"
        case .bye: "bye"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .telemetry: "telemetry"
        }
    }
}
