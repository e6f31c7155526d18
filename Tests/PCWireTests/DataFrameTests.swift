import Testing
@testable import PCWire

@Suite struct DataFrameTests {
    func frame(_ header: DataFrameHeader, _ values: [Double]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: header.frameBytes)
        out.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
        return out
    }

    func decodeError(_ bytes: [UInt8]) -> WireError? {
        do {
            let header = try bytes.withUnsafeBytes { try DataFrame.decodeHeader($0) }
            var values = [Double](repeating: 0, count: header.count)
            try bytes.withUnsafeBytes { raw in
                try values.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(raw, header: header, into: $0) }
            }
            return nil
        } catch { return error as? WireError }
    }

    let step = DataFrameHeader(kind: .step, session: 5, sequence: 9, timestampNanoseconds: 1, count: 3)

    @Test func everyBrokenRuleIsNamed() {
        let good = frame(step, [1, 2, 3])
        #expect(decodeError(good) == nil)
        #expect(decodeError(Array(good.prefix(47))) == .frameTooShort(length: 47, minimum: 48))
        #expect(decodeError(Array(good.dropLast())) == .frameSizeMismatch(length: 59, expected: 60, count: 3))
        #expect(decodeError(good + [0]) == .frameSizeMismatch(length: 61, expected: 60, count: 3))
        var bad = good; bad[0] = 0x51
        #expect(decodeError(bad)?.code == .badMagic)
        bad = good; bad[4] = 2
        #expect(decodeError(bad) == .unsupportedVersion(major: 2, supported: 1))
        bad = good; bad[5] = 200
        #expect(decodeError(bad) == .unknownKind(200))
        bad = good; bad[5] = MessageKind.hello.rawValue
        #expect(decodeError(bad) == .unexpectedKind(.hello))
        bad = good; bad[32] = 0xFF; bad[33] = 0xFF; bad[34] = 0xFF; bad[35] = 0xFF
        #expect(decodeError(bad) == .tooManyValues(count: Int(UInt32.max), limit: WireLimits.maximumValues))
        #expect(decodeError(frame(step, [1, .nan, 3]))?.code == .nonFiniteValue)
        #expect(decodeError(frame(step, [1, 2, -.infinity])) == .nonFiniteValue(index: 2, value: -.infinity))
        // A float64 value beyond binary32's range becomes +inf when narrowed, and is refused.
        #expect(decodeError(frame(step, [1e39, 0, 0])) == .nonFiniteValue(index: 0, value: .infinity))
        #expect(decodeError([UInt8](repeating: 0, count: WireLimits.maximumMessageBytes + 1))?.code == .tooLarge)
        #expect(decodeError(Array("{\"kind\"".utf8))?.code == .badMagic)
    }

    @Test func float64FramesAreExact() throws {
        var header = step
        header.flags = .float64
        let values = [Double.pi, -0.0, Double.leastNonzeroMagnitude]  // a subnormal survives exactly
        let bytes = frame(header, values)
        #expect(bytes.count == 48 + 24)
        var decoded = [Double](repeating: 1, count: 3)
        try bytes.withUnsafeBytes { raw in
            let h = try DataFrame.decodeHeader(raw)
            #expect(h == header)
            try decoded.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(raw, header: h, into: $0) }
        }
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func versionRules() throws {
        let current = ProtocolVersion.current
        #expect(current.description == "1.1.0")
        #expect(try current.compatibility(with: ProtocolVersion(parsing: "1.1.9")) == nil)
        #expect(try current.compatibility(with: ProtocolVersion(parsing: "1.3.0")) != nil)
        // A 1.0 peer is accepted with the minor-version warning.
        #expect(try current.compatibility(with: ProtocolVersion(parsing: "1.0.0"))?.contains("minor") == true)
        #expect(throws: WireError.unsupportedVersion(major: 2, supported: 1)) {
            try current.compatibility(with: ProtocolVersion(parsing: "2.0.0"))
        }
        #expect(throws: WireError.self) { try ProtocolVersion(parsing: "1.0") }
        #expect(throws: WireError.self) { try ProtocolVersion(parsing: "a.b.c") }
    }

    @Test func controlErrorsNameTheField() {
        func code(_ text: String) -> (ErrorCode, String)? {
            do { _ = try ControlMessage.decode(Data(text.utf8)); return nil } catch { return (error.code, error.description) }
        }
        #expect(code("{not json")?.0 == .malformedJSON)
        #expect(code("{\"kind\":\"hello\",\"robot\":\"r\"}")?.1.contains("protocol") == true)
        #expect(code("{\"kind\":\"step\"}")?.0 == .unexpectedKind)
        #expect(code("{\"kind\":\"dance\"}")?.1.contains("dance") == true)
        #expect(code("{\"kind\":\"reset\",\"session\":\"x\",\"seed\":1}")?.1.contains("session") == true)
    }
}

import Foundation

@Suite struct ErrorJSONTests {
    @Test func handWrittenErrorJSONMatchesTheEncoder() throws {
        let messages = [
            ErrorMessage(code: .unknownSession, message: "plain"),
            ErrorMessage(code: .malformedJSON, message: "quote \" backslash \\ newline \n tab \t bell \u{07} é ✓", session: 1 << 53 - 1),
            ErrorMessage(code: .outOfOrderSequence, message: "", session: 0, sequence: .max),
        ]
        for m in messages {
            let fast = Data(m.jsonBytes())
            #expect(try ControlMessage.decode(fast) == .error(m))
            let a = try JSONSerialization.jsonObject(with: fast) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: ControlMessage.error(m).encoded()) as? NSDictionary
            #expect(a != nil && a == b)
        }
    }
}
