import PCNumerics

/// Why PCCore refused a network, a configuration or an input. Every case names what was wrong.
public enum PCCoreError: Error, Equatable, CustomStringConvertible {
    /// A network needs at least an input and an output size, every size positive.
    case invalidArchitecture(String)
    /// An option is outside its domain: the option's name and why.
    case invalidOption(name: String, reason: String)
    /// A matrix handed in has the wrong shape: what it was, the expected and the actual shape.
    case shapeMismatch(what: String, expected: Shape, got: Shape)
    /// A combination the algorithm does not define (e.g. a free output with a cross-entropy energy).
    case unsupported(String)
    /// A numerics operation failed underneath.
    case numerics(NumericsError)

    public var description: String {
        switch self {
        case let .invalidArchitecture(why): "invalid architecture: \(why)"
        case let .invalidOption(name, reason): "invalid option \(name): \(reason)"
        case let .shapeMismatch(what, expected, got): "\(what): expected shape \(expected), got \(got)"
        case let .unsupported(why): "unsupported: \(why)"
        case let .numerics(error): "numerics: \(error)"
        }
    }
}
