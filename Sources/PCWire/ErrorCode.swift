/// The error codes of the protocol, sent as their names in `error` replies (PROTOCOL.md §4).
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    /// A data frame shorter than its header, or a multipart shape the server cannot parse.
    case malformedFrame
    /// The first four bytes are neither the data-frame magic `PCKW` nor a JSON object.
    case badMagic
    /// The major protocol version differs from the server's.
    case unsupportedVersion
    /// The kind byte or JSON `kind` is not a known message kind.
    case unknownKind
    /// A known kind that the receiver does not accept here (e.g. an `action` sent to the server).
    case unexpectedKind
    /// The frame length does not match its header's count and scalar width.
    case frameSizeMismatch
    /// The count exceeds ``WireLimits/maximumValues``.
    case tooManyValues
    /// A value is NaN or infinite.
    case nonFiniteValue
    /// The control message is not valid JSON or lacks a required field.
    case malformedJSON
    /// A well-formed control message with invalid contents (bad space, bad period, long name…).
    case invalidMessage
    /// The message exceeds ``WireLimits/maximumMessageBytes``.
    case tooLarge
    /// No session has this id (never created, said bye, or dropped after the idle timeout).
    case unknownSession
    /// The sequence number is lower than the session's last one.
    case outOfOrderSequence
    /// The observation has a different length from the session's observation space.
    case dimensionMismatch
    /// The agent factory refused the hello's agent configuration.
    case agentRejected
    /// The agent failed while resetting or stepping.
    case agentFailure
    /// The server has reached its session limit.
    case serverFull
    /// A step, reset, bye or heartbeat for a session that another client identity opened.
    case notOwner
    /// The peer already holds its maximum number of sessions.
    case peerLimit
    /// An observation lies outside the declared bounds and the server refuses such observations.
    case observationOutOfBounds
    /// Too many requests are queued for one session.
    case sessionBusy
}
