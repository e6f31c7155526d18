/// A configuration an agent cannot run with. Each case names the offending field, so a bad JSON
/// config file is reported as "field `horizon`: must be at least 1 (got 0)".
public enum AgentConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A field's value is outside its allowed range.
    case invalidValue(field: String, value: String, requirement: String)
    /// A vector field has the wrong number of entries.
    case dimensionMismatch(field: String, expected: Int, got: Int)
    /// The configuration names an agent or task this build does not know.
    case unknownAgent(String)
    /// The file could not be read or decoded.
    case unreadable(path: String, reason: String)
    /// A JSON object holds a key its type does not read (a typo, or a field of another agent).
    /// - Parameters:
    ///   - path: the key's full JSON path, e.g. `predictiveController.proposal.sample`.
    ///   - suggestion: the closest known key when it is a likely typo, else nil.
    ///   - known: every key the object accepts, in declaration order.
    case unknownKey(path: String, suggestion: String?, known: [String])

    public var description: String {
        switch self {
        case let .invalidValue(field, value, requirement): "field `\(field)`: \(requirement) (got \(value))"
        case let .dimensionMismatch(field, expected, got): "field `\(field)`: expected \(expected) values, got \(got)"
        case let .unknownAgent(name): "unknown agent `\(name)`"
        case let .unreadable(path, reason): "cannot read config \(path): \(reason)"
        case let .unknownKey(path, suggestion, known):
            "unknown key `\(path)`" + (suggestion.map { ": did you mean `\($0)`?" } ?? "")
                + " (known keys: \(known.joined(separator: ", ")))"
        }
    }
}

/// Validation helpers shared by the options types.
enum Validate {
    static func positive(_ x: Double, _ field: String) throws {
        guard x.isFinite, x > 0 else {
            throw AgentConfigurationError.invalidValue(field: field, value: "\(x)", requirement: "must be finite and > 0")
        }
    }
    static func nonNegative(_ x: Double, _ field: String) throws {
        guard x.isFinite, x >= 0 else {
            throw AgentConfigurationError.invalidValue(field: field, value: "\(x)", requirement: "must be finite and ≥ 0")
        }
    }
    static func atMost(_ x: Int, _ maximum: Int, _ field: String) throws {
        guard x <= maximum else {
            throw AgentConfigurationError.invalidValue(field: field, value: "\(x)", requirement: "must be at most \(maximum)")
        }
    }
    /// NaN passes here: the finiteness checks name it.
    static func atMost(_ x: Double, _ maximum: Double, _ field: String) throws {
        guard !(x > maximum) else {
            throw AgentConfigurationError.invalidValue(field: field, value: "\(x)", requirement: "must be at most \(maximum)")
        }
    }
    static func allAtMost(_ xs: [Double], _ maximum: Double, _ field: String) throws {
        for (i, x) in xs.enumerated() { try atMost(x, maximum, "\(field)[\(i)]") }
    }
    /// minimum ≤ x ≤ maximum.
    static func within(_ x: Int, _ minimum: Int, _ maximum: Int, _ field: String) throws {
        try atLeast(x, minimum, field)
        try atMost(x, maximum, field)
    }
    static func atLeast(_ x: Int, _ minimum: Int, _ field: String) throws {
        guard x >= minimum else {
            throw AgentConfigurationError.invalidValue(field: field, value: "\(x)", requirement: "must be at least \(minimum)")
        }
    }
    static func count(_ xs: [Double], _ expected: Int, _ field: String) throws {
        guard xs.count == expected else {
            throw AgentConfigurationError.dimensionMismatch(field: field, expected: expected, got: xs.count)
        }
    }
    static func finite(_ xs: [Double], _ field: String) throws {
        for (i, x) in xs.enumerated() where !x.isFinite {
            throw AgentConfigurationError.invalidValue(field: "\(field)[\(i)]", value: "\(x)", requirement: "must be finite")
        }
    }
    static func allPositive(_ xs: [Double], _ field: String) throws {
        for (i, x) in xs.enumerated() { try positive(x, "\(field)[\(i)]") }
    }
    static func allNonNegative(_ xs: [Double], _ field: String) throws {
        for (i, x) in xs.enumerated() { try nonNegative(x, "\(field)[\(i)]") }
    }
}
