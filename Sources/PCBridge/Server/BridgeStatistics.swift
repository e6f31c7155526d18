import PCWire

/// Counters of a running server, read with ``BridgeServer/statistics``.
public struct BridgeStatistics: Sendable, Equatable {
    /// Requests received (every message with a payload frame).
    public var requests: UInt64 = 0
    /// Replies sent (exactly one per attributable request).
    public var replies: UInt64 = 0
    /// Steps answered with an action.
    public var steps: UInt64 = 0
    /// Sessions opened by a hello.
    public var sessionsCreated: UInt64 = 0
    /// Sessions ended by bye.
    public var sessionsClosed: UInt64 = 0
    /// Sessions dropped after the idle timeout.
    public var sessionsExpired: UInt64 = 0
    /// Sessions open now.
    public var activeSessions: Int = 0
    /// Messages that could not be answered (an envelope too deep or too long to route back).
    public var unattributable: UInt64 = 0
    /// CURVE handshakes refused because the client's key is not authorized.
    public var clientsRefused: UInt64 = 0
    /// Sessions whose learning agent resumed a saved model at its hello (``BridgeServerConfiguration/modelDirectory``).
    public var modelsResumed: UInt64 = 0
    /// The model version the last resumed session started from (0 before any).
    public var lastResumedModelVersion: Int = 0
    /// Learned models written to the model directory when their session ended.
    public var modelsSaved: UInt64 = 0
    /// Learned models that could not be written (each logged with its path and reason).
    public var modelSaveFailures: UInt64 = 0
    /// Error replies sent, by code.
    public var errors: [ErrorCode: UInt64] = [:]

    public init() {}

    /// All error replies.
    public var totalErrors: UInt64 { errors.values.reduce(0, +) }
}
