import ArgumentParser
import Foundation
import PCBridge
import PCWire

/// What one robot process reports to `pcctl load`.
struct RobotLoadReport: Codable {
    var sent = 0
    var received = 0
    /// Steps with no reply within the timeout.
    var lost = 0
    /// Replies for a sequence number already answered.
    var duplicated = 0
    /// Replies for a sequence number other than the one outstanding (not a duplicate).
    var misordered = 0
    /// Error replies.
    var errors = 0
    /// Ticks that started late because the previous round trip overran the period.
    var overruns = 0
    /// Round trips, µs.
    var roundTrips: [Double] = []
}

/// `pcctl load`: many robot processes stepping against one server at a fixed rate.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load test: N robot processes at R Hz against one server; reports lost/duplicated/misordered replies and round trips.",
        discussion: "Without --endpoint, serves the robots itself (in this process) on a fresh ipc:// endpoint.")

    @Option(name: .long, help: "Server or broker endpoint (default: start a server here).")
    var endpoint: String?
    @Option(name: .long, help: "Robot processes.")
    var robots: Int = 32
    @Option(name: .long, help: "Steps per second per robot.")
    var rate: Double = 200
    @Option(name: .long, help: "Seconds each robot runs.")
    var seconds: Double = 60
    @Option(name: .long, help: "Observation values per step (float32).")
    var observationSize: Int = 8
    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard robots >= 1, robots <= 256 else { throw ValidationError("--robots must be 1…256") }
        guard rate > 0, rate <= 10_000 else { throw ValidationError("--rate must be in (0, 10000]") }
        guard seconds > 0 else { throw ValidationError("--seconds must be > 0") }
    }

    func run() throws {
        var server: BridgeServer?
        let target: String
        if let endpoint {
            target = endpoint
        } else {
            let s = try BridgeServer(configuration: BridgeServerConfiguration(bind: ["ipc:///tmp/pckit-load-\(getpid()).sock"]),
                                     factory: ReferenceAgentFactory())
            s.start()
            server = s
            target = s.endpoints[0]
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var children: [(Process, Pipe)] = []
        for i in 0..<robots {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["load-robot", "--endpoint", target, "--rate", String(rate), "--seconds", String(seconds),
                                 "--observation-size", String(observationSize), "--index", String(i)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            children.append((process, pipe))
        }
        var total = RobotLoadReport()
        var failedProcesses = 0
        for (process, pipe) in children {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0, let r = try? JSONDecoder().decode(RobotLoadReport.self, from: data) else {
                failedProcesses += 1
                continue
            }
            total.sent += r.sent; total.received += r.received; total.lost += r.lost
            total.duplicated += r.duplicated; total.misordered += r.misordered; total.errors += r.errors
            total.overruns += r.overruns
            total.roundTrips += r.roundTrips
        }
        server?.stop()
        let rtt = total.roundTrips.sorted()
        var report = BenchReport(suite: "load")
        let details: [String: Double] = [
            "robots": Double(robots), "rate_hz": rate, "seconds": seconds, "sent": Double(total.sent),
            "received": Double(total.received), "lost": Double(total.lost), "duplicated": Double(total.duplicated),
            "misordered": Double(total.misordered), "errors": Double(total.errors), "overruns": Double(total.overruns),
            "failed_processes": Double(failedProcesses),
            "p99_us": rtt.isEmpty ? .nan : quantile(rtt, 0.99), "max_us": rtt.last ?? .nan,
            "server_steps": Double(server?.statistics.steps ?? 0),
        ]
        report.results.append(BenchResult(name: "load_\(robots)x\(Int(rate))Hz", value: rtt.isEmpty ? .nan : median(rtt),
                                          unit: "µs median round trip", details: details))
        report.emit(json: json)
        if total.lost + total.duplicated + total.misordered + total.errors + failedProcesses > 0 { throw ExitCode(1) }
    }
}

/// One robot process of `pcctl load` (not for direct use): steps at a fixed rate over a raw
/// DEALER socket so that every reply, including a stray one, is seen and classified.
struct LoadRobot: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load-robot", shouldDisplay: false)

    @Option var endpoint: String
    @Option var rate: Double
    @Option var seconds: Double
    @Option var observationSize: Int
    @Option var index: Int

    func run() throws {
        let n = observationSize
        // The session belongs to the socket that opens it, so the raw socket says hello itself.
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.connect(endpoint)
        let hello = Hello(
            robot: "load-\(index)", observationSpace: WireSpace(low: Array(repeating: -10, count: n), high: Array(repeating: 10, count: n)),
            actionSpace: WireSpace(low: [-1], high: [1]), controlPeriod: 1 / rate,
            agent: .object(["type": .string("linear"), "gain": .array([.array((0..<n).map { _ in .number(0.1) })])]))
        guard case let .welcome(welcome) = try Self.request(ControlMessage.hello(hello), on: socket) else {
            throw ValidationError("load robot \(index): no welcome")
        }

        var report = RobotLoadReport()
        let ticks = Int(seconds * rate)
        report.roundTrips.reserveCapacity(ticks)
        let period = UInt64(1e9 / rate)
        var frame = [UInt8](repeating: 0, count: WireLimits.headerBytes + 4 * n)
        var reply = [UInt8](repeating: 0, count: 4096)
        var observation = [Double](repeating: 0, count: n)
        var answered = Set<UInt64>()
        // Spread the robots' phases over one period.
        var next = monotonicNanoseconds() + period * UInt64(index % 16) / 16
        for sequence in 1...UInt64(ticks) {
            var ts = timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil)
            observation[0] = Double(sequence % 100) * 0.01
            let header = DataFrameHeader(kind: .step, session: welcome.session, sequence: sequence,
                                         timestampNanoseconds: sequence, count: n)
            frame.withUnsafeMutableBytes { b in _ = observation.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
            let start = monotonicNanoseconds()
            try socket.send([], more: true)
            try socket.send(frame)
            report.sent += 1
            // Wait for this sequence's reply; classify anything else that arrives.
            var done = false
            while !done {
                let waited = (monotonicNanoseconds() - start) / 1_000_000
                guard waited < 1000, try socket.pollReadable(milliseconds: Int(1000 - waited)) else {
                    report.lost += 1
                    break
                }
                var length = 0
                try reply.withUnsafeMutableBytes { b in
                    var r = try socket.receive(into: b)
                    while r.more { r = try socket.receive(into: b) }
                    length = min(r.length, b.count)
                }
                let bytes = Array(reply.prefix(length))
                guard let h = try? bytes.withUnsafeBytes({ try DataFrame.decodeHeader($0) }) else {
                    report.errors += 1
                    done = true
                    continue
                }
                if h.sequence == sequence && h.kind == .action && h.session == welcome.session {
                    report.received += 1
                    report.roundTrips.append(Double(monotonicNanoseconds() - start) / 1000)
                    answered.insert(sequence)
                    done = true
                } else if answered.contains(h.sequence) {
                    report.duplicated += 1
                } else {
                    report.misordered += 1
                }
            }
            next += period
            let now = monotonicNanoseconds()
            if now > next { report.overruns += 1; next = now }
        }
        _ = try Self.request(.bye(Bye(session: welcome.session)), on: socket)
        print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
    }

    /// Sends a control message as `[empty, json]` and decodes the reply (an error is thrown).
    static func request(_ message: ControlMessage, on socket: ZMQSocket) throws -> ControlMessage {
        try socket.send([], more: true)
        try socket.send(Array(message.encoded()))
        guard try socket.pollReadable(milliseconds: 5000) else { throw ValidationError("no reply to \(message)") }
        var buffer = [UInt8](repeating: 0, count: WireLimits.maximumMessageBytes)
        var length = 0
        try buffer.withUnsafeMutableBytes { b in
            var r = try socket.receive(into: b)
            while r.more { r = try socket.receive(into: b) }
            length = min(r.length, b.count)
        }
        let reply = try ControlMessage.decode(Data(buffer.prefix(length)))
        if case let .error(error) = reply { throw ValidationError("\(error.code.rawValue): \(error.message)") }
        return reply
    }
}
