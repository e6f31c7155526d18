/// What is wrong with a message. Every case carries the context needed to fix the sender, and maps
/// to the ``ErrorCode`` sent back in an `error` reply.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case frameTooShort(length: Int, minimum: Int)
    case badMagic(found: UInt32)
    case unsupportedVersion(major: Int, supported: Int)
    case unknownKind(UInt8)
    case unexpectedKind(MessageKind)
    case frameSizeMismatch(length: Int, expected: Int, count: Int)
    case tooManyValues(count: Int, limit: Int)
    case nonFiniteValue(index: Int, value: Double)
    case malformedJSON(String)
    case invalidMessage(String)
    case tooLarge(length: Int, limit: Int)

    /// The protocol code reported for this error.
    public var code: ErrorCode {
        switch self {
        case .frameTooShort: .malformedFrame
        case .badMagic: .badMagic
        case .unsupportedVersion: .unsupportedVersion
        case .unknownKind: .unknownKind
        case .unexpectedKind: .unexpectedKind
        case .frameSizeMismatch: .frameSizeMismatch
        case .tooManyValues: .tooManyValues
        case .nonFiniteValue: .nonFiniteValue
        case .malformedJSON: .malformedJSON
        case .invalidMessage: .invalidMessage
        case .tooLarge: .tooLarge
        }
    }

    public var description: String {
        switch self {
        case let .frameTooShort(length, minimum):
            "frame starting with PCKW has \(length) bytes, shorter than the \(minimum)-byte header"
        case let .badMagic(found):
            "bad magic 0x\(String(found, radix: 16)) (first bytes, little-endian): a payload must start with \"PCKW\" (data frame) or \"{\" (JSON control message)"
        case let .unsupportedVersion(major, supported):
            "protocol major version \(major) is not supported (server speaks \(supported))"
        case let .unknownKind(byte): "unknown message kind \(byte): binary frames carry 3 (step), 4 (action), 7 (heartbeat) or 9 (telemetry)"
        case let .unexpectedKind(kind):
            kind.isDataPlane ? "message kind \(kind.name) (\(kind.rawValue)) is not accepted here"
                : "kind \(kind.rawValue) (\(kind.name)) is a JSON control message: send it as JSON with \"kind\":\"\(kind.name)\", not as a binary frame"
        case let .frameSizeMismatch(length, expected, count):
            "frame has \(length) bytes but its header announces \(count) values (\(expected) bytes)"
        case let .tooManyValues(count, limit): "count \(count) exceeds the limit of \(limit) values"
        case let .nonFiniteValue(index, value): "value[\(index)] is \(value); values must be finite"
        case let .malformedJSON(why): "malformed JSON: \(why)"
        case let .invalidMessage(why): "invalid message: \(why)"
        case let .tooLarge(length, limit): "message of \(length) bytes exceeds the limit of \(limit)"
        }
    }
}
