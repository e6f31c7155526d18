/// Why a reference agent could not be built from a hello's `agent` configuration.
public enum ReferenceAgentError: Error, Equatable, CustomStringConvertible {
    /// `agent.type` is missing or names no agent this factory knows.
    case unknownType(String?, known: [String])
    /// A field is missing or has the wrong shape (the field, what was expected).
    case invalidField(String, expected: String)
    /// The agent does not fit the robot's spaces.
    case spaceMismatch(String)

    public var description: String {
        switch self {
        case let .unknownType(type, known):
            "agent.type \(type.map { "\"\($0)\"" } ?? "is missing"); known types: \(known.joined(separator: ", "))"
        case let .invalidField(field, expected): "agent.\(field) must be \(expected)"
        case let .spaceMismatch(why): "agent does not fit the robot: \(why)"
        }
    }
}
