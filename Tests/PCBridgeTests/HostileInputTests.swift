import Foundation
import Testing
import PCWire
@testable import PCBridge

/// A deterministic generator for the fuzzer (SplitMix64), so a failure can be replayed by seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Resident set size of a process in bytes (Linux /proc/<pid>/statm; this process by default).
func residentBytes(of pid: Int32? = nil) -> Int {
    let path = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// What the server must answer to one fuzzed request.
enum Expectation {
    case action(sequence: UInt64)
    case heartbeat(sequence: UInt64)
    case error(Set<ErrorCode>)
}

/// Builds random and mutated requests against one live session, with the reply each must get.
struct FrameFuzzer {
    var rng: SplitMix64
    let session: UInt64
    var sequence: UInt64 = 0

    func frame(kind: MessageKind = .step, flags: DataFrameFlags = [], session: UInt64, sequence: UInt64, values: [Double]) -> [UInt8] {
        let header = DataFrameHeader(kind: kind, flags: flags, session: session, sequence: sequence,
                                     timestampNanoseconds: sequence, count: values.count)
        var out = [UInt8](repeating: 0, count: header.frameBytes)
        out.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
        return out
    }

    mutating func observation() -> [Double] {
        [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng), Double.random(in: -8...8, using: &rng)]
    }

    mutating func next() -> ([UInt8], Expectation) {
        let flags: DataFrameFlags = Bool.random(using: &rng) ? .float64 : []
        switch Int.random(in: 0..<20, using: &rng) {
        case 0, 1:  // random bytes (never starting with the magic or '{')
            var bytes = (0..<Int.random(in: 0..<120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let first = bytes.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "P") { bytes[0] = 0 }
            return (bytes, .error([.badMagic]))  // protocol 1.1: whatever the length
        case 2:  // bad magic
            var f = frame(flags: flags, session: session, sequence: sequence + 1, values: observation())
            f[Int.random(in: 0..<4, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            return (f, .error(f[0] == UInt8(ascii: "{") ? [.malformedJSON] : [.badMagic]))
        case 3:  // wrong major version
            var f = frame(flags: flags, session: session, sequence: sequence + 1, values: observation())
            f[4] = UInt8.random(in: 2...255, using: &rng)
            return (f, .error([.unsupportedVersion]))
        case 4:  // unknown or misplaced kind
            var f = frame(flags: flags, session: session, sequence: sequence + 1, values: observation())
            f[5] = [0, 1, 2, 4, 5, 6, 8, 9, 10, 77, 255][Int.random(in: 0..<11, using: &rng)]
            return (f, .error(MessageKind(rawValue: f[5]) == nil ? [.unknownKind] : [.unexpectedKind]))
        case 5:  // truncated or padded
            var f = frame(flags: flags, session: session, sequence: sequence + 1, values: observation())
            if Bool.random(using: &rng) {
                f.removeLast(Int.random(in: 1...f.count, using: &rng))
            } else {
                f += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            // Protocol 1.1: fewer than 4 bytes cannot hold the magic (badMagic); PCKW but short: malformedFrame.
            return (f, .error(f.count < 4 ? [.badMagic] : f.count < 48 ? [.malformedFrame] : [.frameSizeMismatch]))
        case 6:  // huge or inconsistent count
            var f = frame(flags: flags, session: session, sequence: sequence + 1, values: observation())
            let count = Bool.random(using: &rng) ? UInt32.random(in: 4097...UInt32.max, using: &rng) : UInt32.random(in: 0...4096, using: &rng)
            withUnsafeBytes(of: count.littleEndian) { f.replaceSubrange(32..<36, with: $0) }
            let expected: Set<ErrorCode> = count > 4096 ? [.tooManyValues] : count == 3 ? [] : [.frameSizeMismatch]
            return (f, expected.isEmpty ? .action(sequence: { sequence += 1; return sequence }()) : .error(expected))
        case 7:  // NaN or infinity
            var y = observation()
            y[Int.random(in: 0..<3, using: &rng)] = [.nan, .infinity, -.infinity, Double.signalingNaN][Int.random(in: 0..<4, using: &rng)]
            return (frame(flags: flags, session: session, sequence: sequence + 1, values: y), .error([.nonFiniteValue]))
        case 8:  // unknown session
            return (frame(flags: flags, session: UInt64.random(in: 1...UInt64.max, using: &rng) | 1 << 60,
                          sequence: sequence + 1, values: observation()), .error([.unknownSession]))
        case 9:  // out-of-order sequence
            guard sequence > 1 else { fallthrough }
            return (frame(flags: flags, session: session, sequence: UInt64.random(in: 0..<sequence, using: &rng),
                          values: observation()), .error([.outOfOrderSequence]))
        case 10:  // wrong dimension
            let n = [0, 1, 2, 4, 7, 100][Int.random(in: 0..<6, using: &rng)]
            return (frame(flags: flags, session: session, sequence: sequence + 1, values: (0..<n).map(Double.init)),
                    .error([.dimensionMismatch]))
        case 11:  // garbage JSON
            var text = Array("{\"kind\":\"hello\",\"protocol\":\"1.0.0\",\"robot\":".utf8)
            text += (0..<Int.random(in: 0..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            return (text, .error([.malformedJSON]))
        case 12:  // JSON with wrong types, unknown kinds, bad sessions, or invalid contents
            let samples: [(String, Set<ErrorCode>)] = [
                ("{\"kind\":\"reset\",\"session\":\"abc\",\"seed\":1}", [.malformedJSON]),
                ("{\"kind\":\"dance\"}", [.malformedJSON]),
                ("{\"kind\":\"action\"}", [.unexpectedKind]),
                ("{\"kind\":\"welcome\",\"protocol\":\"1.0.0\",\"session\":1,\"observationDimension\":1,\"actionDimension\":1,\"heartbeatInterval\":1,\"idleTimeout\":1,\"warnings\":[]}", [.unexpectedKind]),
                ("{\"kind\":\"bye\",\"session\":\(UInt64.random(in: 1 << 60...UInt64.max, using: &rng))}", [.unknownSession]),
                ("{\"kind\":\"reset\",\"session\":\(UInt64.random(in: 1 << 60...UInt64.max, using: &rng)),\"seed\":3}", [.unknownSession]),
                ("{}", [.malformedJSON]),
                ("{\"kind\":null}", [.malformedJSON]),
                ("{\"kind\":\"hello\",\"protocol\":\"9.0.0\",\"robot\":\"x\",\"observationSpace\":{\"low\":[0],\"high\":[1]},\"actionSpace\":{\"low\":[0],\"high\":[1]},\"controlPeriod\":0.1,\"scalar\":\"float32\",\"agent\":{}}", [.unsupportedVersion]),
                ("{\"kind\":\"hello\",\"protocol\":\"1.0.0\",\"robot\":\"x\",\"observationSpace\":{\"low\":[0,1],\"high\":[1]},\"actionSpace\":{\"low\":[0],\"high\":[1]},\"controlPeriod\":0.1,\"scalar\":\"float32\",\"agent\":{}}", [.invalidMessage]),
                ("{\"kind\":\"hello\",\"protocol\":\"1.0.0\",\"robot\":\"x\",\"observationSpace\":{\"low\":[0],\"high\":[1]},\"actionSpace\":{\"low\":[0],\"high\":[1]},\"controlPeriod\":-1,\"scalar\":\"float32\",\"agent\":{}}", [.invalidMessage]),
                ("{\"kind\":\"hello\",\"protocol\":\"1.0.0\",\"robot\":\"x\",\"observationSpace\":{\"low\":[0],\"high\":[1]},\"actionSpace\":{\"low\":[0],\"high\":[1]},\"controlPeriod\":0.1,\"scalar\":\"float32\",\"agent\":{\"type\":\"linear\",\"gain\":\"big\"}}", [.agentRejected]),
                ("{\"kind\":\"hello\",\"protocol\":\"1.0.0\",\"robot\":\"x\",\"observationSpace\":{\"low\":[0],\"high\":[1]},\"actionSpace\":{\"low\":[0],\"high\":[1]},\"controlPeriod\":0.1,\"scalar\":\"float16\",\"agent\":{}}", [.malformedJSON]),
            ]
            let pick = samples[Int.random(in: 0..<samples.count, using: &rng)]
            return (Array(pick.0.utf8), .error(pick.1))
        case 13:  // heartbeat of the live session
            sequence += 1
            return (frame(kind: .heartbeat, session: session, sequence: sequence, values: []), .heartbeat(sequence: sequence))
        default:  // a valid step
            sequence += 1
            return (frame(flags: flags, session: session, sequence: sequence, values: observation()), .action(sequence: sequence))
        }
    }
}

@Suite struct HostileInputTests {
    /// ≥ 100,000 random and mutated requests to a real `pcctl serve` process: every one is answered,
    /// with the right error code and a message; two bystander robots keep getting correct actions;
    /// the server process's memory stays flat (its own RSS, which tests running in parallel in this
    /// process cannot disturb).
    @Test(.timeLimit(.minutes(5)))
    func fuzzedFramesNeverHurtTheServerOrOtherSessions() throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let endpoint = server.endpoint
        let bystanders = try (0..<2).map { _ in try BridgeClient(endpoint: endpoint) }
        for b in bystanders { try b.hello(linearHello(robot: "bystander")) }
        let fuzzClient = try BridgeClient(endpoint: endpoint)
        let session = try fuzzClient.hello(linearHello(robot: "fuzzed", scalar: .float32)).session

        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setHighWaterMarks(send: 100_000, receive: 100_000)
        try socket.connect(endpoint)
        var fuzzer = FrameFuzzer(rng: SplitMix64(state: 20_261_123), session: session)
        // The fuzz session's own sequence numbers, separate from the client's.
        fuzzer.sequence = 1_000

        var buffer = [UInt8](repeating: 0, count: 70_000)
        var codesSeen = Set<ErrorCode>()
        var answered = 0
        var bystanderSteps = 0
        func run(batches: Int) throws {
            for _ in 0..<batches {
                // Pipeline a batch of requests, then read the replies in order.
                var expectations: [Expectation] = []
                for _ in 0..<100 {
                    let (bytes, expectation) = fuzzer.next()
                    try socket.send([], more: true)
                    try socket.send(bytes)
                    expectations.append(expectation)
                }
                for expectation in expectations {
                    #expect(try socket.pollReadable(milliseconds: 5000), "reply \(answered) missing")
                    let delimiter = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
                    #expect(delimiter.length == 0 && delimiter.more)
                    let r = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
                    try check(Array(buffer.prefix(r.length)), against: expectation)
                    answered += 1
                }
                // The bystanders are unaffected.
                for b in bystanders {
                    let y = [Double.random(in: -1...1), 0.5, -3]
                    #expect(abs(try b.step(y)[0] - expectedLinearAction(y)) < 1e-12)
                    bystanderSteps += 1
                }
            }
        }
        func check(_ reply: [UInt8], against expectation: Expectation) throws {
            switch expectation {
            case let .action(sequence), let .heartbeat(sequence):
                let header = try reply.withUnsafeBytes { try DataFrame.decodeHeader($0) }
                if case .action = expectation { #expect(header.kind == .action && header.count == 1) } else { #expect(header.kind == .heartbeat) }
                #expect(header.sequence == sequence && header.session == session)
            case let .error(codes):
                // Read the code without a full JSON decode (fast); fully decode one reply in 50.
                let text = String(decoding: reply, as: UTF8.self)
                guard text.hasPrefix("{\"code\":\""), let end = text.dropFirst(9).firstIndex(of: "\"") else {
                    Issue.record("not an error reply: \(text.prefix(80))"); return
                }
                let code = ErrorCode(rawValue: String(text[text.index(text.startIndex, offsetBy: 9)..<end]))
                #expect(code.map(codes.contains) == true, "expected \(codes), got \(text.prefix(160))")
                #expect(!text.contains("\"message\":\"\""))
                if let code { codesSeen.insert(code) }
                if answered % 50 == 0 {
                    guard case let .error(m) = try ControlMessage.decode(Data(reply)) else { Issue.record("undecodable"); return }
                    #expect(m.message.count > 10)
                }
            }
        }

        try run(batches: 100)  // warm-up: 10,000 requests
        let residentBefore = residentBytes(of: server.pid)
        try run(batches: 1_000)  // 100,000 requests
        let residentAfter = residentBytes(of: server.pid)
        #expect(answered == 110_000)
        #expect(codesSeen.count >= 14, "codes seen: \(codesSeen)")
        // 100,000 hostile requests must not grow the server process by more than 2 MiB (a leak of
        // even 32 bytes per request would be 3 MiB).
        #expect(residentBefore > 0 && residentAfter > 0, "could not read the server's RSS")
        #expect(residentAfter - residentBefore < 2 << 20, "server RSS grew by \(residentAfter - residentBefore) bytes")

        // An oversized message is refused by name.
        let huge = try fuzzClient.exchangeRaw([UInt8](repeating: 0x7B, count: WireLimits.maximumMessageBytes + 1))
        guard case let .error(tooLarge) = try ControlMessage.decode(Data(huge)) else { Issue.record("no error"); return }
        #expect(tooLarge.code == .tooLarge && tooLarge.message.contains("65537"))

        // A message whose envelope cannot be routed back is dropped, counted, and serving goes on.
        for _ in 0..<12 { try socket.send(Array("hop".utf8), more: true) }
        try socket.send([])
        for b in bystanders { #expect(abs(try b.step([1, 0, 0])[0] - expectedLinearAction([1, 0, 0])) < 1e-12) }
        #expect(server.process.isRunning)
        print("fuzz: \(answered) requests answered, \(bystanderSteps) bystander steps, codes \(codesSeen.map(\.rawValue).sorted()), server RSS \(residentBefore >> 20) → \(residentAfter >> 20) MiB")
    }

    /// A message whose envelope cannot be routed back (more than 8 routing frames) is dropped and
    /// counted, and the server keeps serving the other sessions.
    @Test func unroutableEnvelopeIsDroppedAndCounted() throws {
        let server = try startServer()
        defer { server.stop() }
        let endpoint = server.endpoints[0]
        let bystander = try BridgeClient(endpoint: endpoint)
        try bystander.hello(linearHello(robot: "bystander"))
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.connect(endpoint)
        for _ in 0..<12 { try socket.send(Array("hop".utf8), more: true) }
        try socket.send([])
        // A request on the same connection is handled after it: once its reply is here, the
        // unroutable message has been processed.
        try socket.send([], more: true)
        try socket.send(Array("{}".utf8))
        #expect(try socket.pollReadable(milliseconds: 5000), "no reply after the unroutable message")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let delimiter = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        #expect(delimiter.length == 0 && delimiter.more)
        let reply = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        #expect(String(decoding: buffer.prefix(reply.length), as: UTF8.self).contains("malformedJSON"))
        let y = [0.5, -0.25, 2.0]
        #expect(abs(try bystander.step(y)[0] - expectedLinearAction(y)) < 1e-12)
        server.stop()
        let stats = server.statistics
        #expect(stats.unattributable == 1)
        #expect(stats.activeSessions == 1)
        #expect(stats.steps >= 1)
    }
}

/// A `pcctl serve` child process on a unique ipc endpoint, stopped (SIGTERM, then SIGKILL) by `stop()`.
struct ServerProcess {
    let process: Process
    let endpoint: String
    var pid: Int32 { process.processIdentifier }

    /// Starts the built `pcctl` (beside the test runner, else .build/debug) and waits for its
    /// `listening <endpoint>` line.
    static func start() throws -> ServerProcess {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var pcctl = runner.appendingPathComponent("pcctl")
        if !FileManager.default.isExecutableFile(atPath: pcctl.path) {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            pcctl = root.appendingPathComponent(".build/debug/pcctl")
        }
        let endpoint = uniqueIPCEndpoint("fuzz")
        let process = Process()
        process.executableURL = pcctl
        process.arguments = ["serve", "--bind", endpoint]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var bytes = Data()
        while !bytes.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            bytes.append(chunk)
        }
        let line = String(decoding: bytes, as: UTF8.self)
        guard line.hasPrefix("listening \(endpoint)") else {
            process.terminate()
            throw ServerStartFailure(description: "pcctl serve did not start at \(pcctl.path): \(line)")
        }
        return ServerProcess(process: process, endpoint: endpoint)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        unlink(String(endpoint.dropFirst("ipc://".count)))
    }
}

struct ServerStartFailure: Error, CustomStringConvertible {
    let description: String
}
