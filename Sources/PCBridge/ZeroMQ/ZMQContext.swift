import CZeroMQ

/// A libzmq context (its I/O thread and socket registry). Terminated in `deinit`, which waits for
/// its sockets to close; every ``ZMQSocket`` keeps its context alive, so termination comes last.
public final class ZMQContext: @unchecked Sendable {
    // libzmq contexts are thread-safe; the handle never changes after init.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with one I/O thread.
    /// - Throws: ``ZMQError`` when libzmq cannot create it (out of file descriptors, …).
    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        // Sockets are closed (LINGER 0) before this runs, so zmq_ctx_term returns promptly.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Whether libzmq was built with a capability, e.g. `"curve"` (needs libsodium) or `"ipc"`.
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}
