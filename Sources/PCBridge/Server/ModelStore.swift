#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCWire

/// The server's model directory (``BridgeServerConfiguration/modelDirectory``): where a session's
/// learned model is written when the session ends, and read back when its robot says hello again.
///
/// File names come from ``BridgeServer/modelFileName(robot:curveKey:agentConfiguration:)`` and
/// hold only `[A-Za-z0-9._-]`, so no name a robot chooses reaches outside the directory. Files are
/// written atomically (a temporary file in the same directory, synced, then renamed over the old
/// one) and read with `O_NOFOLLOW`, refused by size before any byte is read.
struct ModelStore: Sendable {
    let directory: String
    let maximumBytes: Int

    init?(_ configuration: BridgeServerConfiguration) {
        guard let directory = configuration.modelDirectory else { return nil }
        self.directory = directory
        maximumBytes = configuration.maximumModelFileBytes
    }

    func path(_ fileName: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// The bytes of `fileName`, or `nil` when there is no such file.
    /// - Throws: ``BridgeError/savedModel(file:reason:)`` for a file that is not a regular file, is
    ///   larger than ``maximumBytes`` (checked before reading) or cannot be read.
    func read(_ fileName: String) throws(BridgeError) -> [UInt8]? {
        let fd = open(path(fileName), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .savedModel(file: fileName, reason: "it cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .savedModel(file: fileName, reason: "its size cannot be read (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .savedModel(file: fileName, reason: "it is not a regular file") }
        guard info.st_size <= maximumBytes else {
            throw .savedModel(file: fileName, reason: "it holds \(info.st_size) bytes, above the server's limit of \(maximumBytes) bytes (maximumModelFileBytes)")
        }
        // At most one byte more than the limit, whatever the file grew to since fstat.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .savedModel(file: fileName, reason: "reading it failed (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            count += n
            if count > maximumBytes {
                throw .savedModel(file: fileName, reason: "it grew above the server's limit of \(maximumBytes) bytes while being read")
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Writes `bytes` to `fileName` atomically.
    /// - Throws: a sentence naming the path and the system's reason.
    func write(_ bytes: [UInt8], to fileName: String) throws(ModelStoreError) {
        guard bytes.count <= maximumBytes else {
            throw ModelStoreError("\(path(fileName)): the model is \(bytes.count) bytes, above maximumModelFileBytes \(maximumBytes); not saved")
        }
        var random = SystemRandomNumberGenerator()
        let temporary = path("\(fileName).tmp.\(getpid()).\(String(random.next() as UInt64, radix: 16))")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ModelStoreError("\(temporary): cannot be created (\(String(cString: strerror(errno))))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw ModelStoreError("\(temporary): write failed (\(reason))")
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path(fileName)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ModelStoreError("\(path(fileName)): \(synced ? "rename" : "fsync") failed (\(reason))")
        }
    }
}

/// `read(2)` (the store's own `read` hides it inside the type).
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// `write(2)` (the store's own `write` hides it inside the type).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

/// Why a model could not be written (a sentence naming the path and the reason).
struct ModelStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension BridgeServer {
    /// Longest robot-name part of a model file name, in characters.
    public static let maximumModelFileOwnerCharacters = 64

    /// The file name under ``BridgeServerConfiguration/modelDirectory`` of the model a robot's
    /// learning agent saves and resumes:
    /// `key-<hex of the CURVE public key>--<configuration hash>.pcla` when CURVE is on, else
    /// `robot-<name>--<configuration hash>.pcla`, where `<name>` is the hello's robot name with every
    /// character outside `[A-Za-z0-9._-]` replaced by `_`, cut to ``maximumModelFileOwnerCharacters``,
    /// and followed by `-<hash of the original name>` when it was changed (so `a/b` and `a_b` differ);
    /// `<configuration hash>` is 16 hex digits of a 64-bit FNV-1a hash of the hello's agent
    /// object in a canonical form (keys sorted). The name never contains `/` and never starts with
    /// `.`, so it cannot leave the directory.
    /// - Parameters:
    ///   - robot: the hello's robot name.
    ///   - curveKey: the client's CURVE public key (Z85), or `nil` without CURVE.
    ///   - agentConfiguration: the hello's `agent` object.
    public static func modelFileName(robot: String, curveKey: String?, agentConfiguration: JSONValue) -> String {
        var configurationHash = FNV1a()
        configurationHash.add(agentConfiguration)
        let owner: String
        if let key = curveKey, !key.isEmpty {
            owner = "key-" + key.utf8.map { hex($0) }.joined()
        } else {
            let allowed = robot.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": Character(scalar)
                default: "_"
                }
            }
            let sanitized = String(allowed.prefix(maximumModelFileOwnerCharacters))
            if sanitized == robot {
                owner = "robot-" + sanitized
            } else {
                var nameHash = FNV1a()
                nameHash.add(bytes: Array(robot.utf8))
                owner = "robot-" + sanitized + "-" + String(String(nameHash.value, radix: 16).suffix(8))
            }
        }
        let digits = String(configurationHash.value, radix: 16)
        return owner + "--" + String(repeating: "0", count: 16 - digits.count) + digits + ".pcla"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}

/// FNV-1a, 64-bit, over a canonical, unambiguous serialisation (stable across builds, unlike a
/// JSON encoder's output).
private struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(bytes: [UInt8]) {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    }

    mutating func add(_ integer: UInt64) {
        add(bytes: (0..<8).map { UInt8(truncatingIfNeeded: integer >> (8 * $0)) })
    }

    mutating func add(_ string: String) {
        let utf8 = Array(string.utf8)
        add(UInt64(utf8.count))
        add(bytes: utf8)
    }

    /// A tag byte per kind, lengths before contents, object keys sorted; numbers by their bits
    /// (−0 as 0, so `0` and `-0` in JSON hash alike).
    mutating func add(_ json: JSONValue) {
        switch json {
        case .null: add(bytes: [0])
        case let .bool(b): add(bytes: [1, b ? 1 : 0])
        case let .number(x): add(bytes: [2]); add((x == 0 ? 0 : x).bitPattern)
        case let .string(s): add(bytes: [3]); add(s)
        case let .array(values):
            add(bytes: [4]); add(UInt64(values.count))
            for value in values { add(value) }
        case let .object(fields):
            add(bytes: [5]); add(UInt64(fields.count))
            for key in fields.keys.sorted() { add(key); add(fields[key]!) }
        }
    }
}
