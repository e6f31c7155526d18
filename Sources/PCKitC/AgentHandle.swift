#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCBridge
import PCEnvironment

/// What a `pckit_agent *` points to: one agent, its spaces, its step budget and its error message.
///
/// Used by one thread at a time (the header's contract); ``step(_:_:_:_:_:)`` allocates nothing
/// once the agent is warm (its errors do: they format a message).
final class AgentHandle {
    let agent: any BridgeAgent
    let observationDimension: Int
    let actionDimension: Int
    let observationSpace: BoxSpace
    let actionSpace: BoxSpace
    /// The configuration's agent name, for messages.
    let agentName: String
    /// Seconds each step may take (0: no budget); see `pckit_agent_set_step_budget`.
    var stepBudget: Double = 0
    /// The last call's error message, NUL-terminated, ``errorMessageCapacity`` bytes.
    let message: UnsafeMutablePointer<CChar>

    init(agent: any BridgeAgent, request: SessionRequest) {
        self.agent = agent
        observationSpace = request.observationSpace
        actionSpace = request.actionSpace
        observationDimension = request.observationSpace.dimension
        actionDimension = request.actionSpace.dimension
        agentName = request.agentConfiguration["agent"]?.stringValue ?? request.agentConfiguration["type"]?.stringValue ?? "configured"
        message = .allocate(capacity: errorMessageCapacity)
        message.initialize(repeating: 0, count: errorMessageCapacity)
    }

    deinit {
        message.deallocate()
    }

    /// Empties the message: it describes the last call only.
    @inline(__always)
    func clear() { message[0] = 0 }

    /// Records a failure of this handle's call and returns its code.
    func fail(_ status: PCKitStatus, _ text: String) -> Int32 {
        writeMessage(text, into: message)
        return status.rawValue
    }

    /// The body of `pckit_agent_step`: checks everything, steps, makes the action safe, reports.
    func step(_ observation: UnsafePointer<Double>?, _ n: UInt, _ action: UnsafeMutablePointer<Double>?, _ m: UInt,
              _ diagnostics: UnsafeMutableRawPointer?) -> Int32 {
        clear()
        guard let observation else {
            return fail(.nullArgument, "pckit_agent_step: observation is NULL; pass \(observationDimension) doubles")
        }
        guard let action else {
            return fail(.nullArgument, "pckit_agent_step: action is NULL; pass room for \(actionDimension) doubles")
        }
        guard n == UInt(observationDimension) else {
            return fail(.size, "pckit_agent_step: n is \(n); this agent's observation has \(observationDimension) values")
        }
        guard m == UInt(actionDimension) else {
            return fail(.size, "pckit_agent_step: m is \(m); this agent's action has \(actionDimension) values")
        }
        // Overlap would let the action overwrite the observation while the agent reads it.
        let observationEnd = observation + observationDimension, actionEnd = UnsafePointer(action) + actionDimension
        guard observationEnd <= UnsafePointer(action) || actionEnd <= observation else {
            return fail(.invalidArgument, "pckit_agent_step: observation and action overlap; pass separate arrays")
        }
        var outOfBounds = false
        for i in 0..<observationDimension {
            let value = observation[i]
            guard value.isFinite else {
                return fail(.nonFinite, "pckit_agent_step: observation[\(i)] is \(value); every value must be finite")
            }
            if !(value >= observationSpace.low[i] && value <= observationSpace.high[i]) { outOfBounds = true }
        }

        let started = monotonicSeconds()
        let deadline = stepBudget > 0 ? started + stepBudget : nil
        if let deadline { agent.setComputeDeadline(deadline) }
        var result = WireDiagnostics(agent.step(observation: UnsafeBufferPointer(start: observation, count: observationDimension),
                                                action: UnsafeMutableBufferPointer(start: action, count: actionDimension)))
        let finished = monotonicSeconds()
        // As the bridge does: the action is clipped into the action space; a non-finite value
        // becomes the clipped zero and flags a warning.
        for j in 0..<actionDimension {
            if action[j].isFinite {
                action[j] = actionSpace.clip(action[j], at: j)
            } else {
                action[j] = actionSpace.clip(0, at: j)
                result.warning = true
            }
        }
        if let diagnostics {
            // pckit_diagnostics: double, double, uint32_t, then four uint8_t flags (24 bytes).
            diagnostics.storeBytes(of: result.freeEnergy, toByteOffset: 0, as: Double.self)
            diagnostics.storeBytes(of: finished - started, toByteOffset: 8, as: Double.self)
            diagnostics.storeBytes(of: result.iterations, toByteOffset: 16, as: UInt32.self)
            diagnostics.storeBytes(of: result.converged ? 1 : 0, toByteOffset: 20, as: UInt8.self)
            diagnostics.storeBytes(of: result.warning ? 1 : 0, toByteOffset: 21, as: UInt8.self)
            let late = result.deadlineExceeded || (deadline.map { finished > $0 } ?? false)
            diagnostics.storeBytes(of: late ? 1 : 0, toByteOffset: 22, as: UInt8.self)
            diagnostics.storeBytes(of: outOfBounds ? 1 : 0, toByteOffset: 23, as: UInt8.self)
        }
        return PCKitStatus.ok.rawValue
    }
}

/// Seconds on CLOCK_MONOTONIC (the clock ``PCBridge/BridgeAgent/setComputeDeadline(_:)`` uses).
@inline(__always)
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
}

/// The live handles: a pointer is used only after it is found here, so a destroyed or foreign
/// pointer gets `PCKIT_E_INVALID_HANDLE` instead of a use after free.
final class HandleRegistry: @unchecked Sendable {
    static let shared = HandleRegistry()

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var live: Set<UnsafeMutableRawPointer> = []

    private init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    /// Retains `handle` until ``unregister(_:)`` and returns its C pointer.
    func register(_ handle: AgentHandle) -> OpaquePointer {
        let pointer = Unmanaged.passRetained(handle).toOpaque()
        pthread_mutex_lock(mutex)
        live.insert(pointer)
        pthread_mutex_unlock(mutex)
        return OpaquePointer(pointer)
    }

    /// Forgets `pointer`; false when it was not live. The caller releases the handle.
    func unregister(_ pointer: OpaquePointer) -> Bool {
        pthread_mutex_lock(mutex)
        let removed = live.remove(UnsafeMutableRawPointer(pointer)) != nil
        pthread_mutex_unlock(mutex)
        return removed
    }

    /// The handle behind `pointer`, or nil when it is NULL or not live.
    @inline(__always)
    func handle(_ pointer: OpaquePointer?) -> AgentHandle? {
        guard let pointer else { return nil }
        let raw = UnsafeMutableRawPointer(pointer)
        pthread_mutex_lock(mutex)
        let found = live.contains(raw)
        pthread_mutex_unlock(mutex)
        return found ? Unmanaged<AgentHandle>.fromOpaque(raw).takeUnretainedValue() : nil
    }
}

/// Reading and writing model files with POSIX calls, bounded and atomic.
enum ModelFile {
    /// Writes `bytes` to `path.tmp.<pid>`, then renames it over `path` (a reader never sees half a file).
    static func write(_ bytes: [UInt8], to path: String) throws(BoundaryError) {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BoundaryError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += n
            }
            return nil
        }
        let closed = close(fd) == 0 ? nil : String(cString: strerror(errno))
        if let reason = failure ?? closed {
            unlink(temporary)
            throw BoundaryError(.io, "cannot write \(temporary): \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw BoundaryError(.io, "cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    static func read(_ path: String, limit: Int) throws(BoundaryError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BoundaryError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw BoundaryError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw BoundaryError(.io, "\(path) is not a regular file") }
        let size = Int(info.st_size)
        guard size <= limit else {
            throw BoundaryError(.modelFile, "\(path) has \(size) bytes, more than a model file may have (\(limit), PCKIT_MAX_MODEL_BYTES)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        let failure: String? = bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                let n = Glibc.read(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                if n == 0 { return "the file shrank to \(filled) bytes while it was read" }
                filled += n
            }
            return nil
        }
        if let failure { throw BoundaryError(.io, "cannot read \(path): \(failure)") }
        return bytes
    }
}
