import PCWire

/// Why the bridge refused a request or could not start. Request errors become `error` replies
/// with ``code`` and ``description``; setup errors are thrown to the caller.
public enum BridgeError: Error, Equatable, CustomStringConvertible {
    /// The message broke a wire rule.
    case wire(WireError)
    /// No session has this id.
    case unknownSession(UInt64)
    /// The sequence number went backwards.
    case outOfOrderSequence(received: UInt64, last: UInt64)
    /// The observation's length differs from the session's observation space.
    case dimensionMismatch(expected: Int, got: Int)
    /// The factory refused the agent configuration.
    case agentRejected(String)
    /// The agent failed while resetting.
    case agentFailure(String)
    /// The server holds its maximum number of sessions.
    case serverFull(limit: Int)
    /// A libzmq call failed (setup, or a client's send/receive).
    case transport(ZMQError)
    /// A bind address is not loopback and non-loopback binding was not allowed.
    case nonLoopbackEndpoint(String)
    /// A client waited longer than its timeout for a reply.
    case timeout(milliseconds: Int, request: String)
    /// The server answered a client's request with an error.
    case remote(ErrorMessage)
    /// The server answered with a message of the wrong kind or shape.
    case unexpectedReply(String)
    /// A server setting is outside its range (setup).
    case invalidConfiguration(String)
    /// A request for a session from a client identity other than the one that opened it.
    case notOwner(session: UInt64)
    /// The peer already holds its maximum number of sessions.
    case peerLimit(peer: String, limit: Int)
    /// An observation coordinate lies outside the declared bounds (with `refuseOutOfBounds`).
    case observationOutOfBounds(index: Int, value: Double, low: Double, high: Double)
    /// The session already has the maximum number of requests queued.
    case sessionBusy(session: UInt64, limit: Int)
    /// The session would need more memory than a budget allows.
    case memoryBudget(needed: Int, budget: Int, scope: String)
    /// The robot's saved model (`file`, in the server's model directory) cannot be restored:
    /// damaged, too large, another robot's, or learned with other options (`reason`).
    case savedModel(file: String, reason: String)

    /// The protocol code sent back for this error.
    public var code: ErrorCode {
        switch self {
        case let .wire(e): e.code
        case .unknownSession: .unknownSession
        case .outOfOrderSequence: .outOfOrderSequence
        case .dimensionMismatch: .dimensionMismatch
        case .agentRejected: .agentRejected
        case .agentFailure: .agentFailure
        case .serverFull: .serverFull
        case let .remote(m): m.code
        case .notOwner: .notOwner
        case .peerLimit: .peerLimit
        case .observationOutOfBounds: .observationOutOfBounds
        case .sessionBusy: .sessionBusy
        case .memoryBudget, .savedModel: .agentRejected
        case .transport, .nonLoopbackEndpoint, .timeout, .unexpectedReply, .invalidConfiguration: .invalidMessage
        }
    }

    public var description: String {
        switch self {
        case let .wire(e): e.description
        case let .unknownSession(id): "unknown session \(id): send a hello first (sessions end with bye or after the idle timeout)"
        case let .outOfOrderSequence(received, last): "sequence \(received) is older than the last one, \(last)"
        case let .dimensionMismatch(expected, got): "observation has \(got) values, expected \(expected)"
        case let .agentRejected(why): "agent rejected: \(why)"
        case let .agentFailure(why): "agent failed: \(why)"
        case let .serverFull(limit): "server already holds its limit of \(limit) sessions"
        case let .transport(e): e.description
        case let .nonLoopbackEndpoint(endpoint): "\(endpoint) is not a loopback or ipc endpoint; pass allowNonLoopback (pcctl: --allow-remote) to expose the server"
        case let .timeout(ms, request): "no reply to \(request) within \(ms) ms"
        case let .remote(m): "server error \(m.code.rawValue): \(m.message)"
        case let .unexpectedReply(why): "unexpected reply: \(why)"
        case let .invalidConfiguration(why): "invalid server configuration: \(why)"
        case let .notOwner(id): "session \(id) belongs to another client identity; open your own session with a hello"
        case let .peerLimit(peer, limit): "peer \(peer) already holds its limit of \(limit) sessions; close one with bye first"
        case let .observationOutOfBounds(i, v, lo, hi): "observation[\(i)] = \(v) is outside the declared bounds [\(lo), \(hi)]"
        case let .sessionBusy(id, limit): "session \(id) already has \(limit) requests queued; wait for their replies"
        case let .savedModel(file, reason): "agent rejected: the saved model \(file) in the server's model directory cannot be restored: \(reason); delete that file to start learning afresh (this robot then explores again)"
        case let .memoryBudget(needed, budget, scope): "agent rejected: the session needs about \(needed) bytes, above the \(scope) memory budget of \(budget) bytes; choose smaller options (horizon, iterations, samples) or raise the budget"
        }
    }
}
