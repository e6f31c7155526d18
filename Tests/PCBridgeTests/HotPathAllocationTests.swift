import Testing
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
        guard case let .welcome(welcome) = try core.open(linearHello(scalar: scalar)) else {
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
                let reply = try frames[i].withUnsafeBytes { raw in
                    let result = Result { () throws(BridgeError) in try core.dataReply(raw) }
                    return try result.get()
                }
                checksum += Double(reply.count)
            }
        }
        try run(0..<20)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter is not linked")
        let before = pck_thread_allocation_count()
        try run(20..<steps)
        let allocations = pck_thread_allocation_count() - before
        #expect(allocations == 0, "\(allocations) allocations in \(steps - 20) requests")
        #expect(checksum > 0 && core.sessions[welcome.session]?.steps == UInt64(steps - steps / 10))
    }
}
