#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An MCAP Schema record: how a channel's messages are described.
public struct MCAPSchema: Sendable, Equatable {
    /// The schema's ID (never 0).
    public var id: UInt16
    /// Its name, e.g. `pckit.Action`.
    public var name: String
    /// Its format, e.g. `jsonschema`.
    public var encoding: String
    /// The schema document.
    public var data: [UInt8]
}

/// An MCAP Channel record: a topic and how its messages are encoded.
public struct MCAPChannel: Sendable, Equatable {
    /// The channel's ID, unique in its file.
    public var id: UInt16
    /// The schema of the channel's messages (0: none).
    public var schemaID: UInt16
    /// The topic, e.g. `/pckit/action`.
    public var topic: String
    /// e.g. `json`.
    public var messageEncoding: String
    /// Free key–value pairs about the channel.
    public var metadata: [String: String]
}

/// An MCAP Message record.
public struct MCAPMessage: Sendable {
    /// The channel the message was written on.
    public var channelID: UInt16
    /// The message's counter on its channel.
    public var sequence: UInt32
    /// When the message was recorded, in nanoseconds.
    public var logTime: UInt64
    /// When it was published, in nanoseconds.
    public var publishTime: UInt64
    /// The encoded message (a slice of the file's bytes).
    public var data: ArraySlice<UInt8>
    /// The byte offset of the record in the file, for error messages.
    public var offset: Int
}

/// An MCAP file read from start to end: its schemas, channels and messages in file order.
///
/// Reading is bounded: the file's size is checked against `maximumFileSize` before it is read, and
/// every record's declared length against the bytes left in the file and `maximumRecordLength`
/// before any of it is used, so a corrupt length never allocates. Unchunked files and chunks without
/// compression are read; compressed chunks are refused (``MCAPError/unsupportedCompression(offset:compression:)``).
/// The summary section, when present, is skipped (the data section holds every record).
public struct MCAPFile: Sendable {
    /// The default bound on a file's size: 4 GiB.
    public static let maximumFileSize = 1 << 32
    /// The default bound on one record's content: 256 MiB.
    public static let maximumRecordLength = 1 << 28

    /// The Header's profile (empty: none).
    public var profile: String
    /// The Header's name of the writing program.
    public var library: String
    /// Schemas by ID.
    public var schemas: [UInt16: MCAPSchema] = [:]
    /// Channels by ID.
    public var channels: [UInt16: MCAPChannel] = [:]
    /// Every message, in file order.
    public var messages: [MCAPMessage] = []

    /// The channel on `topic`, if any.
    public func channel(topic: String) -> MCAPChannel? { channels.values.first { $0.topic == topic } }

    /// The messages on `topic`, in file order.
    public func messages(topic: String) -> [MCAPMessage] {
        guard let id = channel(topic: topic)?.id else { return [] }
        return messages.filter { $0.channelID == id }
    }

    /// Reads and parses the file at `path`.
    /// - Parameters:
    ///   - path: the MCAP file.
    ///   - maximumFileSize: the largest file read, in bytes (default 4 GiB).
    ///   - maximumRecordLength: the largest record content accepted, in bytes (default 256 MiB).
    /// - Throws: ``MCAPError`` naming the offset and what is wrong there.
    public init(path: String, maximumFileSize: Int = MCAPFile.maximumFileSize,
                maximumRecordLength: Int = MCAPFile.maximumRecordLength) throws {
        let bytes = try Self.readFile(path, maximumSize: maximumFileSize)
        try self.init(bytes: bytes, maximumRecordLength: maximumRecordLength)
    }

    /// Parses an MCAP file held in memory.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - maximumRecordLength: the largest record content accepted, in bytes.
    /// - Throws: ``MCAPError`` naming the offset and what is wrong there.
    public init(bytes: [UInt8], maximumRecordLength: Int = MCAPFile.maximumRecordLength) throws {
        var cursor = MCAPCursor(bytes: bytes, start: 0, end: bytes.count)
        try Self.expectMagic(&cursor)
        // The Header must come first.
        let first = try cursor.record(maximumLength: maximumRecordLength)
        guard first.opcode == MCAPOpcode.header else {
            throw MCAPError.malformedFile(offset: first.offset, reason: "the first record is opcode 0x\(String(first.opcode, radix: 16)), expected the Header (0x01)")
        }
        var header = first.content
        profile = try header.string("Header.profile")
        library = try header.string("Header.library")
        var sawDataEnd = false
        while true {
            let record = try cursor.record(maximumLength: maximumRecordLength)
            if record.opcode == MCAPOpcode.footer {
                guard record.content.remaining == 20 else {
                    throw MCAPError.malformedRecord(offset: record.offset, opcode: record.opcode, reason: "Footer holds \(record.content.remaining) bytes, expected 20")
                }
                guard sawDataEnd else { throw MCAPError.malformedFile(offset: record.offset, reason: "Footer before the Data End record (0x0f)") }
                break
            }
            if sawDataEnd { continue }  // the summary section repeats data-section records
            if record.opcode == MCAPOpcode.dataEnd {
                sawDataEnd = true
                continue
            }
            try parse(record, maximumRecordLength: maximumRecordLength)
        }
        try Self.expectMagic(&cursor)
        guard cursor.remaining == 0 else {
            throw MCAPError.malformedFile(offset: cursor.position, reason: "\(cursor.remaining) bytes after the closing magic; the file must end there")
        }
    }

    private mutating func parse(_ record: MCAPRecord, maximumRecordLength: Int) throws {
        var content = record.content
        let offset = record.offset
        func malformed(_ reason: String) -> MCAPError { .malformedRecord(offset: offset, opcode: record.opcode, reason: reason) }
        switch record.opcode {
        case MCAPOpcode.header:
            throw MCAPError.malformedFile(offset: offset, reason: "a second Header record; the Header comes once, first")
        case MCAPOpcode.schema:
            let id: UInt16 = try content.integer("Schema.id")
            let schema = MCAPSchema(id: id, name: try content.string("Schema.name"), encoding: try content.string("Schema.encoding"),
                                    data: Array(try content.bytes32("Schema.data")))
            guard id != 0 else { return }  // the specification: readers ignore schema 0
            if let known = schemas[id], known != schema { throw malformed("schema \(id) redefined differently") }
            schemas[id] = schema
        case MCAPOpcode.channel:
            let id: UInt16 = try content.integer("Channel.id")
            let schemaID: UInt16 = try content.integer("Channel.schema_id")
            let topic = try content.string("Channel.topic"), encoding = try content.string("Channel.message_encoding")
            let mapBytes = try content.bytes32("Channel.metadata")
            var map = MCAPCursor(bytes: content.bytes, start: mapBytes.startIndex, end: mapBytes.endIndex)
            var metadata: [String: String] = [:]
            while map.remaining > 0 { metadata[try map.string("Channel.metadata key")] = try map.string("Channel.metadata value") }
            guard schemaID == 0 || schemas[schemaID] != nil else { throw malformed("channel \(id) (\(topic)) names schema \(schemaID), not defined before it") }
            let channel = MCAPChannel(id: id, schemaID: schemaID, topic: topic, messageEncoding: encoding, metadata: metadata)
            if let known = channels[id], known != channel { throw malformed("channel \(id) redefined differently") }
            channels[id] = channel
        case MCAPOpcode.message:
            let channelID: UInt16 = try content.integer("Message.channel_id")
            let sequence: UInt32 = try content.integer("Message.sequence")
            let logTime: UInt64 = try content.integer("Message.log_time")
            let publishTime: UInt64 = try content.integer("Message.publish_time")
            guard channels[channelID] != nil else { throw malformed("message on channel \(channelID), not defined before it") }
            messages.append(MCAPMessage(channelID: channelID, sequence: sequence, logTime: logTime, publishTime: publishTime,
                                        data: content.rest(), offset: offset))
        case MCAPOpcode.chunk:
            _ = try content.integer("Chunk.message_start_time") as UInt64
            _ = try content.integer("Chunk.message_end_time") as UInt64
            _ = try content.integer("Chunk.uncompressed_size") as UInt64
            _ = try content.integer("Chunk.uncompressed_crc") as UInt32
            let compression = try content.string("Chunk.compression")
            guard compression.isEmpty else { throw MCAPError.unsupportedCompression(offset: offset, compression: compression) }
            let length: UInt64 = try content.integer("Chunk.records length")
            guard length <= UInt64(content.remaining) else {
                throw MCAPError.truncated(offset: content.position, what: "Chunk.records", needed: Int(clamping: length), available: content.remaining)
            }
            var inner = MCAPCursor(bytes: content.bytes, start: content.position, end: content.position + Int(length))
            while inner.remaining > 0 {
                let nested = try inner.record(maximumLength: maximumRecordLength)
                guard [MCAPOpcode.schema, MCAPOpcode.channel, MCAPOpcode.message].contains(nested.opcode) else {
                    throw MCAPError.malformedRecord(offset: nested.offset, opcode: nested.opcode, reason: "only Schema, Channel and Message records may be in a chunk")
                }
                try parse(nested, maximumRecordLength: maximumRecordLength)
            }
        default:
            break  // message indexes, attachments, metadata, …: not needed to replay; skipped whole
        }
    }

    private static func expectMagic(_ cursor: inout MCAPCursor) throws {
        let offset = cursor.position
        guard cursor.remaining >= 8 else {
            throw MCAPError.truncated(offset: offset, what: "the MCAP magic", needed: 8, available: cursor.remaining)
        }
        guard Array(try cursor.take(8, "the MCAP magic")) == mcapMagic else { throw MCAPError.badMagic(offset: offset) }
    }

    /// The whole file, after checking its size against `maximumSize`.
    static func readFile(_ path: String, maximumSize: Int) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw MCAPError.io(path: path, reason: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var info = stat()
        guard fstat(fileno(file), &info) == 0 else { throw MCAPError.io(path: path, reason: "cannot stat (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MCAPError.io(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size <= maximumSize else { throw MCAPError.fileTooLarge(path: path, size: size, maximum: maximumSize) }
        var bytes = [UInt8](repeating: 0, count: size)
        let read = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
        guard read == size else { throw MCAPError.io(path: path, reason: "read \(read) of \(size) bytes") }
        return bytes
    }
}

/// One record: its opcode, where it starts and a cursor over its content.
struct MCAPRecord {
    var opcode: UInt8
    var offset: Int
    var content: MCAPCursor
}

/// Reads little-endian fields from a byte range, checking every length against what is left.
struct MCAPCursor {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        position = start
        self.end = end
    }

    var remaining: Int { end - position }

    mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count <= remaining else { throw MCAPError.truncated(offset: position, what: what, needed: count, available: remaining) }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func integer<T: FixedWidthInteger>(_ what: String) throws -> T {
        let slice = try take(MemoryLayout<T>.size, what)
        var value: T = 0
        for (i, byte) in slice.enumerated() { value |= T(byte) << (8 * i) }
        return value
    }

    mutating func bytes32(_ what: String) throws -> ArraySlice<UInt8> {
        let length: UInt32 = try integer(what + " length")
        return try take(Int(length), what)
    }

    mutating func string(_ what: String) throws -> String {
        let offset = position
        let slice = try bytes32(what)
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw MCAPError.malformedFile(offset: offset, reason: "\(what) is not valid UTF-8")
        }
        return string
    }

    mutating func rest() -> ArraySlice<UInt8> {
        defer { position = end }
        return bytes[position..<end]
    }

    /// The next record, its declared length checked against the bytes left and `maximumLength`.
    mutating func record(maximumLength: Int) throws -> MCAPRecord {
        let offset = position
        guard remaining >= 9 else {
            throw MCAPError.truncated(offset: offset, what: "a record's opcode and length", needed: 9, available: remaining)
        }
        let opcode: UInt8 = try integer("opcode")
        let length: UInt64 = try integer("record length")
        guard length <= UInt64(maximumLength) else {
            throw MCAPError.recordTooLong(offset: offset, opcode: opcode, length: length, maximum: maximumLength)
        }
        guard length <= UInt64(remaining) else {
            throw MCAPError.truncated(offset: offset, what: "record opcode 0x\(String(opcode, radix: 16))", needed: Int(length), available: remaining)
        }
        let content = MCAPCursor(bytes: bytes, start: position, end: position + Int(length))
        position += Int(length)
        return MCAPRecord(opcode: opcode, offset: offset, content: content)
    }
}
