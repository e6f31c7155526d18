import Foundation
import Testing
@testable import PCRecording

@Suite struct MCAPFileTests {
    /// A small file: two schemas, two channels, three messages.
    static func sample(_ path: String) throws -> [UInt8] {
        let writer = try MCAPWriter(path: path, profile: "x-test", library: "PCRecordingTests")
        let a = try writer.addSchema(name: "A", encoding: "jsonschema", data: Array(#"{"type": "object"}"#.utf8))
        let b = try writer.addSchema(name: "B", encoding: "jsonschema", data: Array(#"{"type": "array"}"#.utf8))
        let first = try writer.addChannel(schemaID: a, topic: "/a", messageEncoding: "json", metadata: ["k": "v"])
        let second = try writer.addChannel(schemaID: b, topic: "/b", messageEncoding: "json")
        try writer.writeMessage(channel: first, sequence: 0, logTime: 5, data: Array(#"{"x": 1}"#.utf8))
        try writer.writeMessage(channel: second, sequence: 0, logTime: 6, publishTime: 7, data: Array("[1, 2]".utf8))
        try writer.writeMessage(channel: first, sequence: 1, logTime: 8, data: [])
        try writer.finish()
        return try MCAPFile.readFile(path, maximumSize: 1 << 20)
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pckit-\(getpid())-\(name).mcap").path
    }

    @Test func writtenFileReadsBack() throws {
        let path = Self.temporaryPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try Self.sample(path)
        // The layout the specification fixes: magic, Header record (opcode 1), …, Footer (opcode 2, 20 bytes), magic.
        #expect(Array(bytes.prefix(8)) == mcapMagic && Array(bytes.suffix(8)) == mcapMagic)
        #expect(bytes[8] == 0x01)
        #expect(Array(bytes[(bytes.count - 37)..<(bytes.count - 28)]) == [0x02, 20, 0, 0, 0, 0, 0, 0, 0])
        let file = try MCAPFile(path: path)
        #expect(file.profile == "x-test" && file.library == "PCRecordingTests")
        #expect(file.schemas.count == 2 && file.schemas[1]?.name == "A" && file.schemas[2]?.data == Array(#"{"type": "array"}"#.utf8))
        #expect(file.channel(topic: "/a")?.metadata == ["k": "v"] && file.channel(topic: "/b")?.schemaID == 2)
        #expect(file.messages.map(\.logTime) == [5, 6, 8] && file.messages.map(\.publishTime) == [5, 7, 8])
        #expect(file.messages(topic: "/a").map { Array($0.data) } == [Array(#"{"x": 1}"#.utf8), []])
        #expect(file.messages(topic: "/b").first.map { Array($0.data) } == Array("[1, 2]".utf8))
    }

    /// Every truncation of a valid file is a typed error, never a crash or a partial read.
    @Test func everyTruncationIsATypedError() throws {
        let path = Self.temporaryPath("truncated")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try Self.sample(path)
        for length in 0..<bytes.count {
            #expect(throws: MCAPError.self, "prefix of \(length) bytes") { try MCAPFile(bytes: Array(bytes.prefix(length))) }
        }
        // The closing magic cut in half: named as truncated, at the offset where it starts.
        #expect(throws: MCAPError.truncated(offset: bytes.count - 8, what: "the MCAP magic", needed: 8, available: 4)) {
            try MCAPFile(bytes: Array(bytes.prefix(bytes.count - 4)))
        }
    }

    @Test func corruptLengthsAreBoundedBeforeUse() throws {
        let path = Self.temporaryPath("corrupt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = try Self.sample(path)
        // The Header's length (bytes 9…16) set to 2⁶³: refused by the maximum, nothing allocated.
        var huge = bytes
        huge.replaceSubrange(9..<17, with: [0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(throws: MCAPError.recordTooLong(offset: 8, opcode: 1, length: 1 << 63, maximum: MCAPFile.maximumRecordLength)) {
            try MCAPFile(bytes: huge)
        }
        // A length within the maximum but past the end of the file.
        var long = bytes
        long.replaceSubrange(9..<17, with: [0, 0, 0, 1, 0, 0, 0, 0])
        #expect(throws: MCAPError.truncated(offset: 8, what: "record opcode 0x1", needed: 1 << 24, available: bytes.count - 17)) {
            try MCAPFile(bytes: long)
        }
        // A string length inside a record that runs past the record.
        var string = bytes
        string.replaceSubrange(17..<21, with: [0xFF, 0xFF, 0, 0])
        #expect(throws: MCAPError.self) { try MCAPFile(bytes: string) }
        // Not MCAP at all.
        bytes[1] = UInt8(ascii: "X")
        #expect(throws: MCAPError.badMagic(offset: 0)) { try MCAPFile(bytes: bytes) }
        // A file larger than the caller's bound is refused before it is read.
        #expect(throws: MCAPError.fileTooLarge(path: path, size: bytes.count, maximum: 100)) { try MCAPFile(path: path, maximumFileSize: 100) }
        #expect(throws: MCAPError.self) { try MCAPFile(path: path + ".missing") }
    }

    @Test func trailingBytesAndMissingDataEndAreRefused() throws {
        let path = Self.temporaryPath("trailing")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = try Self.sample(path)
        #expect(throws: MCAPError.malformedFile(offset: bytes.count, reason: "1 bytes after the closing magic; the file must end there")) {
            try MCAPFile(bytes: bytes + [0])
        }
        // Remove the Data End record (13 bytes before the Footer's 29).
        let footerStart = bytes.count - 8 - 29
        var noDataEnd = Array(bytes[..<(footerStart - 13)]) + Array(bytes[footerStart...])
        #expect(throws: MCAPError.malformedFile(offset: footerStart - 13, reason: "Footer before the Data End record (0x0f)")) {
            try MCAPFile(bytes: noDataEnd)
        }
        noDataEnd.removeAll()
    }

    /// Records inside an uncompressed chunk are read like unchunked ones; a compressed chunk is refused by name.
    @Test func chunks() throws {
        func record(_ opcode: UInt8, _ content: [UInt8]) -> [UInt8] {
            var bytes = [opcode]
            MCAPWriter.append(UInt64(content.count), to: &bytes)
            return bytes + content
        }
        var schema: [UInt8] = [], channel: [UInt8] = [], message: [UInt8] = []
        MCAPWriter.append(UInt16(1), to: &schema)
        try MCAPWriter.appendString("S", to: &schema); try MCAPWriter.appendString("jsonschema", to: &schema)
        try MCAPWriter.appendBytes32(Array("{}".utf8), to: &schema)
        MCAPWriter.append(UInt16(3), to: &channel); MCAPWriter.append(UInt16(1), to: &channel)
        try MCAPWriter.appendString("/c", to: &channel); try MCAPWriter.appendString("json", to: &channel)
        try MCAPWriter.appendBytes32([], to: &channel)
        MCAPWriter.append(UInt16(3), to: &message); MCAPWriter.append(UInt32(9), to: &message)
        MCAPWriter.append(UInt64(1), to: &message); MCAPWriter.append(UInt64(2), to: &message)
        message += Array("{}".utf8)
        let inner = record(3, schema) + record(4, channel) + record(5, message)
        func file(compression: String) throws -> [UInt8] {
            var chunk: [UInt8] = []
            MCAPWriter.append(UInt64(1), to: &chunk); MCAPWriter.append(UInt64(1), to: &chunk)
            MCAPWriter.append(UInt64(inner.count), to: &chunk); MCAPWriter.append(UInt32(0), to: &chunk)
            try MCAPWriter.appendString(compression, to: &chunk)
            MCAPWriter.append(UInt64(inner.count), to: &chunk)
            var header: [UInt8] = []
            try MCAPWriter.appendString("", to: &header); try MCAPWriter.appendString("t", to: &header)
            return mcapMagic + record(1, header) + record(6, chunk + inner) + record(0x0F, [0, 0, 0, 0])
                + record(2, [UInt8](repeating: 0, count: 20)) + mcapMagic
        }
        let read = try MCAPFile(bytes: try file(compression: ""))
        #expect(read.messages.count == 1 && read.messages[0].sequence == 9 && read.channel(topic: "/c")?.schemaID == 1)
        #expect(throws: MCAPError.unsupportedCompression(offset: 8 + 9 + 9, compression: "zstd")) { try MCAPFile(bytes: try file(compression: "zstd")) }
    }
}
