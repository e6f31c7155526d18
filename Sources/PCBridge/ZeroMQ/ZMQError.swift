import CZeroMQ

/// A libzmq call failed. Carries the call, its argument (endpoint, option) and libzmq's errno.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libzmq function that failed, e.g. `"zmq_bind"`.
    public var operation: String
    /// What it was applied to (an endpoint, an option name), or empty.
    public var subject: String
    /// libzmq's `errno` (e.g. `EAGAIN` on a timeout).
    public var code: Int32

    /// The error of the last failed libzmq call on this thread.
    static func last(_ operation: String, _ subject: String = "") -> ZMQError {
        ZMQError(operation: operation, subject: subject, code: zmq_errno())
    }

    /// Whether the call timed out or would have blocked.
    public var isTimeout: Bool { code == EAGAIN }

    public var description: String {
        let reason = String(cString: zmq_strerror(code))
        return subject.isEmpty ? "\(operation) failed: \(reason) (errno \(code))"
                               : "\(operation) \(subject) failed: \(reason) (errno \(code))"
    }
}
