import ArgumentParser
import Foundation
import PCBridge
import PCWire

/// The `--config` file of `pcctl serve`: server settings and the default agent.
struct ServeConfigurationFile: Decodable {
    /// The agent configuration used when a robot's hello sends `"agent": {}`.
    var agent: JSONValue?
    var idleTimeout: Double?
    var heartbeatInterval: Double?
    var maximumSessions: Int?
    var telemetry: String?
}

/// `pcctl serve`: host one agent per robot over ZeroMQ until SIGINT or SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve PCKit agents to robots over ZeroMQ (one session and agent per robot).",
        discussion: "Prints one line 'listening <endpoint>' per bound endpoint, then serves until SIGINT/SIGTERM.")

    @Option(name: .long, help: "Endpoint to bind (repeatable). Loopback and ipc:// only unless --allow-remote.")
    var bind: [String] = []
    @Option(name: .long, help: "Endpoint to connect to instead, e.g. a broker's backend (repeatable).")
    var connect: [String] = []
    @Option(name: .long, help: "JSON file: {\"agent\": {...default agent...}, \"idleTimeout\": s, \"heartbeatInterval\": s, \"maximumSessions\": n, \"telemetry\": endpoint}.")
    var config: String?
    @Option(name: .long, help: "Telemetry PUB endpoint (per-step observation, action, free energy, beliefs).")
    var telemetry: String?
    @Option(name: .long, help: "Seconds of silence before a session is dropped (default 10).")
    var idleTimeout: Double?
    @Option(name: .long, help: "Endpoint robots should use for this worker's sessions (default: the first --bind when --connect is given).")
    var advertise: String?
    @Option(name: .long, help: "JSON file with a CURVE key pair {\"publicKey\", \"secretKey\"} (see pcctl keygen): encrypt and authenticate.")
    var curveKeyFile: String?
    @Option(name: .long, help: "JSON file with a list of client public keys (Z85): with CURVE, admit only these clients.")
    var curveAuthorizedKeys: String?
    @Flag(name: .long, help: "Allow binding to non-loopback addresses.")
    var allowRemote = false
    @Flag(name: .long, help: "Log session events and refused requests to stderr.")
    var verbose = false

    func run() throws {
        var file = ServeConfigurationFile()
        if let config {
            do { file = try JSONDecoder().decode(ServeConfigurationFile.self, from: Data(contentsOf: URL(fileURLWithPath: config))) } catch {
                throw ValidationError("cannot read --config \(config): \(error)")
            }
        }
        let keys = try curveKeyFile.map { path -> CurveKeyPair in
            do { return try JSONDecoder().decode(CurveKeyPair.self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw ValidationError("cannot read --curve-key-file \(path): \(error)")
            }
        }
        var configuration = BridgeServerConfiguration(
            bind: bind.isEmpty && connect.isEmpty ? ["tcp://127.0.0.1:5555"] : bind, connect: connect)
        configuration.telemetry = telemetry ?? file.telemetry
        configuration.idleTimeout = idleTimeout ?? file.idleTimeout ?? 10
        configuration.heartbeatInterval = file.heartbeatInterval ?? 1
        configuration.maximumSessions = file.maximumSessions ?? 1024
        configuration.curveSecretKey = keys?.secretKey
        if let path = curveAuthorizedKeys {
            guard keys != nil else { throw ValidationError("--curve-authorized-keys needs --curve-key-file") }
            do { configuration.curveAuthorizedClients = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                throw ValidationError("cannot read --curve-authorized-keys \(path): \(error)")
            }
        }
        configuration.allowNonLoopback = allowRemote
        configuration.advertisedEndpoint = advertise
        if verbose {
            configuration.log = { line in FileHandle.standardError.write(Data(("pcctl serve: " + line + "\n").utf8)) }
        }
        var factory: any BridgeAgentFactory = ReferenceAgentFactory()
        if let agent = file.agent { factory = DefaultingAgentFactory(base: factory, defaultConfiguration: agent) }
        let server = try BridgeServer(configuration: configuration, factory: factory)
        server.start()
        for endpoint in server.endpoints { print("listening \(endpoint)") }
        if let t = server.telemetryEndpoint { print("telemetry \(t)") }
        if let keys { print("curve-public-key \(keys.publicKey)") }
        fflush(nil)  // all streams: the parent reads the endpoints line by line
        waitForTerminationSignal()
        server.stop()
        let s = server.statistics
        print("served \(s.steps) steps in \(s.sessionsCreated) sessions; \(s.totalErrors) error replies; \(s.sessionsExpired) sessions expired")
    }
}

/// `pcctl broker`: ZeroMQ's proxy between robots (frontend) and `pcctl serve --connect` workers.
struct Broker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward robots (ROUTER frontend) to several pcctl serve workers (DEALER backend) with zmq_proxy.")

    @Option(name: .long, help: "Endpoint robots connect to.")
    var frontend: String = "tcp://127.0.0.1:5555"
    @Option(name: .long, help: "Endpoint workers connect to (pcctl serve --connect …).")
    var backend: String = "tcp://127.0.0.1:5556"
    @Flag(name: .long, help: "Allow binding to non-loopback addresses.")
    var allowRemote = false

    func run() throws {
        let broker = try BridgeBroker(frontend: frontend, backend: backend, allowNonLoopback: allowRemote)
        broker.start()
        print("frontend \(broker.frontendEndpoint)")
        print("backend \(broker.backendEndpoint)")
        fflush(nil)  // all streams: the parent reads the endpoints line by line
        waitForTerminationSignal()
        broker.stop()
    }
}

/// `pcctl keygen`: a CURVE key pair as JSON, for `pcctl serve --curve-key-file`.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a new CURVE key pair as JSON {\"publicKey\", \"secretKey\"}.")

    func run() throws {
        let keys = try CurveKeyPair.generate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(keys), as: UTF8.self))
    }
}

/// Blocks until SIGINT or SIGTERM.
func waitForTerminationSignal() {
    let done = DispatchSemaphore(value: 0)
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { done.signal() }
        source.resume()
        sources.append(source)
    }
    done.wait()
    withExtendedLifetime(sources) {}
}
