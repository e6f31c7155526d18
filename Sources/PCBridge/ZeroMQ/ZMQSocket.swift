import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket types PCKit uses.
public enum ZMQSocketType: Sendable {
    case request, reply, dealer, router, publisher, subscriber

    var raw: Int32 {
        switch self {
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        }
    }
}

/// One libzmq socket, closed in `deinit`.
///
/// Not thread-safe (libzmq sockets are not): use a socket from one thread at a time; the bridge
/// gives each socket its own `Thread`. Created with LINGER 0, so closing never blocks on unsent
/// messages and `zmq_ctx_term` cannot hang. Sends and receives copy through caller buffers, so no
/// `zmq_msg_t` ever needs a stable Swift address.
public final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// Keeps the context alive for as long as this socket exists.
    public let context: ZMQContext
    public let type: ZMQSocketType

    /// Creates a socket with LINGER 0.
    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        self.context = context
        self.type = type
        try setOption(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
    }

    private var closed = false
    /// ipc:// files this socket bound, with their identity, removed when it closes.
    private var boundFiles: [(path: String, device: UInt64, inode: UInt64)] = []

    deinit { close() }

    /// Closes the socket now (peers see the disconnect at once) and removes the ipc:// files it
    /// bound (libzmq leaves them behind). The socket must not be used afterwards.
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
        // Remove only the very file this socket created, never one a later server bound anew.
        for file in boundFiles {
            var info = stat()
            if stat(file.path, &info) == 0, UInt64(info.st_dev) == file.device, UInt64(info.st_ino) == file.inode {
                unlink(file.path)
            }
        }
    }

    // MARK: Options

    /// Sets an integer option.
    public func setOption(_ option: Int32, _ value: Int32, name: String = "") throws(ZMQError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt", name.isEmpty ? "option \(option)" : name)
        }
    }

    /// Sets a 64-bit integer option (e.g. `ZMQ_MAXMSGSIZE`).
    public func setOption64(_ option: Int32, _ value: Int64, name: String = "") throws(ZMQError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt", name.isEmpty ? "option \(option)" : name)
        }
    }

    /// Sets a byte-string option (identities, CURVE keys in Z85, subscriptions).
    public func setOption(_ option: Int32, bytes: [UInt8], name: String = "") throws(ZMQError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError.last("zmq_setsockopt", name.isEmpty ? "option \(option)" : name) }
    }

    /// Receive timeout in milliseconds (−1 blocks forever).
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_RCVTIMEO, milliseconds, name: "ZMQ_RCVTIMEO")
    }

    /// Send timeout in milliseconds (−1 blocks forever).
    public func setSendTimeout(milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDTIMEO, milliseconds, name: "ZMQ_SNDTIMEO")
    }

    /// High-water marks: messages queued per peer before sends block or drop.
    public func setHighWaterMarks(send: Int32, receive: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDHWM, send, name: "ZMQ_SNDHWM")
        try setOption(ZMQ_RCVHWM, receive, name: "ZMQ_RCVHWM")
    }

    /// The endpoint actually bound last (resolves `tcp://127.0.0.1:*` to a port).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt", "ZMQ_LAST_ENDPOINT")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind", endpoint) }
        if endpoint.hasPrefix("ipc://"), !endpoint.hasPrefix("ipc://@") {
            let path = String(endpoint.dropFirst(6))
            var info = stat()
            if stat(path, &info) == 0 {
                boundFiles.append((path, UInt64(info.st_dev), UInt64(info.st_ino)))
            }
        }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect", endpoint) }
    }

    // MARK: Messages

    /// Sends one frame, copying `bytes`; `more` marks further frames of the same message.
    public func send(_ bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError) {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while zmq_send(handle, bytes.baseAddress, bytes.count, flags) < 0 {
            if zmq_errno() == EINTR { continue }
            throw ZMQError.last("zmq_send")
        }
    }

    /// Sends one frame from an array.
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        var rc: Int32
        repeat {
            rc = bytes.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
        } while rc < 0 && zmq_errno() == EINTR
        guard rc >= 0 else { throw ZMQError.last("zmq_send") }
    }

    /// The result of receiving one frame.
    public struct Received: Sendable {
        /// The frame's full length; larger than the buffer when it was truncated.
        public var length: Int
        /// Whether more frames of the same message follow.
        public var more: Bool
        /// Whether the frame did not fit in the buffer (only `buffer.count` bytes were kept).
        public var truncated: Bool
    }

    /// Receives one frame into `buffer`, blocking up to the receive timeout.
    /// - Throws: ``ZMQError`` with `isTimeout` when nothing arrived in time.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, dontWait: Bool = false) throws(ZMQError) -> Received {
        var n: Int32
        repeat {
            n = zmq_recv(handle, buffer.baseAddress, buffer.count, dontWait ? ZMQ_DONTWAIT : 0)
        } while n < 0 && zmq_errno() == EINTR
        guard n >= 0 else { throw ZMQError.last("zmq_recv") }
        return Received(length: Int(n), more: hasMoreFrames(), truncated: Int(n) > buffer.count)
    }

    /// Whether the last received frame has more frames after it.
    public func hasMoreFrames() -> Bool {
        var more: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return zmq_getsockopt(handle, ZMQ_RCVMORE, &more, &size) == 0 && more != 0
    }

    /// Receives and discards the rest of a multipart message.
    public func discardRemainingFrames() {
        var scratch: UInt8 = 0
        while hasMoreFrames() {
            if zmq_recv(handle, &scratch, 0, ZMQ_DONTWAIT) < 0 && zmq_errno() != EINTR { return }
        }
    }

    /// Waits until the socket can be read, for at most `milliseconds` (−1: forever).
    /// - Returns: whether a message is ready.
    public func pollReadable(milliseconds: Int) throws(ZMQError) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0)
        var rc: Int32
        repeat { rc = zmq_poll(&item, 1, milliseconds) } while rc < 0 && zmq_errno() == EINTR
        guard rc >= 0 else { throw ZMQError.last("zmq_poll") }
        return item.revents & Int16(ZMQ_POLLIN) != 0
    }
}

/// `ZMQ_SUBSCRIBE`, for subscribing a SUB socket with ``ZMQSocket/setOption(_:bytes:name:)``.
public let ZMQ_SUBSCRIBE_OPTION: Int32 = ZMQ_SUBSCRIBE

/// `ZMQ_ROUTING_ID`, for giving a socket a chosen identity with ``ZMQSocket/setOption(_:bytes:name:)``.
public let ZMQ_ROUTING_ID_OPTION: Int32 = ZMQ_ROUTING_ID
