/// What went wrong when an environment or a space was used incorrectly. Every case says what was
/// expected and what arrived; the environment's state is unchanged when one is thrown.
public enum EnvironmentError: Error, Equatable, CustomStringConvertible {
    /// The action had the wrong number of values.
    case actionShape(expected: Int, got: Int)
    /// The observation buffer passed to `step` had the wrong number of values.
    case observationBufferShape(expected: Int, got: Int)
    /// An action value was NaN or infinite.
    case nonFiniteAction(index: Int, value: Double)
    /// An action lay outside the action space of an environment that rejects rather than clips.
    case actionOutOfBounds(index: Int, value: Double, low: Double, high: Double)
    /// `step` was called before `reset`, or after the episode ended (order enforcement).
    case resetNeeded(String)
    /// A space was constructed with inconsistent bounds.
    case invalidSpace(String)
    /// An environment was configured with invalid parameters.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case let .actionShape(expected, got): "action has \(got) values, expected \(expected)"
        case let .observationBufferShape(expected, got): "observation buffer has \(got) values, expected \(expected)"
        case let .nonFiniteAction(index, value): "action[\(index)] is \(value); actions must be finite"
        case let .actionOutOfBounds(index, value, low, high): "action[\(index)] = \(value) lies outside [\(low), \(high)]"
        case let .resetNeeded(why): "reset needed: \(why)"
        case let .invalidSpace(why): "invalid space: \(why)"
        case let .invalidConfiguration(why): "invalid configuration: \(why)"
        }
    }
}
