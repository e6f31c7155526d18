import Foundation
import Testing
import _PCTestSupport
@testable import PCWire

/// The golden messages in Interfaces/protocol/golden, written from the specification by
/// make_golden.py; the Python client tests the same files.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interfaces/protocol/golden")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func frameNames() throws -> [String] {
        try ((manifest()["frames"] as? [String: Any]) ?? [:]).keys.sorted()
    }
}

@Suite struct GoldenMessageTests {
    @Test(arguments: try Golden.frameNames())
    func dataFrameDecodesToManifestAndReencodesToSameBytes(name: String) throws {
        let frames = try #require(try Golden.manifest()["frames"] as? [String: Any])
        let expected = try #require(frames[name] as? [String: Any])
        let bytes = try Golden.bytes(name)
        #expect(bytes.count == expected["length"] as? Int)

        let header = try bytes.withUnsafeBytes { try DataFrame.decodeHeader($0) }
        #expect(header.kind.name == expected["kind"] as? String)
        #expect(header.flags.rawValue == UInt16(try #require(expected["flags"] as? Int)))
        #expect(header.session == (expected["session"] as? NSNumber)?.uint64Value)
        #expect(header.sequence == (expected["sequence"] as? NSNumber)?.uint64Value)
        #expect(header.timestampNanoseconds == (expected["timestamp"] as? NSNumber)?.uint64Value)
        #expect(header.count == expected["count"] as? Int)
        #expect(header.iterations == UInt32(try #require(expected["iterations"] as? Int)))
        #expect(header.freeEnergy == (expected["freeEnergy"] as? NSNumber)?.doubleValue)

        let expectedValues = try #require(expected["values"] as? [NSNumber]).map(\.doubleValue)
        var values = [Double](repeating: .nan, count: header.count)
        try bytes.withUnsafeBytes { raw in
            try values.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(raw, header: header, into: $0) }
        }
        // binary32 frames hold the nearest float to each manifest value.
        let expectedStored = header.flags.contains(.float64) ? expectedValues : expectedValues.map { Double(Float($0)) }
        #expect(values == expectedStored)

        if let origin = expected["validUntilOf"] as? String {
            // An action's timestamp is validUntil: its step's timestamp + the action validity.
            let step = try #require(frames[origin] as? [String: Any])
            let stepTimestamp = try #require((step["timestamp"] as? NSNumber)?.uint64Value)
            let validity = try #require((expected["actionValidity"] as? NSNumber)?.doubleValue)
            #expect(header.kind == .action)
            #expect(header.validUntilNanoseconds == DataFrame.validUntil(stepTimestamp: stepTimestamp, actionValidity: validity))
        }

        var out = [UInt8](repeating: 0, count: header.frameBytes)
        let written = out.withUnsafeMutableBytes { buffer in
            values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: buffer) }
        }
        #expect(written == bytes.count)
        #expect(out == bytes)
    }

    @Test func helloDecodesAndReencodesToSameJSON() throws {
        let bytes = try Golden.bytes("hello.json")
        guard case let .hello(hello) = try ControlMessage.decode(Data(bytes)) else {
            Issue.record("hello.json did not decode as a hello"); return
        }
        #expect(hello.robot == "pendulum-1")
        #expect(hello.observationSpace == WireSpace(low: [-1, -1, -8], high: [1, 1, 8]))
        #expect(hello.actionSpace == WireSpace(low: [-2], high: [2]))
        #expect(hello.controlPeriod == 0.05)
        #expect(hello.scalar == .float32)
        #expect(hello.agent["type"]?.stringValue == "linear")
        #expect(hello.actionValidity == 0.15)
        #expect(hello.resolvedActionValidity == 0.15)
        #expect(hello.protocolVersion == ProtocolVersion.current.description)
        #expect(try hello.validate() == nil)
        try expectSameJSON(ControlMessage.hello(hello).encoded(), bytes)
    }

    @Test func unboundedHelloWithMinorVersionWarns() throws {
        let bytes = try Golden.bytes("hello_unbounded.json")
        guard case let .hello(hello) = try ControlMessage.decode(Data(bytes)) else {
            Issue.record("hello_unbounded.json did not decode as a hello"); return
        }
        #expect(hello.observationSpace.low == [nil, -1])
        #expect(hello.scalar == .float64)
        #expect(hello.actionValidity == nil && hello.resolvedActionValidity == 3 * 0.001)
        let warning = try hello.validate()
        #expect(warning?.contains("minor") == true)
        try expectSameJSON(ControlMessage.hello(hello).encoded(), bytes)
    }

    static let session: UInt64 = 0x0012_3456_789A_BCDE

    static let replies: [(String, ControlMessage)] = [
        ("welcome.json", .welcome(Welcome(session: session, observationDimension: 3, actionDimension: 1,
                                          heartbeatInterval: 1, idleTimeout: 10,
                                          actionValidity: 0.15, computeDeadline: 0.025))),
        // A 1.0 server's welcome has neither actionValidity nor computeDeadline: still decodes.
        ("welcome_1_0.json", .welcome(Welcome(session: session, observationDimension: 3, actionDimension: 1,
                                              heartbeatInterval: 1, idleTimeout: 10, protocolVersion: "1.0.0"))),
        ("reset.json", .reset(Reset(session: session, seed: 7))),
        ("reset_max_seed.json", .reset(Reset(session: WireLimits.maximumSessionID, seed: WireLimits.maximumSeed))),
        ("bye.json", .bye(Bye(session: session))),
        ("error.json", .error(ErrorMessage(code: .dimensionMismatch, message: "observation has 2 values, expected 3",
                                           session: session, sequence: 42))),
        ("error_not_owner.json", .error(ErrorMessage(code: .notOwner,
                                                     message: "session 5124095576030430 belongs to another client identity",
                                                     session: session, sequence: 44))),
    ]

    @Test func replyMessagesRoundTrip() throws {
        for (name, message) in Self.replies {
            let bytes = try Golden.bytes(name)
            #expect(try ControlMessage.decode(Data(bytes)) == message, "\(name)")
            try expectSameJSON(message.encoded(), bytes)
        }
    }

    @Test func everyGoldenControlMessageIsChecked() throws {
        let control = try #require(try Golden.manifest()["control"] as? [String: Any])
        let checked = Set(Self.replies.map(\.0) + ["hello.json", "hello_unbounded.json"])
        #expect(Set(control.keys) == checked)
        #expect(Self.session < 1 << 53)
    }

    /// Compares two JSON documents as values (key order and spacing aside), integers exactly.
    func expectSameJSON(_ a: Data, _ b: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let x = try JSONSerialization.jsonObject(with: a) as? NSDictionary
        let y = try JSONSerialization.jsonObject(with: Data(b)) as? NSDictionary
        #expect(x != nil && x == y, "\(String(decoding: a, as: UTF8.self)) vs \(String(decoding: b, as: UTF8.self))",
                sourceLocation: sourceLocation)
    }
}
