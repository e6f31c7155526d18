import ArgumentParser
import Foundation
import PCAgents
import PCBridge
import PCKit
import PCWire

/// The `--config` file of `pcctl serve`: server settings and the default agent.
struct ServeConfigurationFile: Decodable {
    /// The agent configuration used when a robot's hello sends `"agent": {}`.
    var agent: JSONValue?
    var idleTimeout: Double?
    var heartbeatInterval: Double?
    var maximumSessions: Int?
    var telemetry: String?
    var workers: Int?
    var computeFraction: Double?
    var maximumComputeDeadline: Double?
    var maximumSessionsPerPeer: Int?
    var heartbeatOnlyTimeout: Double?
    var refuseOutOfBounds: Bool?
    var sessionMemoryBudget: Int?
    var serverMemoryBudget: Int?
    var modelDirectory: String?
    var modelSaveInterval: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case agent, idleTimeout, heartbeatInterval, maximumSessions, telemetry, workers, computeFraction
        case maximumComputeDeadline, maximumSessionsPerPeer, heartbeatOnlyTimeout, refuseOutOfBounds
        case sessionMemoryBudget, serverMemoryBudget, modelDirectory, modelSaveInterval
    }

    /// Decodes a `--config` file; an unknown key is an error naming it, never silently ignored.
    static func decode(_ data: Data) throws -> ServeConfigurationFile {
        let known = CodingKeys.allCases.map(\.rawValue)
        for key in try JSONDecoder().decode([String: JSONValue].self, from: data).keys.sorted() where !known.contains(key) {
            throw ValidationError("\(AgentConfigurationError.unknownKey(key, known: known))")
        }
        return try JSONDecoder().decode(ServeConfigurationFile.self, from: data)
    }
}

/// `pcctl serve`: host one agent per robot over ZeroMQ until SIGINT or SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve PCKit agents to robots over ZeroMQ (one session and agent per robot).",
        discussion: """
        Prints one line 'listening <endpoint>' per bound endpoint, then serves until SIGINT/SIGTERM.

        A robot's hello chooses its agent with its `agent` object: the JSON of a `pcctl run --agent` file (Examples/configs/) plus the task whose model the agent plans with (tasks: \(PlantModel.builtIn.keys.sorted().joined(separator: ", "))), e.g.
          {"agent": "predictiveController", "task": "pendulum"}
          {"agent": "predictiveController", "task": "pendulum", "predictiveController": {...}}
        The first uses the task's preset. The hello's observation and action dimensions and control period must fit the agent, else the robot gets an agentRejected error naming expected and got.

        Reference controllers for testing the transport: {"type": "linear", "gain": [[...]]} and {"type": "pendulumSwingUp"}. A hello with an empty agent ({}) gets the --agent/--task default, else the --config file's "agent"; with neither, it is refused with agentRejected saying how to name an agent.

        Served tasks and their coordinates:
          pendulum  observation [cos θ, sin θ, θ̇ (rad/s)] in [-1,1]×[-1,1]×[-8,8]; action [torque N·m] in [-2, 2]; control period 0.05 s (θ = 0 upright, Gymnasium Pendulum-v1); "parameters": {"mass": kg 0.01…100 (1), "length": m 0.01…100 (1), "gravity": m/s² 0…100 (10)}

        Limits checked before anything is built (agentRejected names the option and its maximum): predictiveController horizon ≤ \(PredictiveControllerOptions.maximumHorizon), iterations ≤ \(PredictiveControllerOptions.maximumIterations), proposal.samples ≤ \(PredictiveControllerOptions.ProposalOptions.maximumSamples), replanInterval ≤ \(PredictiveControllerOptions.maximumReplanInterval); every dimension ≤ \(AgentLimits.maximumDimension); unknown keys are refused by name. Each session needs at most --session-memory-mib (its agent's estimate), all together at most --server-memory-mib.

        Learning agents ({"agent": "learning", ...}) resume across sessions with --model-dir DIR: when a session ends (bye, timeout, server stop) the model it learned is saved in DIR under the robot's CURVE key (else its hello name, only [A-Za-z0-9._-] kept) and a hash of its agent object; the same robot's next hello with the same agent object restores it and controls at once (the welcome's warnings say "resumed model version N"); --model-save-every N also saves a running session every N model versions. A file that does not fit (damaged, another robot's, other options, over \(BridgeServerConfiguration().maximumModelFileBytes >> 20) MiB) refuses the hello with agentRejected naming it: delete the file to learn afresh. Without --model-dir nothing is saved.

        Sessions belong to the client identity (routing id, and CURVE key) that opened them; each peer holds at most --max-sessions-per-peer. Agents run on worker threads, each step within a compute deadline (--compute-fraction of the control period, at most --max-compute-deadline seconds); sessions whose steps average over 1 ms run at idle OS priority. Interfaces/protocol/PROTOCOL.md has the full rules.
        """)

    @Option(name: .long, help: "Endpoint to bind (repeatable). Loopback and ipc:// only unless --allow-remote.")
    var bind: [String] = []
    @Option(name: .long, help: "Endpoint to connect to instead, e.g. a broker's backend (repeatable).")
    var connect: [String] = []
    @Option(name: .long, help: "JSON file: {\"agent\": {...default agent...}, \"idleTimeout\": s, \"heartbeatInterval\": s, \"maximumSessions\": n, \"telemetry\": endpoint}.")
    var config: String?
    @Option(name: .long, help: "Default agent for hellos with an empty agent: predictive (the task's preset) or a JSON agent config file (Examples/configs/).")
    var agent: String?
    @Option(name: .long, help: "Task (plant model) of the --agent default: \(PlantModel.builtIn.keys.sorted().joined(separator: ", ")).")
    var task: String = "pendulum"
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
    @Option(name: .long, help: "Worker threads running the agents, 1…64 (default: the number of cores).")
    var workers: Int?
    @Option(name: .long, help: "Each step's compute deadline as a fraction of the control period, (0, 1] (default 0.5).")
    var computeFraction: Double?
    @Option(name: .long, help: "Largest compute deadline of any step, seconds, (0, 10] (default 0.25).")
    var maxComputeDeadline: Double?
    @Option(name: .long, help: "Most sessions per peer (CURVE key, else TCP address; ipc clients are one peer) (default 256).")
    var maxSessionsPerPeer: Int?
    @Option(name: .long, help: "Seconds a session may live on heartbeats alone, without steps (default 60).")
    var heartbeatOnlyTimeout: Double?
    @Flag(name: .long, help: "Refuse observations outside the hello's bounds (observationOutOfBounds) instead of flagging them.")
    var refuseOutOfBounds = false
    @Option(name: .long, help: "Most MiB one session may need, ≥ 1 (default 64).")
    var sessionMemoryMib: Int?
    @Option(name: .long, help: "Most MiB all sessions together may need (default 2048).")
    var serverMemoryMib: Int?
    @Option(name: .long, help: "Directory where learning agents' models are saved when a session ends and restored at the same robot's next hello (created if missing; default: none, nothing saved).")
    var modelDir: String?
    @Option(name: .long, help: "With --model-dir, also save a running session's model every N model versions (swaps), 1…1000000, so a crash loses little (default: only when the session ends).")
    var modelSaveEvery: Int?
    @Option(name: .long, help: ArgumentHelp("Record every session to this directory (created if missing): one MCAP file per session, session-<id>-<robot>.mcap, closed when the session ends; `pcctl replay FILE` checks it bit for bit.", valueName: "dir"))
    var record: String?

    func run() throws {
        var file = ServeConfigurationFile()
        if let config {
            do { file = try ServeConfigurationFile.decode(Data(contentsOf: URL(fileURLWithPath: config))) } catch {
                throw ValidationError("cannot read --config \(config): \(error)")
            }
        }
        let keys = try curveKeyFile.map { path -> CurveKeyPair in
            try checkSecretKeyFileMode(path)
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
        if let v = workers ?? file.workers { configuration.workers = v }
        if let v = computeFraction ?? file.computeFraction { configuration.computeFraction = v }
        if let v = maxComputeDeadline ?? file.maximumComputeDeadline { configuration.maximumComputeDeadline = v }
        if let v = maxSessionsPerPeer ?? file.maximumSessionsPerPeer { configuration.maximumSessionsPerPeer = v }
        if let v = heartbeatOnlyTimeout ?? file.heartbeatOnlyTimeout { configuration.heartbeatOnlyTimeout = v }
        configuration.refuseOutOfBounds = refuseOutOfBounds || (file.refuseOutOfBounds ?? false)
        if let mib = sessionMemoryMib {
            guard (1...(1 << 20)).contains(mib) else { throw ValidationError("--session-memory-mib \(mib) must be in 1…1048576") }
            configuration.sessionMemoryBudget = mib << 20
        } else if let v = file.sessionMemoryBudget { configuration.sessionMemoryBudget = v }
        if let mib = serverMemoryMib {
            guard (1...(1 << 24)).contains(mib) else { throw ValidationError("--server-memory-mib \(mib) must be in 1…16777216") }
            configuration.serverMemoryBudget = mib << 20
        } else if let v = file.serverMemoryBudget { configuration.serverMemoryBudget = v }
        if let directory = modelDir ?? file.modelDirectory {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw ValidationError("cannot create --model-dir \(directory): \(error.localizedDescription)")
            }
            configuration.modelDirectory = directory
        }
        configuration.modelSaveInterval = modelSaveEvery ?? file.modelSaveInterval
        if let record {
            do { try FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: true) } catch {
                throw ValidationError("cannot create --record \(record): \(error.localizedDescription)")
            }
            configuration.recordDirectory = record
        }
        do { try configuration.validate() } catch { throw ValidationError("\(error)") }
        if verbose {
            configuration.log = { line in FileHandle.standardError.write(Data(("pcctl serve: " + line + "\n").utf8)) }
        }
        var factory: any BridgeAgentFactory = PCAgentFactory.builtIn
        if let defaultAgent = try defaultAgent() ?? file.agent {
            factory = DefaultingAgentFactory(base: factory, defaultConfiguration: defaultAgent)
        }
        let server = try BridgeServer(configuration: configuration, factory: factory)
        server.start()
        for endpoint in server.endpoints { print("listening \(endpoint)") }
        if let t = server.telemetryEndpoint { print("telemetry \(t)") }
        if let keys { print("curve-public-key \(keys.publicKey)") }
        if let directory = configuration.modelDirectory { print("models \(directory)") }
        if let directory = configuration.recordDirectory { print("recording \(directory)") }
        fflush(nil)  // all streams: the parent reads the endpoints line by line
        waitForTerminationSignal()
        server.stop()
        let s = server.statistics
        print("served \(s.steps) steps in \(s.sessionsCreated) sessions; \(s.totalErrors) error replies; \(s.sessionsExpired) sessions expired")
        if configuration.modelDirectory != nil {
            print("models: \(s.modelsResumed) resumed, \(s.modelsSaved) saved, \(s.modelSaveFailures) not saved")
        }
    }
}

extension Serve {
    /// The `--agent`/`--task` default as a hello's agent object, checked now rather than at the first hello.
    func defaultAgent() throws -> JSONValue? {
        guard let agent else { return nil }
        guard PlantModel.builtIn[task] != nil else {
            throw ValidationError("unknown --task `\(task)`; known: \(PlantModel.builtIn.keys.sorted().joined(separator: ", "))")
        }
        switch agent {
        case "predictive", "predictiveController":
            return .object(["agent": .string(AgentConfiguration.Kind.predictiveController.rawValue), "task": .string(task)])
        default:
            guard agent.hasSuffix(".json") else {
                throw ValidationError("unknown --agent `\(agent)`; use `predictive` or a .json agent config")
            }
            _ = try AgentConfiguration.load(path: agent)  // names the bad field, if any
            guard case var .object(fields) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: agent))) else {
                throw ValidationError("\(agent) is not a JSON object")
            }
            fields["task"] = .string(task)
            return .object(fields)
        }
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

/// Refuses a secret-key file that group or others can read or write, as ssh does for private keys.
func checkSecretKeyFileMode(_ path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { throw ValidationError("cannot read --curve-key-file \(path): no such file") }
    let mode = info.st_mode & 0o777
    guard mode & 0o077 == 0 else {
        throw ValidationError("--curve-key-file \(path) holds a secret key but its mode is \(String(mode, radix: 8)): group or others can access it; run `chmod 600 \(path)`")
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
