import Foundation
import Testing
import _PCTestSupport
import PCWire
@testable import PCBridge

@Suite struct EndToEndTests {
    @Test(arguments: [ScalarType.float64, .float32])
    func clientStepsAgainstLinearAgent(scalar: ScalarType) throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        let welcome = try client.hello(linearHello(scalar: scalar))
        #expect(welcome.observationDimension == 3 && welcome.actionDimension == 1 && welcome.warnings.isEmpty)

        var rng = SystemRandomNumberGenerator()
        for i in 1...500 {
            let y = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng), Double.random(in: -8...8, using: &rng)]
            let action = try client.step(y)
            // float32 frames round both the observation and the action to binary32.
            let tolerance = scalar == .float64 ? 1e-12 : 1e-5
            assertClose(action[0], expectedLinearAction(y), rtol: tolerance, atol: tolerance)
            #expect(client.lastAction?.sequence == UInt64(i))
            #expect(client.lastAction?.session == welcome.session)
        }
        try client.reset(seed: 3)
        _ = try client.step([1, 0, 0])
        try client.bye()
        server.stop()  // the final counters are published when the loop ends
        let stats = server.statistics
        #expect(stats.steps == 501 && stats.sessionsCreated == 1 && stats.sessionsClosed == 1 && stats.totalErrors == 0)
    }

    @Test func requestErrorsAreRepliedWithCodes() throws {
        let server = try startServer()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        let welcome = try client.hello(linearHello())

        // Wrong observation length.
        #expect(remoteCode { _ = try client.step([1, 2]) } == .dimensionMismatch)
        // Unknown agent type, bad major version, bad space.
        var hello = linearHello()
        hello.agent = .object(["type": .string("nonesuch")])
        #expect(remoteCode { try client.hello(hello) } == .agentRejected)
        hello = linearHello()
        hello.protocolVersion = "2.0.0"
        #expect(remoteCode { try client.hello(hello) } == .unsupportedVersion)
        hello = linearHello()
        hello.observationSpace = WireSpace(low: [1, 0, 0], high: [0, 1, 1])
        #expect(remoteCode { try client.hello(hello) } == .invalidMessage)
        // A minor version difference is accepted with a warning.
        hello = linearHello()
        hello.protocolVersion = "1.7.0"
        let other = try BridgeClient(endpoint: server.endpoints[0])
        #expect(try other.hello(hello).warnings.count == 1)

        // Out-of-order and replayed sequence numbers, by raw frames on the same session.
        func stepFrame(_ sequence: UInt64, _ y: [Double], session: UInt64 = welcome.session) -> [UInt8] {
            let header = DataFrameHeader(kind: .step, flags: .float64, session: session, sequence: sequence,
                                         timestampNanoseconds: 0, count: y.count)
            var out = [UInt8](repeating: 0, count: header.frameBytes)
            out.withUnsafeMutableBytes { b in _ = y.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
            return out
        }
        func decodeAction(_ bytes: [UInt8]) throws -> (DataFrameHeader, Double) {
            try bytes.withUnsafeBytes { raw in
                let h = try DataFrame.decodeHeader(raw)
                var a = [0.0]
                try a.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(raw, header: h, into: $0) }
                return (h, a[0])
            }
        }
        let first = try decodeAction(try client.exchangeRaw(stepFrame(10, [0.5, 0, 0.1])))
        #expect(first.0.sequence == 10 && !first.0.flags.contains(.replayed))
        // The same sequence again is a retry: the cached action comes back, flagged, agent not rerun.
        let again = try decodeAction(try client.exchangeRaw(stepFrame(10, [0.9, 0.9, 0.9])))
        #expect(again.0.flags.contains(.replayed) && again.1 == first.1)
        let old = try client.exchangeRaw(stepFrame(9, [0, 0, 0]))
        guard case let .error(message) = try ControlMessage.decode(Data(old)) else { Issue.record("no error"); return }
        #expect(message.code == .outOfOrderSequence && message.sequence == 9 && message.session == welcome.session)
        #expect(message.message.contains("10"))
        let unknown = try client.exchangeRaw(stepFrame(11, [0, 0, 0], session: 12345))
        #expect((try ControlMessage.decode(Data(unknown))) == .error(ErrorMessage(
            code: .unknownSession, message: BridgeError.unknownSession(12345).description, session: 12345, sequence: 11)))
        server.stop()
        #expect(server.statistics.errors[.outOfOrderSequence] == 1)
    }

    @Test func nonLoopbackBindIsRefused() {
        #expect(throws: BridgeError.nonLoopbackEndpoint("tcp://0.0.0.0:5555")) {
            _ = try BridgeServer(configuration: BridgeServerConfiguration(bind: ["tcp://0.0.0.0:5555"]),
                                 factory: ReferenceAgentFactory())
        }
        #expect(BridgeServerConfiguration.isLocal("tcp://127.0.0.1:*"))
        #expect(BridgeServerConfiguration.isLocal("tcp://[::1]:5"))
        #expect(!BridgeServerConfiguration.isLocal("tcp://10.0.0.1:5"))
    }

    @Test func tcpLoopbackWithWildcardPort() throws {
        let server = try BridgeServer(configuration: BridgeServerConfiguration(bind: ["tcp://127.0.0.1:*"]),
                                      factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        #expect(server.endpoints[0].hasPrefix("tcp://127.0.0.1:") && !server.endpoints[0].hasSuffix("*"))
        let client = try BridgeClient(endpoint: server.endpoints[0])
        try client.hello(linearHello())
        assertClose(try client.step([0.5, 0, 0])[0], 0.25, rtol: 0, atol: 1e-12)
    }
}
