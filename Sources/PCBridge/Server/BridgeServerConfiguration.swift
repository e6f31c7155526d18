/// How a ``BridgeServer`` listens and how it treats sessions. Defaults are stated on each field.
public struct BridgeServerConfiguration: Sendable {
    /// Endpoints the ROUTER socket binds (default `tcp://127.0.0.1:5555`). `tcp://127.0.0.1:*`
    /// picks a free port; read it back from ``BridgeServer/endpoints``.
    public var bind: [String]
    /// Endpoints the ROUTER socket connects to instead of binding, e.g. a broker's backend.
    public var connect: [String]
    /// Endpoint of the telemetry PUB socket, or `nil` for none (default).
    public var telemetry: String?
    /// Seconds without any message after which a session is dropped (default 10).
    public var idleTimeout: Double
    /// Seconds between heartbeats robots should send when otherwise silent (default 1).
    public var heartbeatInterval: Double
    /// Most sessions held at once (default 1024).
    public var maximumSessions: Int
    /// The server's CURVE secret key (Z85); `nil` (default) serves in clear text.
    public var curveSecretKey: String?
    /// With CURVE, the public keys (Z85) of the only clients admitted; `nil` (default) admits any
    /// client that knows the server's public key.
    public var curveAuthorizedClients: [String]?
    /// Whether binding to non-loopback TCP addresses is allowed (default false).
    public var allowNonLoopback: Bool
    /// Endpoint that robots should use for this worker's data plane when it sits behind a
    /// broker; sent in `welcome.endpoint` (default `nil`: keep talking to the same endpoint).
    public var advertisedEndpoint: String?
    /// Receives one line per session event and refused request (default: discarded).
    public var log: (@Sendable (String) -> Void)?

    public init(bind: [String] = ["tcp://127.0.0.1:5555"], connect: [String] = [], telemetry: String? = nil,
                idleTimeout: Double = 10, heartbeatInterval: Double = 1, maximumSessions: Int = 1024,
                curveSecretKey: String? = nil, allowNonLoopback: Bool = false, advertisedEndpoint: String? = nil,
                log: (@Sendable (String) -> Void)? = nil) {
        self.bind = bind
        self.connect = connect
        self.telemetry = telemetry
        self.idleTimeout = idleTimeout
        self.heartbeatInterval = heartbeatInterval
        self.maximumSessions = maximumSessions
        self.curveSecretKey = curveSecretKey
        self.allowNonLoopback = allowNonLoopback
        self.advertisedEndpoint = advertisedEndpoint
        self.log = log
    }

    /// Whether `endpoint` stays on this machine: ipc://, inproc://, or TCP on 127.0.0.0/8, ::1, localhost.
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = endpoint.dropFirst(6)
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
            return host == "::1"
        }
        host = host.prefix { $0 != ":" }
        return host == "localhost" || host.hasPrefix("127.")
    }
}
