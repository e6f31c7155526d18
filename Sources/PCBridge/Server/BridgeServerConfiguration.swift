import Foundation

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

    /// Threads that run the agents, per pool (default: the number of active cores, 1…64). The
    /// socket thread only receives, routes and replies; one session's requests run in order on
    /// one worker at a time, different sessions in parallel. There are two pools of this size:
    /// one for quick sessions, one at a lower OS priority (nice +10) for sessions whose steps
    /// average more than ``slowStepThreshold``, so expensive planners yield the CPU to quick robots.
    public var workers: Int = max(1, min(64, ProcessInfo.processInfo.activeProcessorCount))
    /// Average step compute time, in seconds, above which a session is served by the
    /// low-priority pool (default 0.001, range (0, 10]); it returns below half of it.
    public var slowStepThreshold: Double = 0.001
    /// Each step's compute deadline as a fraction of the session's control period (default 0.5,
    /// range (0, 1]). An anytime planner returns its best action at the deadline, flagged
    /// `deadlineExceeded`; the deadline counts from the moment the step was received.
    public var computeFraction: Double = 0.5
    /// Upper bound of any session's compute deadline, in seconds (default 0.25, range (0, 10]), so a
    /// hello with a long control period cannot hold a worker for long.
    public var maximumComputeDeadline: Double = 0.25
    /// Most sessions one peer may hold (default 256). A peer is the client's CURVE public key when
    /// CURVE is on, else its TCP address; ipc:// and inproc:// clients count as one local peer.
    public var maximumSessionsPerPeer: Int = 256
    /// Seconds a session may live on heartbeats alone, without a step or reset (default 60).
    public var heartbeatOnlyTimeout: Double = 60
    /// Refuse observations outside the hello's declared bounds with `observationOutOfBounds`
    /// (default false: answer them, with the action's `outOfBounds` flag set).
    public var refuseOutOfBounds: Bool = false
    /// Most bytes one session may need (its agent's estimate plus its request buffers) (default 64 MiB).
    public var sessionMemoryBudget: Int = 64 << 20
    /// Most bytes all sessions together may need (default 2 GiB).
    public var serverMemoryBudget: Int = 2 << 30

    /// Directory where learning agents' models are kept between sessions (default `nil`: nothing is
    /// saved or restored). When a session whose agent learns a model (``BridgeAgent/learnsModel``)
    /// ends — bye, idle or heartbeat-only timeout, server stop — and its agent has a model, the
    /// model and its transition memory are written there under ``BridgeServer/modelFileName(robot:curveKey:agentConfiguration:)``
    /// (the robot's CURVE key, else its hello name, plus a hash of its agent configuration); a later
    /// hello of the same robot with the same agent configuration restores it, so the robot
    /// controls at once. A file that cannot be restored (damaged, another robot's, other options)
    /// refuses the hello with `agentRejected` naming the file; delete the file to learn afresh.
    /// The directory must exist when the server starts.
    public var modelDirectory: String? = nil
    /// Directory where every session is recorded (default `nil`: nothing is recorded): one MCAP
    /// file per session, `session-<id>-<robot>.mcap`, written by a ``PCRecording/SessionRecorder``
    /// from its own thread (the worker only copies each step into a ring slot). The file holds the
    /// hello (spaces, control period, agent object) and per step the observation, the agent's
    /// action before clipping, its diagnostics and what it believes; it is closed when the session
    /// ends (bye, timeout, server stop). `pcctl replay` rebuilds the agent and checks every action.
    /// The directory must exist when the server starts.
    public var recordDirectory: String? = nil
    /// Also save a running session's model each time its version has grown by this many swaps since
    /// the last save (1…1,000,000; default `nil`: only when the session ends), so a server crash
    /// loses little. Needs ``modelDirectory``. The save is queued behind the step that crossed the
    /// interval, after that step's reply: the session's worker encodes and writes the file, so the
    /// robot's next step may wait for it (a few milliseconds), never another robot's.
    public var modelSaveInterval: Int? = nil
    /// Largest model file written or read, in bytes (default 64 MiB, range 1 KiB…1 GiB). A larger
    /// file is refused by its size, before it is read; a larger model is not saved (logged).
    public var maximumModelFileBytes: Int = 64 << 20

    /// Requests queued per session before further ones get `sessionBusy`.
    public static let maximumQueuedRequests = 8

    /// Checks every setting's range.
    /// - Throws: ``BridgeError/invalidConfiguration(_:)`` naming the setting and its range.
    public func validate() throws(BridgeError) {
        func require(_ ok: Bool, _ what: String) throws(BridgeError) {
            guard ok else { throw .invalidConfiguration(what) }
        }
        try require(idleTimeout.isFinite && idleTimeout > 0 && idleTimeout <= 86_400, "idleTimeout \(idleTimeout) s must be in (0, 86400]")
        try require(heartbeatInterval.isFinite && heartbeatInterval > 0 && heartbeatInterval <= 3600,
                    "heartbeatInterval \(heartbeatInterval) s must be in (0, 3600]")
        try require((1...1_000_000).contains(maximumSessions), "maximumSessions \(maximumSessions) must be in 1…1000000")
        try require((1...64).contains(workers), "workers \(workers) must be in 1…64")
        try require(computeFraction.isFinite && computeFraction > 0 && computeFraction <= 1,
                    "computeFraction \(computeFraction) must be in (0, 1]")
        try require(maximumComputeDeadline.isFinite && maximumComputeDeadline > 0 && maximumComputeDeadline <= 10,
                    "maximumComputeDeadline \(maximumComputeDeadline) s must be in (0, 10]")
        try require(slowStepThreshold.isFinite && slowStepThreshold > 0 && slowStepThreshold <= 10,
                    "slowStepThreshold \(slowStepThreshold) s must be in (0, 10]")
        try require(maximumSessionsPerPeer >= 1, "maximumSessionsPerPeer \(maximumSessionsPerPeer) must be ≥ 1")
        try require(heartbeatOnlyTimeout.isFinite && heartbeatOnlyTimeout > 0,
                    "heartbeatOnlyTimeout \(heartbeatOnlyTimeout) s must be finite and > 0")
        try require(sessionMemoryBudget >= 1 << 20, "sessionMemoryBudget \(sessionMemoryBudget) bytes must be ≥ 1 MiB")
        try require((1 << 10 ... 1 << 30).contains(maximumModelFileBytes),
                    "maximumModelFileBytes \(maximumModelFileBytes) must be in 1024…1073741824")
        if let interval = modelSaveInterval {
            try require((1...1_000_000).contains(interval), "modelSaveInterval \(interval) must be in 1…1000000 model versions")
            try require(modelDirectory != nil, "modelSaveInterval needs modelDirectory (where the models are saved)")
        }
        if let directory = modelDirectory {
            var isDirectory: ObjCBool = false
            try require(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue,
                        "modelDirectory \(directory) is not an existing directory; create it (mkdir -p) or leave it out to save no models")
            try require(FileManager.default.isWritableFile(atPath: directory),
                        "modelDirectory \(directory) is not writable by this process")
        }
        if let directory = recordDirectory {
            var isDirectory: ObjCBool = false
            try require(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue,
                        "recordDirectory \(directory) is not an existing directory; create it (mkdir -p) or leave it out to record nothing")
            try require(FileManager.default.isWritableFile(atPath: directory), "recordDirectory \(directory) is not writable by this process")
        }
        try require(serverMemoryBudget >= sessionMemoryBudget,
                    "serverMemoryBudget \(serverMemoryBudget) bytes must be ≥ sessionMemoryBudget \(sessionMemoryBudget)")
    }

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
