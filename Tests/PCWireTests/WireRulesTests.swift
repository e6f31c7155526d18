import Foundation
import Testing
@testable import PCWire

/// The rules protocol 1.1 adds or sharpens: magic before length, kinds by plane, new flags and
/// codes, validUntil, actionValidity, and control-message fields that name themselves and their range.
@Suite struct WireRulesTests {
    func headerError(_ bytes: [UInt8]) -> WireError? {
        do { _ = try bytes.withUnsafeBytes { try DataFrame.decodeHeader($0) }; return nil } catch { return error as? WireError }
    }

    func frame(kind: UInt8, count: Int = 0) -> [UInt8] {
        let header = DataFrameHeader(kind: .step, session: 3, sequence: 1, timestampNanoseconds: 0, count: count)
        var out = [UInt8](repeating: 0, count: header.frameBytes)
        out.withUnsafeMutableBytes { b in
            _ = [Double](repeating: 0, count: count).withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) }
        }
        out[5] = kind
        return out
    }

    @Test func nonMagicPayloadsAreBadMagicWhateverTheirLength() {
        for payload: [UInt8] in [[], [0x41], Array("PC".utf8), Array("PCK".utf8), Array("PCKX".utf8),
                                 Array("hello".utf8), [UInt8](repeating: 7, count: 100)] {
            #expect(headerError(payload)?.code == .badMagic, "\(payload.count) bytes")
        }
        #expect(headerError(Array("PC".utf8)) == .badMagic(found: 0x4350))
        // PCKW but shorter than the header: malformed, at every short length.
        for length in 4..<WireLimits.headerBytes {
            #expect(headerError(Array(frame(kind: 3).prefix(length))) == .frameTooShort(length: length, minimum: 48))
        }
    }

    @Test func jsonPlaneKindsInABinaryFrameAreUnexpectedUnknownKindsAreUnknown() {
        for kind in [MessageKind.hello, .welcome, .reset, .bye, .error] {
            let error = headerError(frame(kind: kind.rawValue))
            #expect(error == .unexpectedKind(kind))
            #expect(error?.description.contains("JSON") == true)
        }
        for byte: UInt8 in [0, 10, 11, 200, 255] {
            #expect(headerError(frame(kind: byte)) == .unknownKind(byte))
        }
        for kind in [MessageKind.step, .action, .heartbeat, .telemetry] {
            #expect(headerError(frame(kind: kind.rawValue)) == nil)
        }
    }

    @Test func newFlagsAndCodesHaveTheirWireValues() {
        #expect(DataFrameFlags.outOfBounds.rawValue == 0x10)
        #expect(DataFrameFlags.deadlineExceeded.rawValue == 0x20)
        #expect(ErrorCode.notOwner.rawValue == "notOwner")
        #expect(ErrorCode.peerLimit.rawValue == "peerLimit")
        #expect(ErrorCode.observationOutOfBounds.rawValue == "observationOutOfBounds")
        #expect(ErrorCode.sessionBusy.rawValue == "sessionBusy")
        #expect(ErrorCode.allCases.count == 21)
    }

    @Test func validUntilAddsTheValidityAndSaturates() {
        #expect(DataFrame.validUntil(stepTimestamp: 1_000, actionValidity: 0.15) == 150_001_000)
        #expect(DataFrame.validUntil(stepTimestamp: 0, actionValidity: 60) == 60_000_000_000)
        #expect(DataFrame.validUntil(stepTimestamp: .max - 10, actionValidity: 1) == .max)
        #expect(DataFrame.validUntil(stepTimestamp: 5, actionValidity: 1e30) == .max)
        var header = DataFrameHeader(kind: .action, session: 1, sequence: 1, timestampNanoseconds: 0, count: 0)
        header.validUntilNanoseconds = 42
        #expect(header.timestampNanoseconds == 42)
    }

    func hello(actionValidity: Double?) -> Hello {
        Hello(robot: "r", observationSpace: WireSpace(low: [0], high: [1]), actionSpace: WireSpace(low: [0], high: [1]),
              controlPeriod: 0.05, actionValidity: actionValidity)
    }

    @Test func actionValidityIsCheckedAndNamed() throws {
        #expect(try hello(actionValidity: nil).validate() == nil)
        #expect(hello(actionValidity: nil).resolvedActionValidity == 3 * 0.05)
        #expect(try hello(actionValidity: 60).validate() == nil)
        #expect(try hello(actionValidity: 0.001).validate() == nil)
        for bad in [0, -1, 60.5, .infinity, .nan] {
            do {
                _ = try hello(actionValidity: bad).validate()
                Issue.record("actionValidity \(bad) accepted")
            } catch {
                #expect(error.code == .invalidMessage)
                #expect(error.description.contains("actionValidity") && error.description.contains("60"), "\(error)")
            }
        }
        // Through the decoder: the optional field is read, and encoded only when present.
        let text = #"{"kind":"hello","protocol":"1.1.0","robot":"r","observationSpace":{"low":[0],"high":[1]},"actionSpace":{"low":[0],"high":[1]},"controlPeriod":0.05,"scalar":"float32","agent":{},"actionValidity":0.2}"#
        guard case let .hello(decoded) = try ControlMessage.decode(Data(text.utf8)) else {
            Issue.record("not a hello"); return
        }
        #expect(decoded.actionValidity == 0.2)
        let plain = String(decoding: ControlMessage.hello(hello(actionValidity: nil)).encoded(), as: UTF8.self)
        #expect(!plain.contains("actionValidity"))
    }

    func failure(_ text: String) -> WireError? {
        do { _ = try ControlMessage.decode(Data(text.utf8)); return nil } catch { return error }
    }

    @Test func resetSeedMustBeAnIntegerInRangeAndTheErrorSaysSo() throws {
        let range = "0…9007199254740991"
        for seed in ["-1", "1.5", "9007199254740992", "1e300", "18446744073709551616"] {
            let error = failure(#"{"kind":"reset","session":3,"seed":\#(seed)}"#)
            #expect(error?.code == .invalidMessage, "seed \(seed)")
            #expect(error?.description.contains("seed") == true && error?.description.contains(range) == true,
                    "seed \(seed): \(String(describing: error))")
        }
        for (body, code) in [(#""session":3"#, ErrorCode.malformedJSON), (#""session":3,"seed":"7""#, .malformedJSON),
                             (#""session":3,"seed":null"#, .malformedJSON)] {
            let error = failure(#"{"kind":"reset",\#(body)}"#)
            #expect(error?.code == code)
            #expect(error?.description.contains("seed") == true && error?.description.contains(range) == true,
                    "\(String(describing: error))")
        }
        // 7 and 7.0 are the same JSON number.
        #expect(try ControlMessage.decode(Data(#"{"kind":"reset","session":3.0,"seed":7.0}"#.utf8))
                == .reset(Reset(session: 3, seed: 7)))
        let welcome = #"{"kind":"welcome","protocol":"1.1.0","session":5.0,"observationDimension":3.0,"actionDimension":1,"heartbeatInterval":1,"idleTimeout":10,"warnings":[],"actionValidity":1,"computeDeadline":0.5}"#
        #expect(try ControlMessage.decode(Data(welcome.utf8))
                == .welcome(Welcome(session: 5, observationDimension: 3, actionDimension: 1, heartbeatInterval: 1,
                                    idleTimeout: 10, actionValidity: 1, computeDeadline: 0.5)))
        #expect(try ControlMessage.decode(Data(#"{"kind":"error","code":"sessionBusy","message":"m","sequence":4.0}"#.utf8))
                == .error(ErrorMessage(code: .sessionBusy, message: "m", sequence: 4)))
        #expect(try ControlMessage.decode(Data(#"{"kind":"reset","session":3,"seed":0}"#.utf8))
                == .reset(Reset(session: 3, seed: 0)))
    }

    @Test func sessionIdsAreWholeNumbersAndWelcomesIssueOnly1To2To53Minus1() throws {
        for session in ["-3", "2.5", "\"7\""] {
            for kind in ["reset", "bye"] {
                let extra = kind == "reset" ? #","seed":1"# : ""
                let error = failure(#"{"kind":"\#(kind)","session":\#(session)\#(extra)}"#)
                #expect(error?.code == (session.hasPrefix("\"") ? .malformedJSON : .invalidMessage), "\(kind) session \(session)")
                #expect(error?.description.contains("session") == true, "\(String(describing: error))")
            }
        }
        #expect(failure(#"{"kind":"bye"}"#)?.description.contains("session") == true)
        // Ids no server issues still decode: the server answers them unknownSession, as in a data frame.
        #expect(try ControlMessage.decode(Data(#"{"kind":"bye","session":18446744073709551615}"#.utf8)) == .bye(Bye(session: .max)))
        #expect(try ControlMessage.decode(Data(#"{"kind":"reset","session":0,"seed":1}"#.utf8)) == .reset(Reset(session: 0, seed: 1)))
        // A welcome must carry an id in 1…2^53−1.
        for session in ["0", "9007199254740992"] {
            let error = failure(#"{"kind":"welcome","protocol":"1.1.0","session":\#(session),"observationDimension":3,"actionDimension":1,"heartbeatInterval":1,"idleTimeout":10,"warnings":[]}"#)
            #expect(error?.code == .invalidMessage && error?.description.contains("1…9007199254740991") == true,
                    "\(String(describing: error))")
        }
    }

    @Test func everyControlFieldIsNamedWhenWrong() {
        let hello: [String: String] = [
            "protocol": #""1.1.0""#, "robot": #""r""#, "observationSpace": #"{"low":[0],"high":[1]}"#,
            "actionSpace": #"{"low":[0],"high":[1]}"#, "controlPeriod": "0.05", "scalar": #""float32""#, "agent": "{}",
        ]
        func text(_ fields: [String: String]) -> String {
            "{" + ([#""kind":"hello""#] + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" })
                .joined(separator: ",") + "}"
        }
        #expect(failure(text(hello)) == nil)
        let wrong: [String: String] = ["protocol": "1", "robot": "[]", "observationSpace": "3", "actionSpace": #""x""#,
                                       "controlPeriod": #""fast""#, "scalar": #""float16""#, "actionValidity": #""long""#]
        for (field, value) in wrong {
            var fields = hello
            fields[field] = value
            let error = failure(text(fields))
            #expect(error?.code == .malformedJSON, "\(field)")
            #expect(error?.description.contains(field) == true, "\(field): \(String(describing: error))")
            if field != "actionValidity" {
                fields[field] = nil
                #expect(failure(text(fields))?.description.contains(field) == true, "missing \(field)")
            }
        }
        let welcome = #"{"kind":"welcome","protocol":"1.1.0","session":5,"observationDimension":3,"actionDimension":1,"heartbeatInterval":1,"idleTimeout":10,"warnings":[]}"#
        #expect(failure(welcome) == nil)
        for (field, value) in [("session", "0"), ("observationDimension", "\"3\""), ("heartbeatInterval", "null"),
                               ("warnings", "3"), ("computeDeadline", "\"soon\""), ("actionValidity", "[]")] {
            var object = (try? JSONSerialization.jsonObject(with: Data(welcome.utf8)) as? [String: Any]) ?? [:]
            object[field] = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            if value == "null" { object[field] = NSNull() }
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
            do { _ = try ControlMessage.decode(data); Issue.record("welcome \(field)=\(value) accepted") } catch {
                #expect(error.description.contains(field), "\(field): \(error)")
            }
        }
        let error = failure(#"{"kind":"error","code":"nonesuch","message":"m"}"#)
        #expect(error?.description.contains("code") == true, "\(String(describing: error))")
        #expect(failure(#"{"kind":"error","code":"notOwner","message":"m","sequence":-1}"#)?.description.contains("sequence") == true)
    }
}
