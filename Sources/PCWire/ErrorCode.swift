/// The error codes of the protocol, sent as their names in `error` replies (PROTOCOL.md §4).
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    /// A payload starting with `PCKW` that is shorter than the 48-byte header, or a multipart shape
    /// the server cannot parse.
    case malformedFrame
    /// The payload starts neither with the data-frame magic `PCKW` nor with `{`, whatever its length.
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
    /// A step, reset or bye named a session opened by another client identity; the owner's
    /// session is unaffected.
    case notOwner
    /// This peer already holds its maximum number of sessions.
    case peerLimit
    /// An observation coordinate is outside the hello's declared bounds and the server refuses such
    /// observations (the message names the coordinate).
    case observationOutOfBounds
    /// Too many requests are queued for one session.
    case sessionBusy
}
