import PCEnvironment
import PCWire

/// One robot's session on the server: its spaces, its agent, and the buffers of its hot path,
/// allocated once at the hello. Used only on the server thread.
final class Session {
    let id: UInt64
    let robot: String
    let observationSpace: BoxSpace
    let actionSpace: BoxSpace
    /// Scalar width of this session's action frames.
    let scalar: ScalarType
    let agent: any BridgeAgent
    /// Monotonic time of the last message, for the idle timeout.
    var lastActivity: UInt64
    /// The last step's sequence number, once a step has been answered.
    var lastSequence: UInt64?
    /// Steps answered.
    var steps: UInt64 = 0

    /// (observationDimension)
    let observation: UnsafeMutableBufferPointer<Double>
    /// (actionDimension)
    let action: UnsafeMutableBufferPointer<Double>
    /// (agent.beliefDimension)
    let beliefs: UnsafeMutableBufferPointer<Double>
    /// The encoded reply to the last step, kept for retries of the same sequence number.
    let reply: UnsafeMutableRawBufferPointer
    var replyLength = 0
    var lastDiagnostics = AgentStepDiagnostics()

    init(id: UInt64, robot: String, observationSpace: BoxSpace, actionSpace: BoxSpace, scalar: ScalarType,
         agent: any BridgeAgent, now: UInt64) {
        self.id = id
        self.robot = robot
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.scalar = scalar
        self.agent = agent
        self.lastActivity = now
        observation = .allocate(capacity: observationSpace.dimension)
        observation.initialize(repeating: 0)
        action = .allocate(capacity: actionSpace.dimension)
        action.initialize(repeating: 0)
        beliefs = .allocate(capacity: max(agent.beliefDimension, 0))
        beliefs.initialize(repeating: 0)
        reply = .allocate(byteCount: WireLimits.headerBytes + 8 * actionSpace.dimension, alignment: 8)
    }

    deinit {
        observation.deallocate()
        action.deallocate()
        beliefs.deallocate()
        reply.deallocate()
    }

    /// Answers one step frame: checks sequence and length, decodes the observation, runs the
    /// agent, clips its action into the action space and encodes the action frame.
    ///
    /// Allocates nothing. A retry of the last sequence number returns the cached reply, flagged
    /// ``DataFrameFlags/replayed``, without running the agent again.
    /// - Parameters:
    ///   - frame: the whole step frame; `header` is its validated header.
    /// - Returns: the reply bytes, valid until the next call.
    func step(frame: UnsafeRawBufferPointer, header: DataFrameHeader, now: UInt64) throws(BridgeError) -> UnsafeRawBufferPointer {
        lastActivity = now
        if let last = lastSequence {
            if header.sequence == last && replyLength > 0 {
                let flags = UInt16(littleEndian: reply.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) | DataFrameFlags.replayed.rawValue
                reply.storeBytes(of: flags.littleEndian, toByteOffset: 6, as: UInt16.self)
                return UnsafeRawBufferPointer(rebasing: reply[0..<replyLength])
            }
            guard header.sequence > last else { throw .outOfOrderSequence(received: header.sequence, last: last) }
        }
        guard header.count == observation.count else {
            throw .dimensionMismatch(expected: observation.count, got: header.count)
        }
        do { try DataFrame.decodeValues(frame, header: header, into: observation) } catch { throw .wire(error) }

        // The agent acts; the action is made safe before it leaves.
        let diagnostics = agent.step(observation: UnsafeBufferPointer(observation), action: action)
        var warning = diagnostics.warning
        for i in 0..<action.count {
            if action[i].isFinite {
                action[i] = actionSpace.clip(action[i], at: i)
            } else {
                action[i] = actionSpace.clip(0, at: i)
                warning = true
            }
        }
        var flags: DataFrameFlags = scalar == .float64 ? .float64 : []
        if diagnostics.converged { flags.insert(.converged) }
        if warning { flags.insert(.warning) }
        let out = DataFrameHeader(kind: .action, flags: flags, session: id, sequence: header.sequence,
                                  timestampNanoseconds: wallClockNanoseconds(), count: action.count,
                                  iterations: diagnostics.iterations, freeEnergy: diagnostics.freeEnergy)
        replyLength = DataFrame.encode(out, values: UnsafeBufferPointer(action), into: reply)
        lastSequence = header.sequence
        lastDiagnostics = diagnostics
        steps &+= 1
        return UnsafeRawBufferPointer(rebasing: reply[0..<replyLength])
    }
}
