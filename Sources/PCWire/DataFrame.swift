/// Encoding and decoding of binary data frames (step, action, heartbeat, telemetry).
///
/// Works on caller-owned buffers and allocates nothing, so it can sit on a 1 kHz hot path.
/// Decoding checks every bound before reading: length, magic, version, kind, count, exact size.
public enum DataFrame {
    /// The magic bytes `"PCKW"` read as a little-endian `UInt32`.
    public static let magic: UInt32 = 0x574B_4350

    /// Whether `bytes` starts with the data-frame magic (a cheap test to tell the planes apart).
    @inlinable
    public static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == magic
    }

    /// Reads and validates a header. Checks, in order: size limit; magic (`badMagic` for any payload
    /// not starting with `PCKW`, whatever its length); length ≥ 48 (`malformedFrame`); major version;
    /// kind (`unknownKind` for an unknown byte, `unexpectedKind` for a JSON-plane kind 1, 2, 5, 6, 8);
    /// count ≤ ``WireLimits/maximumValues``; exact length.
    /// - Parameter bytes: the whole frame.
    /// - Throws: ``WireError`` naming the first violated rule.
    public static func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> DataFrameHeader {
        guard bytes.count <= WireLimits.maximumMessageBytes else {
            throw .tooLarge(length: bytes.count, limit: WireLimits.maximumMessageBytes)
        }
        // Not PCKW, whatever the length (even 0–3 bytes): bad magic. PCKW but short: malformed.
        guard hasMagic(bytes) else {
            var found: UInt32 = 0
            for i in 0..<min(4, bytes.count) { found |= UInt32(bytes[i]) << (8 * UInt32(i)) }
            throw .badMagic(found: found)
        }
        guard bytes.count >= WireLimits.headerBytes else {
            throw .frameTooShort(length: bytes.count, minimum: WireLimits.headerBytes)
        }
        let major = Int(bytes[4])
        guard major == ProtocolVersion.current.major else {
            throw .unsupportedVersion(major: major, supported: ProtocolVersion.current.major)
        }
        guard let kind = MessageKind(rawValue: bytes[5]) else { throw .unknownKind(bytes[5]) }
        guard kind.isDataPlane else { throw .unexpectedKind(kind) }
        let flags = DataFrameFlags(rawValue: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)))
        let count = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt32.self)))
        guard count <= WireLimits.maximumValues else {
            throw .tooManyValues(count: count, limit: WireLimits.maximumValues)
        }
        let header = DataFrameHeader(
            kind: kind, flags: flags,
            session: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            sequence: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            timestampNanoseconds: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
            count: count,
            iterations: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 36, as: UInt32.self)),
            freeEnergy: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 40, as: UInt64.self))))
        guard bytes.count == header.frameBytes else {
            throw .frameSizeMismatch(length: bytes.count, expected: header.frameBytes, count: count)
        }
        return header
    }

    /// Copies a frame's values into `values`, widening binary32 to `Double`.
    /// - Parameters:
    ///   - bytes: the whole frame, already validated by ``decodeHeader(_:)``.
    ///   - header: its decoded header.
    ///   - values: destination, (header.count) values.
    /// - Throws: ``WireError/nonFiniteValue(index:value:)`` at the first NaN or infinity.
    public static func decodeValues(_ bytes: UnsafeRawBufferPointer, header: DataFrameHeader,
                                    into values: UnsafeMutableBufferPointer<Double>) throws(WireError) {
        precondition(values.count >= header.count, "DataFrame.decodeValues: buffer of \(values.count) for \(header.count) values")
        precondition(bytes.count == header.frameBytes, "DataFrame.decodeValues: frame not validated by decodeHeader")
        let base = WireLimits.headerBytes
        // Read every value first, then check finiteness, so the loop stays branch-light.
        if header.flags.contains(.float64) {
            for i in 0..<header.count {
                values[i] = Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self)))
            }
        } else {
            for i in 0..<header.count {
                values[i] = Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self))))
            }
        }
        for i in 0..<header.count where !values[i].isFinite {
            throw .nonFiniteValue(index: i, value: values[i])
        }
    }

    /// Writes a frame: header, then `values` narrowed to binary32 unless the header says float64.
    /// - Parameters:
    ///   - header: the header; its `count` must equal `values.count`.
    ///   - values: (header.count) values.
    ///   - buffer: destination of at least `header.frameBytes` bytes.
    /// - Returns: the number of bytes written (`header.frameBytes`).
    @discardableResult
    public static func encode(_ header: DataFrameHeader, values: UnsafeBufferPointer<Double>,
                              into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(values.count == header.count, "DataFrame.encode: header count \(header.count), \(values.count) values")
        precondition(header.count <= WireLimits.maximumValues, "DataFrame.encode: \(header.count) values exceed the limit")
        precondition(buffer.count >= header.frameBytes, "DataFrame.encode: buffer of \(buffer.count) bytes for a \(header.frameBytes)-byte frame")
        buffer.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: UInt8(ProtocolVersion.current.major), toByteOffset: 4, as: UInt8.self)
        buffer.storeBytes(of: header.kind.rawValue, toByteOffset: 5, as: UInt8.self)
        buffer.storeBytes(of: header.flags.rawValue.littleEndian, toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: header.session.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: header.sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: header.timestampNanoseconds.littleEndian, toByteOffset: 24, as: UInt64.self)
        buffer.storeBytes(of: UInt32(header.count).littleEndian, toByteOffset: 32, as: UInt32.self)
        buffer.storeBytes(of: header.iterations.littleEndian, toByteOffset: 36, as: UInt32.self)
        buffer.storeBytes(of: header.freeEnergy.bitPattern.littleEndian, toByteOffset: 40, as: UInt64.self)
        let base = WireLimits.headerBytes
        if header.flags.contains(.float64) {
            for i in 0..<header.count {
                buffer.storeBytes(of: values[i].bitPattern.littleEndian, toByteOffset: base + 8 * i, as: UInt64.self)
            }
        } else {
            for i in 0..<header.count {
                buffer.storeBytes(of: Float(values[i]).bitPattern.littleEndian, toByteOffset: base + 4 * i, as: UInt32.self)
            }
        }
        return header.frameBytes
    }
}
