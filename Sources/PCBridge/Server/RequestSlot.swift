import PCWire

/// One request of a session, from the moment the socket thread receives it until its reply is
/// sent: the routing envelope to answer along, the request itself, and the reply a worker wrote.
///
/// Slots are allocated once per session (``BridgeServerConfiguration/maximumQueuedRequests`` of
/// them), so queueing a step and answering it allocates nothing. Ownership passes by the
/// scheduler's lock: the socket thread fills a free slot, one worker answers it, the socket thread
/// sends the reply and frees it.
final class RequestSlot {
    /// What the request asks for.
    enum Request {
        /// Build the session's agent (the hello that opened it).
        case open(SessionRequest, warnings: [String])
        /// A step frame, held in ``payload``.
        case step
        case reset(Reset)
        case bye(Bye)
        /// The server ended the session (idle or heartbeat-only timeout): save its learned model on
        /// the worker; no reply is sent.
        case close(reason: String)
        /// A periodic save of the running session's model (``BridgeServerConfiguration/modelSaveInterval``):
        /// no reply is sent.
        case save
    }

    /// What happened to a learning agent's saved model while the slot was answered.
    enum ModelEvent: Equatable {
        /// Restored at the hello, at this model version.
        case resumed(version: Int)
        /// Written when the session ended, at this model version.
        case saved(version: Int)
        /// The agent had learned nothing yet (still exploring): nothing written.
        case nothingToSave
        /// Writing failed (logged).
        case saveFailed
    }

    var request: Request = .step
    /// Monotonic nanoseconds when the socket thread received the request (the deadline's origin).
    var received: UInt64 = 0

    /// The envelope frames, each up to ``ServerCore/maximumEnvelopeFrameBytes`` bytes.
    let envelope: UnsafeMutableRawBufferPointer
    var envelopeLengths = [Int](repeating: 0, count: ServerCore.maximumEnvelopeFrames)
    var envelopeCount = 0

    /// A step frame: (48 + 8 · observationDimension) bytes at most.
    let payload: UnsafeMutableRawBufferPointer
    var payloadLength = 0

    /// The binary reply (an action frame), (48 + 8 · actionDimension) bytes at most.
    let reply: UnsafeMutableRawBufferPointer
    var replyLength = 0
    /// A JSON reply (welcome, reset or bye echo, error); `nil` when the reply is binary.
    var jsonReply: [UInt8]?
    /// The error code of an error reply, for the statistics.
    var errorCode: ErrorCode?
    /// Whether the reply is an action computed by the agent (not a cached retry, not an error).
    var answeredStep = false
    /// The saved-model event of a hello, bye, close or save, for the statistics.
    var modelEvent: ModelEvent?
    /// Set by a step after which a periodic model save is due; the socket thread queues it.
    var modelSaveDue = false

    /// Telemetry frames written by the worker (observation frame, then beliefs frame), when the
    /// server publishes telemetry; empty otherwise.
    var telemetry: UnsafeMutableRawBufferPointer
    var telemetryObservationLength = 0
    var telemetryBeliefsLength = 0

    init(payloadBytes: Int, replyBytes: Int) {
        envelope = .allocate(byteCount: ServerCore.maximumEnvelopeFrames * ServerCore.maximumEnvelopeFrameBytes, alignment: 8)
        payload = .allocate(byteCount: payloadBytes, alignment: 8)
        reply = .allocate(byteCount: replyBytes, alignment: 8)
        telemetry = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    deinit {
        envelope.deallocate()
        payload.deallocate()
        reply.deallocate()
        telemetry.deallocate()
    }

    /// The bytes one slot holds for a session with these dimensions (for the memory budget).
    static func bytes(observationDimension: Int, actionDimension: Int) -> Int {
        ServerCore.maximumEnvelopeFrames * (ServerCore.maximumEnvelopeFrameBytes + 8)
            + 2 * WireLimits.headerBytes + 8 * (observationDimension + actionDimension) + 256
    }

    /// Envelope frame `i`.
    func envelopeFrame(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: envelope.baseAddress! + i * ServerCore.maximumEnvelopeFrameBytes, count: envelopeLengths[i])
    }

    /// Clears the previous reply before the slot is reused.
    func clearReply() {
        replyLength = 0
        jsonReply = nil
        errorCode = nil
        answeredStep = false
        modelEvent = nil
        modelSaveDue = false
        telemetryObservationLength = 0
        telemetryBeliefsLength = 0
    }
}
