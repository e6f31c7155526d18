import Foundation
import Testing
import PCWire
@testable import PCBridge

@Suite struct FaultTests {
    @Test func vanishedRobotIsDroppedAfterIdleTimeoutAndCanStartAgain() throws {
        let server = try startServer(idleTimeout: 0.3)
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        let first = try client.hello(linearHello())
        _ = try client.step([1, 0, 0])
        // Heartbeats alone keep the session alive past the timeout…
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.1)
            try client.heartbeat()
        }
        _ = try client.step([1, 0, 0])
        // …silence does not.
        Thread.sleep(forTimeInterval: 0.7)
        #expect(remoteCode { _ = try client.step([1, 0, 0]) } == .unknownSession)
        #expect(remoteCode { try client.heartbeat() } == .unknownSession)
        let second = try client.hello(linearHello())
        #expect(second.session != first.session)
        _ = try client.step([1, 0, 0])
        server.stop()
        #expect(server.statistics.sessionsExpired == 1 && server.statistics.activeSessions == 1)
    }

    /// Heartbeats alone keep a session for at most the heartbeat-only timeout; a step renews it.
    @Test func heartbeatsAloneKeepASessionOnlySoLong() throws {
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("hb")])
        configuration.heartbeatOnlyTimeout = 0.4
        let server = try BridgeServer(configuration: configuration, factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        try client.hello(linearHello())
        _ = try client.step([1, 0, 0])
        for _ in 0..<3 {  // 0.3 s of heartbeats, then a step: still there
            Thread.sleep(forTimeInterval: 0.1)
            try client.heartbeat()
        }
        _ = try client.step([1, 0, 0])
        for _ in 0..<8 {  // 0.8 s of heartbeats alone: dropped
            Thread.sleep(forTimeInterval: 0.1)
            if remoteCode({ try client.heartbeat() }) == .unknownSession { break }
        }
        #expect(remoteCode { _ = try client.step([1, 0, 0]) } == .unknownSession)
        server.stop()
        #expect(server.statistics.sessionsExpired == 1)
    }

    /// Every action carries validUntil = the step's timestamp + the action validity, on the
    /// robot's clock; the Swift client applies the safe action once it has passed.
    @Test func actionsExpireAndTheClientHoldsTheSafeAction() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        var hello = linearHello()
        hello.actionValidity = 0.2
        let welcome = try client.hello(hello)
        #expect(welcome.actionValidity == 0.2 && welcome.computeDeadline == 0.005)  // half the 10 ms period
        var observation = [1.0, 0.0, 0.0], action = [0.0], held = [0.0]
        let safe = [0.0]
        let stamp: UInt64 = 5_000_000_000
        let header = try observation.withUnsafeMutableBufferPointer { o in
            try action.withUnsafeMutableBufferPointer { a in
                try client.step(observation: UnsafeBufferPointer(o), action: a, timestampNanoseconds: stamp)
            }
        }
        #expect(header.timestampNanoseconds == stamp + 200_000_000)
        #expect(abs(action[0] - expectedLinearAction(observation)) < 1e-12 && action[0] != 0)
        let valid = held.withUnsafeMutableBufferPointer { h in
            safe.withUnsafeBufferPointer { client.heldAction(into: h, safeAction: $0, now: stamp + 199_000_000) }
        }
        #expect(valid && held == action)
        let expired = held.withUnsafeMutableBufferPointer { h in
            safe.withUnsafeBufferPointer { client.heldAction(into: h, safeAction: $0, now: stamp + 201_000_000) }
        }
        #expect(!expired && held == safe)
    }

    @Test func serverLimitIsReported() throws {
        let server = try startServer(maximumSessions: 2)
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try BridgeClient(endpoint: server.endpoints[0]) }
        try clients[0].hello(linearHello())
        try clients[1].hello(linearHello())
        #expect(remoteCode { try clients[2].hello(linearHello()) } == .serverFull)
        try clients[0].bye()
        try clients[2].hello(linearHello())
    }

    @Test func clientTimesOutWhenNoServer() throws {
        let client = try BridgeClient(endpoint: uniqueIPCEndpoint("nobody"),
                                      options: .init(timeoutMilliseconds: 50, retries: 1))
        let start = Date()
        #expect(throws: BridgeError.timeout(milliseconds: 50, request: "hello")) { try client.hello(linearHello()) }
        #expect(Date().timeIntervalSince(start) < 1)
    }
}

@Suite struct TelemetryTests {
    @Test func everyStepIsPublishedWithObservationActionAndBeliefs() throws {
        let server = try startServer(telemetry: true)
        defer { server.stop() }
        let context = try ZMQContext()
        let subscriber = try ZMQSocket(context: context, type: .subscriber)
        try subscriber.setOption(ZMQ_SUBSCRIBE_OPTION, bytes: [], name: "ZMQ_SUBSCRIBE")
        try subscriber.connect(try #require(server.telemetryEndpoint))
        let client = try BridgeClient(endpoint: server.endpoints[0])
        let welcome = try client.hello(linearHello())
        // A SUB socket joins asynchronously: step until the first telemetry arrives.
        var buffer = [UInt8](repeating: 0, count: 1024)
        var seen: [UInt64] = []
        var layouts: [TelemetryLayout] = []
        var i = 0
        // 20 steps seen, and 250 steps in all: the layout goes out before step 1 and then every
        // 100 steps (one second at this hello's 0.01 s period), so a subscriber that joined late sees it.
        while i < 2_000 && (seen.count < 20 || i < 250) {
            let y = [0.1 * Double(i % 10), 0, 0]
            let action = try client.step(y)[0]
            i += 1
            while try subscriber.pollReadable(milliseconds: seen.isEmpty ? 5 : 200) {
                var frames: [[UInt8]] = []
                repeat {
                    let r = try buffer.withUnsafeMutableBytes { try subscriber.receive(into: $0) }
                    frames.append(Array(buffer.prefix(r.length)))
                } while subscriber.hasMoreFrames()
                if frames.count == 1 && frames[0].first == UInt8(ascii: "{") {
                    layouts.append(try JSONDecoder().decode(TelemetryLayout.self, from: Data(frames[0])))
                    continue
                }
                #expect(frames.count == 3)
                let (obsHeader, obs) = try decode(frames[0])
                let (actHeader, act) = try decode(frames[1])
                let (beliefHeader, _) = try decode(frames[2])
                #expect(obsHeader.kind == .telemetry && obsHeader.session == welcome.session)
                #expect(actHeader.kind == .action && actHeader.sequence == obsHeader.sequence)
                #expect(beliefHeader.count == 0)
                if obsHeader.sequence == UInt64(i) {
                    #expect(obs == y && act == [action])
                }
                seen.append(obsHeader.sequence)
                if obsHeader.sequence == UInt64(i) { break }
            }
        }
        #expect(seen.count >= 20)
        // The layout names the session and its sizes; this agent publishes no beliefs.
        #expect(!layouts.isEmpty)
        for layout in layouts {
            #expect(layout.kind == "telemetryLayout" && layout.session == welcome.session && layout.robot == linearHello().robot)
            #expect(layout.observationDimension == 3 && layout.actionDimension == 1 && layout.fields.isEmpty)
        }
        #expect(seen == seen.sorted() && Set(seen).count == seen.count)
    }

    func decode(_ bytes: [UInt8]) throws -> (DataFrameHeader, [Double]) {
        try bytes.withUnsafeBytes { raw in
            let h = try DataFrame.decodeHeader(raw)
            var v = [Double](repeating: 0, count: h.count)
            try v.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(raw, header: h, into: $0) }
            return (h, v)
        }
    }
}

@Suite struct CurveTests {
    @Test func withoutTheServerKeyNothingWithItWorks() throws {
        let keys = try CurveKeyPair.generate()
        let server = try startServer(curveSecretKey: keys.secretKey)
        defer { server.stop() }
        let plain = try BridgeClient(endpoint: server.endpoints[0], options: .init(timeoutMilliseconds: 300, retries: 0))
        #expect(throws: BridgeError.timeout(milliseconds: 300, request: "hello")) { try plain.hello(linearHello()) }
        let wrongKey = try BridgeClient(endpoint: server.endpoints[0],
                                        options: .init(timeoutMilliseconds: 300, retries: 0,
                                                       curveServerKey: try CurveKeyPair.generate().publicKey))
        #expect(throws: BridgeError.timeout(milliseconds: 300, request: "hello")) { try wrongKey.hello(linearHello()) }
        let client = try BridgeClient(endpoint: server.endpoints[0], options: .init(curveServerKey: keys.publicKey))
        try client.hello(linearHello())
        #expect(abs(try client.step([0.5, 0, 0])[0] - 0.25) < 1e-12)
        server.stop()
        #expect(server.statistics.sessionsCreated == 1 && server.statistics.requests == 2)
    }

    @Test func onlyAuthorizedClientKeysAreAdmitted() throws {
        let serverKeys = try CurveKeyPair.generate(), robotKeys = try CurveKeyPair.generate()
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("zap")], curveSecretKey: serverKeys.secretKey)
        configuration.curveAuthorizedClients = [robotKeys.publicKey]
        let server = try BridgeServer(configuration: configuration, factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        let stranger = try BridgeClient(endpoint: server.endpoints[0],
                                        options: .init(timeoutMilliseconds: 300, retries: 0, curveServerKey: serverKeys.publicKey))
        #expect(throws: BridgeError.timeout(milliseconds: 300, request: "hello")) { try stranger.hello(linearHello()) }
        let robot = try BridgeClient(endpoint: server.endpoints[0],
                                     options: .init(curveServerKey: serverKeys.publicKey, curveClientKeys: robotKeys))
        try robot.hello(linearHello())
        #expect(abs(try robot.step([0.5, 0, 0])[0] - 0.25) < 1e-12)
        server.stop()
        #expect(server.statistics.clientsRefused >= 1 && server.statistics.sessionsCreated == 1)
    }

    /// With CURVE, a peer is its public key: one key's sessions are capped (peerLimit) while another
    /// key on the same machine is welcomed; and each client is named by its key even with no
    /// authorized-keys list.
    @Test func withCurveThePeerLimitCountsPerClientKey() throws {
        let serverKeys = try CurveKeyPair.generate(), a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("peer")], curveSecretKey: serverKeys.secretKey)
        configuration.maximumSessionsPerPeer = 2
        let server = try BridgeServer(configuration: configuration, factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        func client(_ keys: CurveKeyPair) throws -> BridgeClient {
            try BridgeClient(endpoint: server.endpoints[0], options: .init(curveServerKey: serverKeys.publicKey, curveClientKeys: keys))
        }
        let first = try client(a), second = try client(a), third = try client(a)
        try first.hello(linearHello())
        try second.hello(linearHello())
        #expect(remoteCode { try third.hello(linearHello()) } == .peerLimit)
        let other = try client(b)
        try other.hello(linearHello())
        #expect(abs(try other.step([0.5, 0, 0])[0] - 0.25) < 1e-12)
        try first.bye()
        try third.hello(linearHello())
    }

    @Test func authorizedKeysNeedCurveAndValidKeys() {
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("zap")])
        configuration.curveAuthorizedClients = []
        #expect(throws: BridgeError.self) { _ = try BridgeServer(configuration: configuration, factory: ReferenceAgentFactory()) }
        configuration.curveSecretKey = (try? CurveKeyPair.generate())?.secretKey
        configuration.curveAuthorizedClients = ["not a key"]
        #expect(throws: BridgeError.self) { _ = try BridgeServer(configuration: configuration, factory: ReferenceAgentFactory()) }
    }
}
