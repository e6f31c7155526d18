import CZeroMQ

/// A fixed set of sockets polled together for input, with its `zmq_pollitem_t` array allocated
/// once (polling in a loop allocates nothing). Used on one thread, like its sockets.
public final class ZMQPollSet {
    private let sockets: [ZMQSocket]
    private let items: UnsafeMutablePointer<zmq_pollitem_t>

    private let itemCount: Int

    /// - Parameters:
    ///   - sockets: polled first, at indices 0..<sockets.count.
    ///   - fileDescriptors: plain file descriptors (pipes) polled after them.
    public init(_ sockets: [ZMQSocket], fileDescriptors: [Int32] = []) {
        self.sockets = sockets
        itemCount = sockets.count + fileDescriptors.count
        items = .allocate(capacity: max(itemCount, 1))
        for (i, socket) in sockets.enumerated() {
            items[i] = zmq_pollitem_t(socket: socket.handle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        for (j, fd) in fileDescriptors.enumerated() {
            items[sockets.count + j] = zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0)
        }
    }

    deinit { items.deallocate() }

    /// Waits until some socket can be read, for at most `milliseconds` (−1: forever).
    /// - Returns: how many sockets are readable; query them with ``isReadable(_:)``.
    @discardableResult
    public func poll(milliseconds: Int) throws(ZMQError) -> Int {
        var rc: Int32
        repeat { rc = zmq_poll(items, Int32(itemCount), milliseconds) } while rc < 0 && zmq_errno() == EINTR
        guard rc >= 0 else { throw ZMQError.last("zmq_poll") }
        return Int(rc)
    }

    /// Whether item `index` (a socket, or a file descriptor after the sockets) was readable at the last ``poll(milliseconds:)``.
    public func isReadable(_ index: Int) -> Bool { items[index].revents & Int16(ZMQ_POLLIN) != 0 }
}
