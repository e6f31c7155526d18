import CZeroMQ
import Foundation

/// A broker in front of several ``BridgeServer`` workers: ZeroMQ's own `zmq_proxy` between a
/// ROUTER frontend (robots connect here) and a DEALER backend (workers connect here).
///
/// The DEALER hands each request to the next worker in turn, so it spreads hellos; since a
/// session lives in one worker, a worker started with an advertised endpoint answers the hello
/// with `welcome.endpoint`, and the robot sends the rest of its session there directly. Killing a
/// worker loses only its own sessions: its robots time out, say hello again through the broker,
/// and land on a live worker.
public final class BridgeBroker: @unchecked Sendable {
    // The sockets are used only by the proxy thread once `start()` has run; `control` only by `stop()`.
    private let context: ZMQContext
    private let frontend: ZMQSocket
    private let backend: ZMQSocket
    private let controlEndpoint: String
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    /// The frontend and backend endpoints actually bound.
    public let frontendEndpoint: String
    public let backendEndpoint: String

    /// Binds both sockets.
    /// - Throws: ``BridgeError/nonLoopbackEndpoint(_:)`` unless `allowNonLoopback`;
    ///   ``BridgeError/transport(_:)`` when a bind fails.
    public init(frontend: String, backend: String, curveSecretKey: String? = nil,
                allowNonLoopback: Bool = false) throws(BridgeError) {
        for endpoint in [frontend, backend] where !allowNonLoopback && !BridgeServerConfiguration.isLocal(endpoint) {
            throw .nonLoopbackEndpoint(endpoint)
        }
        do {
            context = try ZMQContext()
            self.frontend = try ZMQSocket(context: context, type: .router)
            self.backend = try ZMQSocket(context: context, type: .dealer)
            for socket in [self.frontend, self.backend] { try socket.setHighWaterMarks(send: 10_000, receive: 10_000) }
            if let key = curveSecretKey { try self.frontend.makeCurveServer(secretKey: key) }
            try self.frontend.bind(frontend)
            try self.backend.bind(backend)
            frontendEndpoint = try self.frontend.lastEndpoint()
            backendEndpoint = try self.backend.lastEndpoint()
        } catch { throw .transport(error) }
        controlEndpoint = "inproc://pckit-broker-control-\(UInt64.random(in: 0...UInt64.max))"
    }

    deinit { stop() }

    /// Starts forwarding on a dedicated thread.
    public func start() {
        lock.withLock {
            guard thread == nil else { return }
            let thread = Thread { [self] in
                // The control socket lives on this thread; stop() sends TERMINATE to it.
                if let control = try? ZMQSocket(context: context, type: .subscriber) {
                    try? control.setOption(ZMQ_SUBSCRIBE, bytes: [], name: "ZMQ_SUBSCRIBE")
                    try? control.bind(controlEndpoint)
                    zmq_proxy_steerable(frontend.handle, backend.handle, nil, control.handle)
                }
                finished.signal()
            }
            thread.name = "pckit-bridge-broker"
            self.thread = thread
            thread.start()
        }
    }

    /// Stops the proxy and waits for its thread.
    public func stop() {
        guard let thread = lock.withLock({ () -> Thread? in defer { self.thread = nil }; return self.thread }) else { return }
        _ = thread
        // Publish TERMINATE until the proxy's control socket has joined and stopped.
        guard let publisher = try? ZMQSocket(context: context, type: .publisher),
              (try? publisher.connect(controlEndpoint)) != nil else { return }
        let terminate = Array("TERMINATE".utf8)
        repeat { try? publisher.send(terminate, dontWait: true) } while finished.wait(timeout: .now() + .milliseconds(20)) == .timedOut
    }
}
