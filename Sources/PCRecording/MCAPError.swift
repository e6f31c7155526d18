/// What is wrong with an MCAP file, or with writing one.
///
/// Every case names the byte offset (from the start of the file) where reading stopped and what
/// would have been valid there, so a truncated or corrupt recording is diagnosed, never half-read.
public enum MCAPError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or written (`reason` is the system's message).
    case io(path: String, reason: String)
    /// The file is larger than the reader's bound (``MCAPFile/maximumFileSize`` by default).
    case fileTooLarge(path: String, size: Int, maximum: Int)
    /// The 8 bytes at `offset` are not the MCAP magic `\u{89}MCAP0\r\n`.
    case badMagic(offset: Int)
    /// The file ends at `offset` + `available` bytes, but `what` needs `needed` bytes there.
    case truncated(offset: Int, what: String, needed: Int, available: Int)
    /// A record's declared length exceeds the reader's bound (``MCAPFile/maximumRecordLength`` by default).
    case recordTooLong(offset: Int, opcode: UInt8, length: UInt64, maximum: Int)
    /// A record's content does not parse as its opcode's fields.
    case malformedRecord(offset: Int, opcode: UInt8, reason: String)
    /// The file's structure breaks the specification (e.g. no Header first, no Data End before the Footer).
    case malformedFile(offset: Int, reason: String)
    /// A chunk at `offset` is compressed; this reader reads only uncompressed chunks.
    case unsupportedCompression(offset: Int, compression: String)
    /// The writer was used wrongly: a message on an unknown channel, a record after ``MCAPWriter/finish()``,
    /// a field longer than MCAP can hold.
    case invalidWrite(reason: String)

    /// What is wrong, where, and what was expected there.
    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .fileTooLarge(path, size, maximum):
            return "\(path): \(size) bytes is larger than the reader's maximum of \(maximum) bytes"
        case let .badMagic(offset):
            return "offset \(offset): expected the MCAP magic 89 4D 43 41 50 30 0D 0A (\\x89MCAP0\\r\\n); not an MCAP file"
        case let .truncated(offset, what, needed, available):
            return "offset \(offset): \(what) needs \(needed) bytes but the file has \(available) left (truncated?)"
        case let .recordTooLong(offset, opcode, length, maximum):
            return "offset \(offset): record opcode 0x\(String(opcode, radix: 16)) declares \(length) bytes, more than the maximum of \(maximum)"
        case let .malformedRecord(offset, opcode, reason):
            return "offset \(offset): record opcode 0x\(String(opcode, radix: 16)): \(reason)"
        case let .malformedFile(offset, reason): return "offset \(offset): \(reason)"
        case let .unsupportedCompression(offset, compression):
            return "offset \(offset): chunk compressed with `\(compression)`; only uncompressed chunks are read (pcctl writes unchunked files)"
        case let .invalidWrite(reason): return "MCAP writer: \(reason)"
        }
    }
}
