import CZeroMQ
import Foundation
import PCEnvironment
import PCWire

/// A ZeroMQ server hosting one agent per robot.
///
/// A ROUTER socket serves many robots at once; each robot opens a session with a hello, then
/// sends steps (binary observation frames) and receives actions. Every request the server can
/// route back gets exactly one reply, errors included, and malformed input never stops the
/// server. One dedicated `Thread` owns the sockets and only receives, checks and replies; the
/// agents run on a pool of worker threads (``BridgeServerConfiguration/workers``), each step
/// within a compute deadline, so an expensive robot never holds up the others' steps. A session
/// belongs to the client identity that opened it; each peer may hold a bounded number of
/// sessions; hellos are checked against memory budgets before anything is built; sessions idle
/// past ``BridgeServerConfiguration/idleTimeout`` are dropped. With a
/// ``BridgeServerConfiguration/modelDirectory``, a learning agent's model outlives its session:
/// saved when the session ends, restored at the same robot's next hello.
///
/// ```swift
/// let server = try BridgeServer(configuration: .init(bind: ["ipc:///tmp/pckit.sock"]),
///                               factory: ReferenceAgentFactory())
/// server.start()
/// // … robots connect …
/// server.stop()
/// ```
public final class BridgeServer: @unchecked Sendable {
    // Thread-safety: `core`'s sockets and session table are touched only by the server (socket)
    // thread after `start()`; its workers touch only sessions handed to them by the scheduler;
    // `lock` guards `stopRequested`, `sharedStatistics` and `thread`.
    private let core: ServerCore
    private let lock = NSLock()
    private var stopRequested = false
    private var sharedStatistics = BridgeStatistics()
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// The endpoints actually bound (wildcard ports resolved), in configuration order.
    public let endpoints: [String]
    /// The telemetry endpoint actually bound, if any.
    public let telemetryEndpoint: String?

    /// Creates the sockets and binds them; serving starts with ``start()``.
    /// - Throws: ``BridgeError/nonLoopbackEndpoint(_:)`` for a remote address without
    ///   `allowNonLoopback`; ``BridgeError/transport(_:)`` when libzmq cannot bind or connect.
    public init(configuration: BridgeServerConfiguration, factory: any BridgeAgentFactory) throws(BridgeError) {
        try configuration.validate()
        if !configuration.allowNonLoopback {
            for endpoint in configuration.bind + [configuration.telemetry].compactMap({ $0 })
            where !BridgeServerConfiguration.isLocal(endpoint) {
                throw .nonLoopbackEndpoint(endpoint)
            }
        }
        if configuration.curveAuthorizedClients != nil && configuration.curveSecretKey == nil {
            throw .wire(.invalidMessage("curveAuthorizedClients needs curveSecretKey: client keys are checked only with CURVE on"))
        }
        let context: ZMQContext
        do { context = try ZMQContext() } catch { throw .transport(error) }
        // The ZAP handler must exist before any CURVE handshake can start; with CURVE it always
        // runs, so every message carries its client's public key.
        let authenticator = try configuration.curveSecretKey.map { _ throws(BridgeError) in
            try CurveAuthenticator(context: context, authorizedKeys: configuration.curveAuthorizedClients)
        }
        do {
            let router = try ZMQSocket(context: context, type: .router)
            try router.setHighWaterMarks(send: 10_000, receive: 10_000)
            // An oversized frame is dropped by the transport (its connection closed) before it is
            // buffered; a reconnecting client with the same routing id takes its sessions over.
            try router.setOption64(ZMQ_MAXMSGSIZE, Int64(WireLimits.maximumMessageBytes), name: "ZMQ_MAXMSGSIZE")
            try router.setOption(ZMQ_ROUTER_HANDOVER, 1, name: "ZMQ_ROUTER_HANDOVER")
            if let key = configuration.curveSecretKey { try router.makeCurveServer(secretKey: key) }
            var bound: [String] = []
            for endpoint in configuration.bind {
                try router.bind(endpoint)
                bound.append(try router.lastEndpoint())
            }
            for endpoint in configuration.connect { try router.connect(endpoint) }
            var publisher: ZMQSocket?
            if let endpoint = configuration.telemetry {
                let pub = try ZMQSocket(context: context, type: .publisher)
                try pub.setHighWaterMarks(send: 1_000, receive: 1_000)
                if let key = configuration.curveSecretKey { try pub.makeCurveServer(secretKey: key) }
                try pub.bind(endpoint)
                telemetryEndpoint = try pub.lastEndpoint()
                publisher = pub
            } else {
                telemetryEndpoint = nil
            }
            endpoints = bound
            var configuration = configuration
            // A worker behind a broker keeps its sessions to itself: robots talk to it directly.
            if configuration.advertisedEndpoint == nil && !configuration.connect.isEmpty {
                configuration.advertisedEndpoint = bound.first
            }
            core = ServerCore(configuration: configuration, factory: factory, router: router, publisher: publisher,
                              authenticator: authenticator)
        } catch {
            throw .transport(error)
        }
    }

    deinit { stop() }

    /// Starts serving on a dedicated thread. Calling it twice, or after ``stop()``, has no effect.
    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard thread == nil, !stopRequested else { return }
        let thread = Thread { [self] in
            core.run(shouldStop: { [self] in lock.withLock { stopRequested } },
                     publish: { [self] stats in lock.withLock { sharedStatistics = stats } })
            finished.signal()
        }
        thread.name = "pckit-bridge-server"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops serving and waits for the server thread to finish (within one poll interval).
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            let running = thread != nil && !stopRequested
            stopRequested = true
            return running
        }
        if wasRunning { finished.wait() }
    }

    /// A snapshot of the server's counters.
    public var statistics: BridgeStatistics { lock.withLock { sharedStatistics } }
}
