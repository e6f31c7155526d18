#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The status codes of `Interfaces/c/pckit.h` (`pckit_status`); the values are the ABI.
public enum PCKitStatus: Int32, CaseIterable, Sendable {
    case ok = 0
    case nullArgument = 1
    case invalidHandle = 2
    case size = 3
    case nonFinite = 4
    case json = 5
    case config = 6
    case unknownAgent = 7
    case unknownTask = 8
    case agentRejected = 9
    case agentFailure = 10
    case notLearning = 11
    case io = 12
    case modelFile = 13
    case invalidArgument = 14

    /// The enumerator's name in the header, e.g. `PCKIT_E_SIZE`.
    public var cName: StaticString {
        switch self {
        case .ok: "PCKIT_OK"
        case .nullArgument: "PCKIT_E_NULL_ARGUMENT"
        case .invalidHandle: "PCKIT_E_INVALID_HANDLE"
        case .size: "PCKIT_E_SIZE"
        case .nonFinite: "PCKIT_E_NON_FINITE"
        case .json: "PCKIT_E_JSON"
        case .config: "PCKIT_E_CONFIG"
        case .unknownAgent: "PCKIT_E_UNKNOWN_AGENT"
        case .unknownTask: "PCKIT_E_UNKNOWN_TASK"
        case .agentRejected: "PCKIT_E_AGENT_REJECTED"
        case .agentFailure: "PCKIT_E_AGENT_FAILURE"
        case .notLearning: "PCKIT_E_NOT_LEARNING"
        case .io: "PCKIT_E_IO"
        case .modelFile: "PCKIT_E_MODEL_FILE"
        case .invalidArgument: "PCKIT_E_INVALID_ARGUMENT"
        }
    }
}

/// A failure at the C boundary: the code returned and the message the caller can read.
struct BoundaryError: Error {
    var status: PCKitStatus
    var message: String
    init(_ status: PCKitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Bytes of every error-message buffer, terminating NUL included; longer messages are cut at a
/// UTF-8 character boundary.
let errorMessageCapacity = 2048

/// Copies `message` into a NUL-terminated buffer of ``errorMessageCapacity`` bytes.
func writeMessage(_ message: String, into buffer: UnsafeMutablePointer<CChar>) {
    var count = 0
    var utf8 = Array(message.utf8)
    if utf8.count > errorMessageCapacity - 1 {
        var cut = errorMessageCapacity - 1
        // Never leave half a character: back off over continuation bytes (0b10xxxxxx).
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        utf8.removeSubrange(cut...)
    }
    for byte in utf8 {
        buffer[count] = CChar(bitPattern: byte)
        count += 1
    }
    buffer[count] = 0
}

/// The calling thread's message buffer for failures that have no handle to carry them (create,
/// NULL or unknown handles): allocated on first use per thread, freed when the thread exits.
enum ThreadError {
    /// The key of each thread's buffer; nil if the system had no key left (then every thread
    /// shares ``fallback``, so messages may mix but nothing traps).
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, { buffer in free(buffer) }) == 0 else { return nil }
        return key
    }()

    /// Used only when no per-thread buffer could be made.
    private nonisolated(unsafe) static let fallback: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: errorMessageCapacity)
        buffer.initialize(repeating: 0, count: errorMessageCapacity)
        return buffer
    }()

    /// This thread's buffer (NUL-terminated; empty until a failure is recorded).
    static var buffer: UnsafeMutablePointer<CChar> {
        guard let key else { return fallback }
        if let existing = pthread_getspecific(key) {
            return existing.assumingMemoryBound(to: CChar.self)
        }
        guard let raw = calloc(errorMessageCapacity, 1) else { return fallback }
        guard pthread_setspecific(key, raw) == 0 else {
            free(raw)
            return fallback
        }
        return raw.assumingMemoryBound(to: CChar.self)
    }

    /// Records `error` for this thread and returns its code.
    static func record(_ error: BoundaryError) -> Int32 {
        writeMessage(error.message, into: buffer)
        return error.status.rawValue
    }
}
