import Testing
@testable import PCBridge

@Suite struct ZMQSocketTests {
    @Test func routerAndDealerExchangeOverIPC() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        let path = "ipc:///tmp/pckit-test-\(UInt32.random(in: 0...UInt32.max)).sock"
        try router.bind(path)
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setReceiveTimeout(milliseconds: 2000)
        try dealer.connect(path)
        try dealer.send(Array("hi".utf8))

        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try router.pollReadable(milliseconds: 2000))
        let id = try buffer.withUnsafeMutableBytes { try router.receive(into: $0) }
        #expect(id.more)
        let identity = Array(buffer.prefix(id.length))
        let body = try buffer.withUnsafeMutableBytes { try router.receive(into: $0) }
        #expect(!body.more && Array(buffer.prefix(body.length)) == Array("hi".utf8))

        try router.send(identity, more: true)
        try router.send(Array("a much longer reply than the buffer".utf8))
        var small = [UInt8](repeating: 0, count: 4)
        let reply = try small.withUnsafeMutableBytes { try dealer.receive(into: $0) }
        #expect(reply.truncated && reply.length == 35 && small == Array("a mu".utf8))
    }

    @Test func receiveTimesOutWithEAGAIN() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setReceiveTimeout(milliseconds: 20)
        try dealer.connect("tcp://127.0.0.1:9")
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: ZMQError.self) { try buffer.withUnsafeMutableBytes { try dealer.receive(into: $0) } }
        do { _ = try buffer.withUnsafeMutableBytes { try dealer.receive(into: $0) } } catch { #expect((error as? ZMQError)?.isTimeout == true) }
        #expect(throws: ZMQError.self) { try dealer.bind("tcp://256.0.0.1:1") }
    }

    @Test func curveIsAvailable() throws {
        #expect(ZMQContext.has("curve"))
        let keys = try CurveKeyPair.generate()
        #expect(keys.publicKey.utf8.count == 40 && keys.secretKey.utf8.count == 40 && keys.publicKey != keys.secretKey)
    }
}
