import Foundation
import PCEnvironment
import PCRecording
import PCWire

/// One robot's session on the server: who owns it, its spaces, its agent, its request queue, and
/// the buffers of its hot path, allocated once at the hello.
///
/// Thread confinement: the socket thread owns the routing fields (``lastActivity``,
/// ``lastStepOrReset``, ``peer``) and fills free slots; a worker owns the agent and the step state
/// (``lastSequence``, ``cachedReply``, ``steps``) while it answers a slot; the queue indices are
/// guarded by the scheduler's lock.
final class Session {
    let id: UInt64
    let robot: String
    let observationSpace: BoxSpace
    let actionSpace: BoxSpace
    /// Scalar width of this session's action frames.
    let scalar: ScalarType
    /// Nanoseconds an action stays valid after its step's timestamp.
    let actionValidity: UInt64
    /// Seconds of compute each step may take.
    let computeDeadline: Double
    /// The client identity that opened the session: its innermost routing identity.
    let ownerIdentity: [UInt8]
    /// The owner's CURVE public key (Z85), empty without CURVE.
    let ownerKey: [UInt8]
    /// The peer the session counts against (CURVE key, TCP address or "local").
    let peer: String
    /// The memory this session was admitted with, in bytes.
    let memoryBytes: Int
    /// Whether `refuseOutOfBounds` was set when the session opened.
    let refuseOutOfBounds: Bool

    /// The agent, once a worker built it.
    var agent: (any BridgeAgent)?
    /// Set when the session ended (bye, or its agent could not be built): later requests get `unknownSession`.
    var closed = false
    /// The model file this session's learning agent saves to when it ends (set by the worker that
    /// built the agent, when the server has a model directory and the agent learns a model and no
    /// saved model was refused); `nil` otherwise.
    var modelFileName: String?
    /// Whether the session's final save ran (or found nothing), so it runs at most once.
    var modelSaveAttempted = false
    /// The model version last written by a periodic save (worker).
    var lastSavedModelVersion = 0
    /// The model version whose periodic save a step last asked for (worker): one request per version.
    var lastRequestedSaveVersion = 0

    // Socket thread only.
    /// Monotonic time of the last message, for the idle timeout.
    var lastActivity: UInt64
    /// Monotonic time of the last step, reset or the hello, for the heartbeat-only timeout.
    var lastStepOrReset: UInt64
    /// The sequence number of the last step queued (cleared by a queued reset).
    var lastQueuedSequence: UInt64?

    // Scheduler lock.
    let slots: [RequestSlot]
    /// Index of the oldest occupied slot.
    var queueStart = 0
    /// Occupied slots (queued, being answered, or answered and not yet sent).
    var queueCount = 0
    /// Occupied slots already answered by a worker.
    var queueAnswered = 0
    /// Whether the session is in the scheduler's ready queue or being run by a worker.
    var scheduled = false
    /// Whether the session's steps are expensive, so the low-priority pool serves it.
    var isSlow = false

    // Worker (one at a time).
    /// The last step's sequence number, once a step has been answered.
    var lastSequence: UInt64?
    /// Steps answered.
    var steps: UInt64 = 0
    /// Exponential average (weight 1/4) of the agent's compute time per step, in seconds.
    var stepSecondsAverage = 0.0
    /// (observationDimension)
    let observation: UnsafeMutableBufferPointer<Double>
    /// (actionDimension)
    let action: UnsafeMutableBufferPointer<Double>
    /// The telemetry beliefs, sized when the agent is built: the agent's recorded beliefs
    /// (``BridgeAgent/recordedBeliefs``) when they fit a data frame, else its telemetry beliefs.
    var beliefs = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    /// Whether ``beliefs`` holds the recorded beliefs (``BridgeAgent/writeRecordedBeliefs(into:)``).
    var telemetryUsesRecordedBeliefs = false
    /// The encoded ``PCWire/TelemetryLayout`` of this session (empty without telemetry).
    var telemetryLayout: [UInt8] = []
    /// Steps between two publications of ``telemetryLayout``: one second of steps at the hello's
    /// control period (counted in steps, not read from a clock, so that publishing is the same on
    /// every run).
    var telemetryLayoutInterval = 1
    /// Published steps until ``telemetryLayout`` is published again (server thread; 0: before the next step).
    var telemetryStepsUntilLayout = 0
    /// The encoded reply to the last step, kept for retries of the same sequence number.
    let cachedReply: UnsafeMutableRawBufferPointer
    var cachedReplyLength = 0
    var lastDiagnostics = WireDiagnostics()
    /// Records the session when the server has a record directory (worker; closed when the session ends).
    var recorder: SessionRecorder?
    /// The episode index the next reset starts in the recording.
    var nextRecordedEpisode = 0

    struct Parameters {
        var id: UInt64
        var robot: String
        var observationSpace: BoxSpace
        var actionSpace: BoxSpace
        var scalar: ScalarType
        var actionValidity: Double
        var computeDeadline: Double
        var ownerIdentity: [UInt8]
        var ownerKey: [UInt8]
        var peer: String
        var memoryBytes: Int
        var refuseOutOfBounds: Bool
    }

    init(_ p: Parameters, now: UInt64) {
        id = p.id
        robot = p.robot
        observationSpace = p.observationSpace
        actionSpace = p.actionSpace
        scalar = p.scalar
        actionValidity = UInt64(min(p.actionValidity * 1e9, 1e18))
        computeDeadline = p.computeDeadline
        ownerIdentity = p.ownerIdentity
        ownerKey = p.ownerKey
        peer = p.peer
        memoryBytes = p.memoryBytes
        refuseOutOfBounds = p.refuseOutOfBounds
        lastActivity = now
        lastStepOrReset = now
        let payloadBytes = WireLimits.headerBytes + 8 * observationSpace.dimension
        let replyBytes = WireLimits.headerBytes + 8 * actionSpace.dimension
        slots = (0..<BridgeServerConfiguration.maximumQueuedRequests).map { _ in
            RequestSlot(payloadBytes: payloadBytes, replyBytes: replyBytes)
        }
        observation = .allocate(capacity: observationSpace.dimension)
        observation.initialize(repeating: 0)
        action = .allocate(capacity: actionSpace.dimension)
        action.initialize(repeating: 0)
        cachedReply = .allocate(byteCount: replyBytes, alignment: 8)
    }

    deinit {
        observation.deallocate()
        action.deallocate()
        beliefs.deallocate()
        cachedReply.deallocate()
    }

    private static let layoutEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Sizes the belief buffer and the slots' telemetry buffers once the agent exists (worker),
    /// and encodes the session's telemetry layout.
    func attach(_ agent: any BridgeAgent, telemetry: Bool, controlPeriod: Double) {
        self.agent = agent
        guard telemetry else { return }
        // Telemetry shows what a recording holds (a plan, a learning agent's prediction error)
        // when it fits one data frame; else the agent's own telemetry beliefs.
        let recorded = agent.recordedBeliefs
        let recordedCount = recorded.reduce(0) { $0 + $1.count }
        telemetryUsesRecordedBeliefs = recordedCount <= WireLimits.maximumValues
        let fields = telemetryUsesRecordedBeliefs
            ? recorded.map { TelemetryLayout.Field(name: $0.name, count: $0.count, description: $0.description) }
            : (agent.beliefDimension > 0 ? [TelemetryLayout.Field(name: "beliefs", count: agent.beliefDimension,
                                                                  description: "the agent's telemetry beliefs (its recorded beliefs, \(recordedCount) values, exceed a data frame's \(WireLimits.maximumValues))")] : [])
        let layout = TelemetryLayout(session: id, robot: robot, observationDimension: observation.count,
                                     actionDimension: action.count, fields: fields)
        telemetryLayout = (try? Self.layoutEncoder.encode(layout)).map(Array.init) ?? []
        telemetryLayoutInterval = controlPeriod > 0 ? Int(min(max(1 / controlPeriod, 1), 1_000_000).rounded()) : 1
        beliefs = .allocate(capacity: layout.beliefCount)
        beliefs.initialize(repeating: 0)
        let bytes = 2 * WireLimits.headerBytes + 8 * (observation.count + beliefs.count)
        for slot in slots { slot.telemetry = .allocate(byteCount: bytes, alignment: 8) }
    }

    /// Answers one step frame: checks sequence, length, finiteness and bounds, runs the agent
    /// until its deadline, clips its action into the action space and encodes the action frame
    /// into `cachedReply`.
    ///
    /// Allocates nothing. A retry of the last sequence number returns the cached reply, flagged
    /// ``DataFrameFlags/replayed``, without running the agent again.
    /// - Parameters:
    ///   - frame: the whole step frame; `header` is its validated header.
    ///   - deadline: monotonic seconds by which the agent should return.
    /// - Returns: the reply bytes (in `cachedReply`) and whether the agent ran.
    func step(frame: UnsafeRawBufferPointer, header: DataFrameHeader,
              deadline: Double) throws(BridgeError) -> (reply: UnsafeRawBufferPointer, ran: Bool) {
        guard let agent else { throw .unknownSession(id) }
        if let last = lastSequence {
            if header.sequence == last && cachedReplyLength > 0 {
                let flags = UInt16(littleEndian: cachedReply.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) | DataFrameFlags.replayed.rawValue
                cachedReply.storeBytes(of: flags.littleEndian, toByteOffset: 6, as: UInt16.self)
                return (UnsafeRawBufferPointer(rebasing: cachedReply[0..<cachedReplyLength]), false)
            }
            guard header.sequence > last else { throw .outOfOrderSequence(received: header.sequence, last: last) }
        }
        guard header.count == observation.count else {
            throw .dimensionMismatch(expected: observation.count, got: header.count)
        }
        do { try DataFrame.decodeValues(frame, header: header, into: observation) } catch { throw .wire(error) }
        var outOfBounds = false
        for i in 0..<observation.count where !observationSpace.contains(observation[i], at: i) {
            if refuseOutOfBounds {
                throw .observationOutOfBounds(index: i, value: observation[i], low: observationSpace.low[i],
                                              high: observationSpace.high[i])
            }
            outOfBounds = true
        }

        // The agent acts within its deadline; the action is made safe before it leaves.
        agent.setComputeDeadline(deadline)
        let started = monotonicSeconds()
        var diagnostics = WireDiagnostics(agent.step(observation: UnsafeBufferPointer(observation), action: action))
        let finished = monotonicSeconds()
        if let recorder {
            // The agent's own action, before clipping: what a replay of the agent must reproduce.
            let bits: UInt32 = (diagnostics.warning ? 1 : 0) | (diagnostics.deadlineExceeded ? 2 : 0) | (finished > deadline ? 4 : 0)
            recorder.recordStep(observation: UnsafeBufferPointer(observation), action: UnsafeBufferPointer(action),
                                freeEnergy: diagnostics.freeEnergy, iterations: Int(diagnostics.iterations), converged: diagnostics.converged,
                                warnings: bits, computeTime: finished - started) { beliefs in agent.writeRecordedBeliefs(into: beliefs) }
        }
        stepSecondsAverage += 0.25 * ((finished - started) - stepSecondsAverage)
        diagnostics.deadlineExceeded = diagnostics.deadlineExceeded || finished > deadline
        for i in 0..<action.count {
            if action[i].isFinite {
                action[i] = actionSpace.clip(action[i], at: i)
            } else {
                action[i] = actionSpace.clip(0, at: i)
                diagnostics.warning = true
            }
        }
        var flags = diagnostics.flags
        if scalar == .float64 { flags.insert(.float64) }
        if outOfBounds { flags.insert(.outOfBounds) }
        // validUntil, on the robot's clock: the step's own timestamp plus the action validity.
        let (validUntil, overflow) = header.timestampNanoseconds.addingReportingOverflow(actionValidity)
        let out = DataFrameHeader(kind: .action, flags: flags, session: id, sequence: header.sequence,
                                  timestampNanoseconds: overflow ? .max : validUntil, count: action.count,
                                  iterations: diagnostics.iterations, freeEnergy: diagnostics.freeEnergy)
        cachedReplyLength = DataFrame.encode(out, values: UnsafeBufferPointer(action), into: cachedReply)
        lastSequence = header.sequence
        lastDiagnostics = diagnostics
        steps &+= 1
        return (UnsafeRawBufferPointer(rebasing: cachedReply[0..<cachedReplyLength]), true)
    }
}

extension BoxSpace {
    /// Whether `value` lies within coordinate `i`'s bounds.
    @inline(__always)
    func contains(_ value: Double, at i: Int) -> Bool { value >= low[i] && value <= high[i] }
}
