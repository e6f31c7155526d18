#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opcodes of the MCAP records this package writes and reads (MCAP specification, version 0).
enum MCAPOpcode {
    static let header: UInt8 = 0x01, footer: UInt8 = 0x02, schema: UInt8 = 0x03, channel: UInt8 = 0x04
    static let message: UInt8 = 0x05, chunk: UInt8 = 0x06, dataEnd: UInt8 = 0x0F
}

/// The 8 bytes that open and close every MCAP file: `\u{89}MCAP0\r\n` (major version `0`).
let mcapMagic: [UInt8] = [0x89, 0x4D, 0x43, 0x41, 0x50, 0x30, 0x0D, 0x0A]

/// Writes an unchunked MCAP file: magic, Header, then Schema, Channel and Message records in the
/// order they are added, then Data End, an empty-summary Footer and the closing magic.
///
/// Unchunked files without a summary section are valid MCAP (the specification's Summary and
/// Summary Offset sections are optional); readers such as the official `mcap` Python package read
/// them from start to end. The Data End and Footer CRCs are written as 0, "not available".
///
/// ```swift
/// let writer = try MCAPWriter(path: "session.mcap", library: "pckit 0.1.0")
/// let schema = try writer.addSchema(name: "pckit.Action", encoding: "jsonschema", data: Array(schemaJSON.utf8))
/// let channel = try writer.addChannel(schemaID: schema, topic: "/pckit/action", messageEncoding: "json")
/// try writer.writeMessage(channel: channel, sequence: 0, logTime: 0, data: Array(#"{"values":[0.5]}"#.utf8))
/// try writer.finish()
/// ```
///
/// Not thread-safe: one thread writes (``SessionRecorder`` gives it its own writer thread).
public final class MCAPWriter {
    /// The file being written.
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?
    /// Bytes not yet handed to the file (flushed when larger than `flushThreshold`).
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20
    private var nextSchemaID: UInt16 = 1
    private var nextChannelID: UInt16 = 0
    private var channelIDs: Set<UInt16> = []
    private var finished = false
    /// Bytes written so far (flushed or buffered).
    public private(set) var bytesWritten = 0

    /// Creates (or truncates) `path` and writes the magic and the Header record.
    /// - Parameters:
    ///   - path: the file to write.
    ///   - profile: the MCAP profile (empty: none; custom profiles start with `x-`).
    ///   - library: free-form name and version of the writing program.
    /// - Throws: ``MCAPError/io(path:reason:)`` when the file cannot be created.
    public init(path: String, profile: String = "", library: String) throws {
        self.path = path
        guard let file = fopen(path, "wb") else {
            throw MCAPError.io(path: path, reason: "cannot create the file (\(String(cString: strerror(errno))))")
        }
        self.file = file
        buffer.reserveCapacity(flushThreshold + 64 * 1024)
        buffer += mcapMagic
        bytesWritten = mcapMagic.count
        try record(MCAPOpcode.header) { content in
            try Self.appendString(profile, to: &content)
            try Self.appendString(library, to: &content)
        }
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Adds a Schema record.
    /// - Parameters:
    ///   - name: the schema's name, e.g. `pckit.Action`.
    ///   - encoding: the schema format, e.g. `jsonschema`.
    ///   - data: the schema itself (for `jsonschema`, the JSON Schema document's UTF-8 bytes).
    /// - Returns: the schema's ID (1, 2, …) for ``addChannel(schemaID:topic:messageEncoding:metadata:)``.
    public func addSchema(name: String, encoding: String, data: [UInt8]) throws -> UInt16 {
        guard nextSchemaID < UInt16.max else { throw MCAPError.invalidWrite(reason: "more than 65,534 schemas") }
        let id = nextSchemaID
        nextSchemaID += 1
        try record(MCAPOpcode.schema) { content in
            Self.append(id, to: &content)
            try Self.appendString(name, to: &content)
            try Self.appendString(encoding, to: &content)
            try Self.appendBytes32(data, to: &content)
        }
        return id
    }

    /// Adds a Channel record.
    /// - Parameters:
    ///   - schemaID: a schema returned by ``addSchema(name:encoding:data:)``, or 0 for none.
    ///   - topic: the channel's topic, e.g. `/pckit/action`.
    ///   - messageEncoding: how messages are encoded, e.g. `json`.
    ///   - metadata: free key–value pairs about the channel.
    /// - Returns: the channel's ID (0, 1, …) for ``writeMessage(channel:sequence:logTime:publishTime:data:)``.
    public func addChannel(schemaID: UInt16, topic: String, messageEncoding: String,
                           metadata: [String: String] = [:]) throws -> UInt16 {
        guard schemaID < nextSchemaID else { throw MCAPError.invalidWrite(reason: "channel \(topic) names schema \(schemaID), which was not added") }
        guard nextChannelID < UInt16.max else { throw MCAPError.invalidWrite(reason: "more than 65,535 channels") }
        let id = nextChannelID
        nextChannelID += 1
        channelIDs.insert(id)
        try record(MCAPOpcode.channel) { content in
            Self.append(id, to: &content)
            Self.append(schemaID, to: &content)
            try Self.appendString(topic, to: &content)
            try Self.appendString(messageEncoding, to: &content)
            var map: [UInt8] = []
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                try Self.appendString(key, to: &map)
                try Self.appendString(value, to: &map)
            }
            try Self.appendBytes32(map, to: &content)
        }
        return id
    }

    /// Adds a Message record.
    /// - Parameters:
    ///   - channel: a channel returned by ``addChannel(schemaID:topic:messageEncoding:metadata:)``.
    ///   - sequence: the message's counter on its channel.
    ///   - logTime: when the message was recorded, in nanoseconds since the recording's epoch.
    ///   - publishTime: when it was published, in nanoseconds (nil: `logTime`).
    ///   - data: the encoded message.
    public func writeMessage(channel: UInt16, sequence: UInt32, logTime: UInt64, publishTime: UInt64? = nil,
                             data: [UInt8]) throws {
        guard channelIDs.contains(channel) else { throw MCAPError.invalidWrite(reason: "message on channel \(channel), which was not added") }
        try record(MCAPOpcode.message) { content in
            Self.append(channel, to: &content)
            Self.append(sequence, to: &content)
            Self.append(logTime, to: &content)
            Self.append(publishTime ?? logTime, to: &content)
            content += data
        }
    }

    /// Writes Data End, the Footer and the closing magic, and closes the file.
    /// - Throws: ``MCAPError/io(path:reason:)`` when the bytes cannot be written.
    public func finish() throws {
        try record(MCAPOpcode.dataEnd) { content in Self.append(UInt32(0), to: &content) }
        try record(MCAPOpcode.footer) { content in
            Self.append(UInt64(0), to: &content)  // summary_start: no summary section
            Self.append(UInt64(0), to: &content)  // summary_offset_start: no summary offsets
            Self.append(UInt32(0), to: &content)  // summary_crc: not available
        }
        buffer += mcapMagic
        bytesWritten += mcapMagic.count
        try flush()
        finished = true
        let status = fclose(file)
        file = nil
        guard status == 0 else { throw MCAPError.io(path: path, reason: "closing failed (\(String(cString: strerror(errno))))") }
    }

    /// Appends one record: opcode, uint64 content length, content.
    private func record(_ opcode: UInt8, _ content: (inout [UInt8]) throws -> Void) throws {
        guard !finished else { throw MCAPError.invalidWrite(reason: "record 0x\(String(opcode, radix: 16)) after finish()") }
        let start = buffer.count
        buffer.append(opcode)
        Self.append(UInt64(0), to: &buffer)
        try content(&buffer)
        let length = UInt64(buffer.count - start - 9)
        withUnsafeBytes(of: length.littleEndian) { bytes in
            for i in 0..<8 { buffer[start + 1 + i] = bytes[i] }
        }
        bytesWritten += buffer.count - start
        if buffer.count >= flushThreshold { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count, fflush(file) == 0 else {
            throw MCAPError.io(path: path, reason: "writing failed after \(bytesWritten - buffer.count + written) bytes (\(String(cString: strerror(errno))))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    static func appendString(_ string: String, to bytes: inout [UInt8]) throws {
        try appendBytes32(Array(string.utf8), to: &bytes)
    }

    static func appendBytes32(_ data: [UInt8], to bytes: inout [UInt8]) throws {
        guard data.count <= Int(UInt32.max) else { throw MCAPError.invalidWrite(reason: "a field of \(data.count) bytes; MCAP holds at most 4,294,967,295") }
        append(UInt32(data.count), to: &bytes)
        bytes += data
    }
}
