#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCBridge
import PCEnvironment
import PCKit
import PCWire

// The C ABI of libpckit: every function here is declared, with its contract, in
// Interfaces/c/pckit.h. Nothing thrown or trapped inside crosses this boundary: each function
// checks its arguments before it calls anything that could precondition, catches every error and
// returns a `pckit_status` with a message.

/// The library's version (the header's `PCKIT_VERSION`).
public let pckitLibraryVersion = "0.1.0"

private nonisolated(unsafe) let versionCString: UnsafeMutablePointer<CChar> = strdup(pckitLibraryVersion)!
private nonisolated(unsafe) let protocolCString: UnsafeMutablePointer<CChar> = strdup(ProtocolVersion.current.description)!
private nonisolated(unsafe) let statusNames: [UnsafeMutablePointer<CChar>] = PCKitStatus.allCases.map { strdup("\($0.cName)")! }
private nonisolated(unsafe) let unknownStatusName: UnsafeMutablePointer<CChar> = strdup("PCKIT_E_UNKNOWN_STATUS")!

/// Longest path accepted by save and load, bytes (the header's `PCKIT_MAX_PATH_BYTES`).
let maximumPathBytes = 4096
/// Largest model file load reads, bytes (the header's `PCKIT_MAX_MODEL_BYTES`).
let maximumModelBytes = 1 << 28

/// `const char *pckit_version(void)`.
@_cdecl("pckit_version")
public func pckit_version() -> UnsafePointer<CChar> { UnsafePointer(versionCString) }

/// `const char *pckit_protocol_version(void)`.
@_cdecl("pckit_protocol_version")
public func pckit_protocol_version() -> UnsafePointer<CChar> { UnsafePointer(protocolCString) }

/// `const char *pckit_status_name(int status)`.
@_cdecl("pckit_status_name")
public func pckit_status_name(_ status: Int32) -> UnsafePointer<CChar> {
    guard let known = PCKitStatus(rawValue: status) else { return UnsafePointer(unknownStatusName) }
    return UnsafePointer(statusNames[Int(known.rawValue)])
}

/// `const char *pckit_thread_error(void)`.
@_cdecl("pckit_thread_error")
public func pckit_thread_error() -> UnsafePointer<CChar> { UnsafePointer(ThreadError.buffer) }

/// `pckit_status pckit_agent_create(const char *config_json, pckit_agent **out)`.
@_cdecl("pckit_agent_create")
public func pckit_agent_create(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    ThreadError.buffer[0] = 0
    guard let out else {
        return ThreadError.record(BoundaryError(.nullArgument, "pckit_agent_create: out is NULL; pass the address of a pckit_agent * to receive the agent"))
    }
    out.pointee = nil
    guard let json else {
        return ThreadError.record(BoundaryError(.nullArgument, "pckit_agent_create: config_json is NULL; pass a NUL-terminated JSON object"))
    }
    let length = strnlen(json, EmbeddedConfiguration.maximumBytes + 1)
    guard length <= EmbeddedConfiguration.maximumBytes else {
        return ThreadError.record(BoundaryError(.json, "pckit_agent_create: config_json is longer than \(EmbeddedConfiguration.maximumBytes) bytes (PCKIT_MAX_CONFIG_BYTES) or not NUL-terminated"))
    }
    do throws(BoundaryError) {
        let request = try EmbeddedConfiguration.parse(UnsafeRawBufferPointer(start: json, count: length))
        let agent: any BridgeAgent
        do { agent = try PCAgentFactory.builtIn.makeAgent(for: request) } catch let error as AgentRequestError {
            switch error {
            case .unknownAgent: throw BoundaryError(.unknownAgent, "\(error)")
            case .unknownTask: throw BoundaryError(.unknownTask, "\(error)")
            default: throw BoundaryError(.agentRejected, "\(error)")
            }
        } catch {
            throw BoundaryError(.agentRejected, "\(error)")
        }
        let handle = AgentHandle(agent: agent, request: request)
        out.pointee = HandleRegistry.shared.register(handle)
        return PCKitStatus.ok.rawValue
    } catch {
        return ThreadError.record(error)
    }
}

/// `void pckit_agent_destroy(pckit_agent *agent)`.
@_cdecl("pckit_agent_destroy")
public func pckit_agent_destroy(_ pointer: OpaquePointer?) -> Int32 {
    guard let pointer else { return PCKitStatus.ok.rawValue }  // like free(NULL)
    guard HandleRegistry.shared.unregister(pointer) else {
        return ThreadError.record(BoundaryError(.invalidHandle, "pckit_agent_destroy: \(pointer) is not a live agent (already destroyed, or never created by pckit_agent_create)"))
    }
    Unmanaged<AgentHandle>.fromOpaque(UnsafeRawPointer(pointer)).release()
    return PCKitStatus.ok.rawValue
}

/// `const char *pckit_agent_last_error(const pckit_agent *agent)`.
@_cdecl("pckit_agent_last_error")
public func pckit_agent_last_error(_ pointer: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return UnsafePointer(ThreadError.buffer) }
    return UnsafePointer(handle.message)
}

/// `pckit_status pckit_agent_dimensions(const pckit_agent *agent, size_t *n, size_t *m)`.
@_cdecl("pckit_agent_dimensions")
public func pckit_agent_dimensions(_ pointer: OpaquePointer?, _ n: UnsafeMutablePointer<UInt>?,
                                   _ m: UnsafeMutablePointer<UInt>?) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_dimensions") }
    handle.clear()
    guard let n, let m else { return handle.fail(.nullArgument, "pckit_agent_dimensions: \(n == nil ? "n" : "m") is NULL; pass the address of a size_t") }
    n.pointee = UInt(handle.observationDimension)
    m.pointee = UInt(handle.actionDimension)
    return PCKitStatus.ok.rawValue
}

/// `pckit_status pckit_agent_reset(pckit_agent *agent, uint64_t seed)`.
@_cdecl("pckit_agent_reset")
public func pckit_agent_reset(_ pointer: OpaquePointer?, _ seed: UInt64) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_reset") }
    handle.clear()
    do { try handle.agent.reset(seed: seed) } catch {
        return handle.fail(.agentFailure, "pckit_agent_reset: the agent could not start an episode: \(error)")
    }
    return PCKitStatus.ok.rawValue
}

/// `pckit_status pckit_agent_set_step_budget(pckit_agent *agent, double seconds)`.
@_cdecl("pckit_agent_set_step_budget")
public func pckit_agent_set_step_budget(_ pointer: OpaquePointer?, _ seconds: Double) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_set_step_budget") }
    handle.clear()
    guard seconds.isFinite, seconds >= 0, seconds <= 60 else {
        return handle.fail(.invalidArgument, "pckit_agent_set_step_budget: seconds is \(seconds); give a finite budget in 0…60 s (0: no budget)")
    }
    handle.stepBudget = seconds
    if seconds == 0 { handle.agent.setComputeDeadline(nil) }
    return PCKitStatus.ok.rawValue
}

/// `pckit_status pckit_agent_step(pckit_agent *agent, const double *observation, size_t n,
/// double *action, size_t m, pckit_diagnostics *diagnostics)`.
@_cdecl("pckit_agent_step")
public func pckit_agent_step(_ pointer: OpaquePointer?, _ observation: UnsafePointer<Double>?, _ n: UInt,
                             _ action: UnsafeMutablePointer<Double>?, _ m: UInt,
                             _ diagnostics: UnsafeMutableRawPointer?) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_step") }
    return handle.step(observation, n, action, m, diagnostics)
}

/// `pckit_status pckit_agent_learns_model(const pckit_agent *agent, int *learns)`.
@_cdecl("pckit_agent_learns_model")
public func pckit_agent_learns_model(_ pointer: OpaquePointer?, _ learns: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_learns_model") }
    handle.clear()
    guard let learns else { return handle.fail(.nullArgument, "pckit_agent_learns_model: learns is NULL; pass the address of an int") }
    learns.pointee = handle.agent.learnsModel ? 1 : 0
    return PCKitStatus.ok.rawValue
}

/// `pckit_status pckit_agent_save_model(pckit_agent *agent, const char *path, int include_memory)`.
@_cdecl("pckit_agent_save_model")
public func pckit_agent_save_model(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ includeMemory: Int32) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_save_model") }
    handle.clear()
    do throws(BoundaryError) {
        let path = try checkedPath(path, function: "pckit_agent_save_model")
        guard includeMemory == 0 || includeMemory == 1 else {
            throw BoundaryError(.invalidArgument, "pckit_agent_save_model: include_memory is \(includeMemory); give 0 (the model only) or 1 (also the transition memory)")
        }
        guard handle.agent.learnsModel else {
            throw BoundaryError(.notLearning, "pckit_agent_save_model: \(LearnedModelError.notLearning(handle.agentName))")
        }
        let bytes: [UInt8]
        do { bytes = try handle.agent.learnedModel(includeMemory: includeMemory == 1) } catch {
            throw BoundaryError(.modelFile, "pckit_agent_save_model: nothing to save: \(error)")
        }
        try ModelFile.write(bytes, to: path)
        return PCKitStatus.ok.rawValue
    } catch {
        return handle.fail(error.status, error.message)
    }
}

/// `pckit_status pckit_agent_load_model(pckit_agent *agent, const char *path)`.
@_cdecl("pckit_agent_load_model")
public func pckit_agent_load_model(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guard let handle = HandleRegistry.shared.handle(pointer) else { return invalidHandle(pointer, "pckit_agent_load_model") }
    handle.clear()
    do throws(BoundaryError) {
        let path = try checkedPath(path, function: "pckit_agent_load_model")
        guard handle.agent.learnsModel else {
            throw BoundaryError(.notLearning, "pckit_agent_load_model: \(LearnedModelError.notLearning(handle.agentName))")
        }
        let bytes = try ModelFile.read(path, limit: maximumModelBytes)
        do { try handle.agent.restoreLearnedModel(bytes) } catch {
            throw BoundaryError(.modelFile, "pckit_agent_load_model: \(path) is not a model this agent can use: \(error)")
        }
        return PCKitStatus.ok.rawValue
    } catch {
        return handle.fail(error.status, error.message)
    }
}

/// A NUL-terminated path of at most ``maximumPathBytes`` bytes, as a String.
private func checkedPath(_ path: UnsafePointer<CChar>?, function: String) throws(BoundaryError) -> String {
    guard let path else { throw BoundaryError(.nullArgument, "\(function): path is NULL; pass a NUL-terminated file path") }
    let length = strnlen(path, maximumPathBytes + 1)
    guard length > 0 else { throw BoundaryError(.invalidArgument, "\(function): path is empty; pass a file path") }
    guard length <= maximumPathBytes else {
        throw BoundaryError(.invalidArgument, "\(function): path is longer than \(maximumPathBytes) bytes (PCKIT_MAX_PATH_BYTES) or not NUL-terminated")
    }
    return String(decoding: UnsafeRawBufferPointer(start: path, count: length), as: UTF8.self)
}

/// Records, on the calling thread, that `pointer` is not a live handle.
private func invalidHandle(_ pointer: OpaquePointer?, _ function: String) -> Int32 {
    guard let pointer else {
        return ThreadError.record(BoundaryError(.nullArgument, "\(function): agent is NULL; pass a handle from pckit_agent_create"))
    }
    return ThreadError.record(BoundaryError(.invalidHandle, "\(function): \(pointer) is not a live agent (destroyed, or never created by pckit_agent_create)"))
}
