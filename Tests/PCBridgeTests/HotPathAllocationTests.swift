import Foundation
import Testing
import PCRecording
import PCWire
import _PCAllocationCounter
@testable import PCBridge

@Suite struct HotPathAllocationTests {
    /// decode step → session lookup → agent → clip → encode action: no heap allocation after
    /// warm-up, for both scalar widths, and for heartbeats.
    @Test(arguments: [ScalarType.float32, .float64])
    func stepAndHeartbeatAllocateNothing(scalar: ScalarType) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        let core = ServerCore(configuration: BridgeServerConfiguration(bind: []), factory: ReferenceAgentFactory(),
                              router: router, publisher: nil)
        core.useEnvelope(identity: Array("robot-identity-01".utf8))
        guard case let .welcome(welcome)? = core.serveSynchronously(.hello(linearHello(scalar: scalar))).first else {
            Issue.record("no welcome"); return
        }
        let steps = 2_000
        var frames: [[UInt8]] = []
        for i in 1...steps {
            let kind: MessageKind = i % 10 == 0 ? .heartbeat : .step
            let values: [Double] = kind == .step ? [0.1 * Double(i % 7), 0.2, -0.3] : []
            let header = DataFrameHeader(kind: kind, flags: scalar == .float64 ? .float64 : [], session: welcome.session,
                                         sequence: UInt64(i), timestampNanoseconds: 0, count: values.count)
            var out = [UInt8](repeating: 0, count: header.frameBytes)
            out.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
            frames.append(out)
        }
        var checksum = 0.0
        func run(_ range: Range<Int>) throws {
            for i in range {
                checksum += Double(frames[i].withUnsafeBytes { core.serveSynchronously($0) })
            }
        }
        try run(0..<20)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter is not linked")
        let before = pck_thread_allocation_count()
        try run(20..<steps)
        let allocations = pck_thread_allocation_count() - before
        // Steps allocate nothing. A heartbeat is answered on the socket thread at once, and
        // libzmq copies each frame longer than 33 bytes to the heap: one allocation per heartbeat,
        // none of them Swift's.
        let heartbeats = UInt64((20..<steps).filter { ($0 + 1) % 10 == 0 }.count)
        #expect(allocations == heartbeats, "\(allocations) allocations in \(steps - 20) requests (\(heartbeats) heartbeats)")
        #expect(checksum > 0 && core.sessions[welcome.session]?.steps == UInt64(steps - steps / 10))
    }
}

@Suite struct RecordedSessionTests {
    /// With a record directory, a step still allocates nothing on the thread that answers it (the
    /// recorder copies into its ring; its own thread writes), and the file holds every step with
    /// the agent's action, readable by PCRecording's reader after the bye.
    @Test func recordingAStepAllocatesNothingAndKeepsEveryStep() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pckit-record-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        var configuration = BridgeServerConfiguration(bind: [])
        configuration.recordDirectory = directory
        let core = ServerCore(configuration: configuration, factory: ReferenceAgentFactory(), router: router, publisher: nil)
        core.useEnvelope(identity: Array("robot-identity-02".utf8))
        guard case let .welcome(welcome)? = core.serveSynchronously(.hello(linearHello(robot: "recorded"))).first else {
            Issue.record("no welcome"); return
        }
        let steps = 1_000
        var frames: [[UInt8]] = []
        var observations: [[Double]] = []
        for i in 1...steps {
            let values: [Double] = [0.1 * Double(i % 7), 0.2, -0.3]
            observations.append(values)
            let header = DataFrameHeader(kind: .step, flags: .float64, session: welcome.session, sequence: UInt64(i),
                                         timestampNanoseconds: 0, count: values.count)
            var out = [UInt8](repeating: 0, count: header.frameBytes)
            out.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
            frames.append(out)
        }
        func run(_ range: Range<Int>) {
            for i in range { _ = frames[i].withUnsafeBytes { core.serveSynchronously($0) } }
        }
        run(0..<20)
        let before = pck_thread_allocation_count()
        run(20..<steps)
        #expect(pck_thread_allocation_count() - before == 0)
        _ = core.serveSynchronously(.bye(Bye(session: welcome.session)))
        let path = (directory as NSString).appendingPathComponent("session-\(welcome.session)-recorded.mcap")
        let file = try MCAPFile(path: path)
        struct Vector: Decodable { var step: Int; var bits: [String] }
        let actions = try file.messages(topic: SessionRecorder.Topic.action).map { try JSONDecoder().decode(Vector.self, from: Data($0.data)) }
        let seen = try file.messages(topic: SessionRecorder.Topic.observation).map { try JSONDecoder().decode(Vector.self, from: Data($0.data)) }
        #expect(actions.count == steps && seen.count == steps)
        for (k, (action, observation)) in zip(actions, seen).enumerated() {
            let y = observation.bits.map { Double(bitPattern: UInt64($0, radix: 16)!) }
            #expect(y == observations[k] && action.step == k)
            // The linear agent's own action (unclipped here, so compare after clipping).
            #expect(min(max(Double(bitPattern: UInt64(action.bits[0], radix: 16)!), -2), 2) == expectedLinearAction(y))
        }
    }
}
