import CZeroMQ
import Foundation
import PCEnvironment
import PCWire

/// The server's socket thread: receives, checks, routes and replies; agents run on the
/// ``SessionScheduler``'s workers.
final class ServerCore: @unchecked Sendable {
    let configuration: BridgeServerConfiguration
    let factory: any BridgeAgentFactory
    let router: ZMQSocket
    let publisher: ZMQSocket?
    /// The ZAP handler of a CURVE server (admits authorized clients and names their keys).
    let authenticator: CurveAuthenticator?
    let scheduler: SessionScheduler
    let pollSet: ZMQPollSet
    var sessions: [UInt64: Session] = [:]
    /// Sessions held per peer.
    var sessionsPerPeer: [String: Int] = [:]
    /// Bytes admitted across all sessions (their estimates).
    var memoryInUse = 0
    var statistics = BridgeStatistics()
    /// Sessions dropped by a timeout whose model a worker has yet to save (by id).
    var closing: [UInt64: Session] = [:]
    /// The model directory, if the server saves learned models.
    let modelStore: ModelStore?

    /// The routing envelope of the message being answered: up to `maximumEnvelopeFrames` frames.
    static let maximumEnvelopeFrames = 8
    static let maximumEnvelopeFrameBytes = 256
    let envelope: UnsafeMutableRawBufferPointer
    var envelopeLengths = [Int](repeating: 0, count: ServerCore.maximumEnvelopeFrames)
    var envelopeCount = 0
    /// The payload of the message being answered (one byte more than the limit, to see excess).
    let payload: UnsafeMutableRawBufferPointer
    /// The current message's CURVE user id (the client's Z85 public key) and TCP peer address,
    /// NUL-free bytes; empty when absent.
    let userID: UnsafeMutableRawBufferPointer
    var userIDLength = 0
    let peerAddress: UnsafeMutableRawBufferPointer
    var peerAddressLength = 0
    /// A `zmq_msg_t` at a stable address, for reading message properties.
    let message: UnsafeMutablePointer<zmq_msg_t>
    /// Scratch for heartbeat replies.
    let scratch: UnsafeMutableRawBufferPointer

    init(configuration: BridgeServerConfiguration, factory: any BridgeAgentFactory, router: ZMQSocket, publisher: ZMQSocket?,
         authenticator: CurveAuthenticator? = nil) {
        self.configuration = configuration
        self.factory = factory
        self.router = router
        self.publisher = publisher
        self.authenticator = authenticator
        modelStore = ModelStore(configuration)
        envelope = .allocate(byteCount: Self.maximumEnvelopeFrames * Self.maximumEnvelopeFrameBytes, alignment: 8)
        payload = .allocate(byteCount: WireLimits.maximumMessageBytes + 1, alignment: 8)
        userID = .allocate(byteCount: 128, alignment: 8)
        peerAddress = .allocate(byteCount: 128, alignment: 8)
        message = .allocate(capacity: 1)
        scratch = .allocate(byteCount: WireLimits.headerBytes, alignment: 8)
        let scheduler = SessionScheduler(slowStepThreshold: configuration.slowStepThreshold, answer: { [publisher, configuration, factory] session, slot in
            ServerCore.answer(slot, of: session, configuration: configuration, factory: factory, telemetry: publisher != nil)
        })
        self.scheduler = scheduler
        pollSet = ZMQPollSet([router] + (authenticator.map { [$0.socket] } ?? []), fileDescriptors: [scheduler.wakeReadFD])
    }

    deinit {
        envelope.deallocate()
        payload.deallocate()
        userID.deallocate()
        peerAddress.deallocate()
        message.deallocate()
        scratch.deallocate()
    }

    func log(_ line: @autoclosure () -> String) { configuration.log?(line()) }

    /// Serves until `shouldStop` returns true; polls every 10 ms so a stop is prompt.
    func run(shouldStop: () -> Bool, publish: (BridgeStatistics) -> Void) {
        scheduler.start(workers: configuration.workers)
        let wakeIndex = authenticator == nil ? 1 : 2
        var lastSweep = monotonicNanoseconds()
        var published = statistics
        // After a request, poll without sleeping for up to 50 µs while replies are outstanding: a
        // quick agent's reply is then sent without the socket thread being woken from sleep.
        var spinUntil: UInt64 = 0
        while !shouldStop() {
            let spinning = spinUntil > 0 && monotonicNanoseconds() < spinUntil && scheduler.hasOutstandingRequests
            if !spinning { spinUntil = 0 }
            if (try? pollSet.poll(milliseconds: spinning ? 0 : 10)) ?? 0 > 0 {
                if let authenticator, pollSet.isReadable(1), let refusal = authenticator.answer() {
                    statistics.clientsRefused += 1
                    log(refusal)
                }
                if pollSet.isReadable(wakeIndex) { scheduler.drainWakeups() }
                sendCompletedReplies()
                // Drain what is queued, bounded so replies, the stop flag and the sweep still run.
                var answered = 0
                while pollSet.isReadable(0) && answered < 1024 && receiveAndAnswer() {
                    answered += 1
                    sendCompletedReplies()
                }
                if answered > 0 { spinUntil = monotonicNanoseconds() + 50_000 }
            } else if spinning {
                sendCompletedReplies()
            }
            let now = monotonicNanoseconds()
            if now &- lastSweep > 100_000_000 {
                dropIdleSessions(now: now)
                lastSweep = now
            }
            if statistics != published {
                statistics.activeSessions = sessions.count
                published = statistics
                publish(published)
            }
        }
        scheduler.stop()
        sendCompletedReplies()
        // The workers have stopped: close the open sessions' recordings here.
        for session in sessions.values.sorted(by: { $0.id < $1.id }) + closing.values.sorted(by: { $0.id < $1.id }) {
            Self.finishRecording(of: session, why: "server stop", log: configuration.log)
        }
        // The workers have stopped: save what the open sessions (and those dropped but not yet
        // saved) learned, here, since no robot is served any more.
        if let modelStore {
            for session in sessions.values.sorted(by: { $0.id < $1.id }) + closing.values.sorted(by: { $0.id < $1.id }) {
                count(Self.saveModel(of: session, store: modelStore, why: "server stop", log: configuration.log))
            }
            closing.removeAll()
        }
        publish(statistics)
        sessions.removeAll()
        // Disconnect at once, so a broker stops routing to this worker.
        router.close()
        publisher?.close()
        authenticator?.socket.close()
    }

    /// Drops sessions silent for longer than the idle timeout, and sessions kept only by
    /// heartbeats for longer than the heartbeat-only timeout.
    func dropIdleSessions(now: UInt64) {
        let idle = UInt64(configuration.idleTimeout * 1e9)
        let heartbeatOnly = UInt64(min(configuration.heartbeatOnlyTimeout, 1e9) * 1e9)
        for (id, session) in sessions {
            if now &- session.lastActivity > idle {
                remove(session)
                statistics.sessionsExpired += 1
                log("session \(id) (\(session.robot)) dropped after \(configuration.idleTimeout) s idle")
                queueModelSave(session, reason: "idle timeout", now: now)
            } else if now &- session.lastStepOrReset > heartbeatOnly {
                remove(session)
                statistics.sessionsExpired += 1
                log("session \(id) (\(session.robot)) dropped: heartbeats alone for \(configuration.heartbeatOnlyTimeout) s")
                queueModelSave(session, reason: "heartbeat-only timeout", now: now)
            }
        }
        statistics.activeSessions = sessions.count
    }

    /// Queues a dropped session's model save on its worker (never on this thread, so no robot
    /// waits for the file system), when the server has a model directory.
    func queueModelSave(_ session: Session, reason: String, now: UInt64) {
        guard modelStore != nil else { return }
        guard let slot = scheduler.freeSlot(of: session) else {
            statistics.modelSaveFailures += 1
            log("session \(session.id) (\(session.robot)): its model was NOT saved: \(session.slots.count) requests are still queued")
            return
        }
        slot.clearReply()
        slot.request = .close(reason: reason)
        slot.received = now
        slot.payloadLength = 0
        slot.envelopeCount = 0
        closing[session.id] = session
        scheduler.submit(session)
    }

    /// Queues a periodic save of a live session's model behind its requests (on its worker, after
    /// the reply to the step that made it due). With the session's queue full it is skipped; the
    /// next model version asks again.
    func queuePeriodicSave(_ session: Session) {
        guard sessions[session.id] === session, let slot = scheduler.freeSlot(of: session) else { return }
        slot.clearReply()
        slot.request = .save
        slot.received = monotonicNanoseconds()
        slot.payloadLength = 0
        slot.envelopeCount = 0
        scheduler.submit(session)
    }

    /// Counts a saved-model event in the statistics.
    func count(_ event: RequestSlot.ModelEvent?) {
        switch event {
        case let .resumed(version)?:
            statistics.modelsResumed += 1
            statistics.lastResumedModelVersion = version
        case .saved?: statistics.modelsSaved += 1
        case .saveFailed?: statistics.modelSaveFailures += 1
        case .nothingToSave?, nil: break
        }
    }

    /// Takes a session out of the table and returns its peer quota and memory.
    func remove(_ session: Session) {
        guard sessions[session.id] === session else { return }
        sessions[session.id] = nil
        memoryInUse -= session.memoryBytes
        let left = (sessionsPerPeer[session.peer] ?? 1) - 1
        sessionsPerPeer[session.peer] = left > 0 ? left : nil
        statistics.activeSessions = sessions.count
    }

    /// Receives one frame into `payload` with `zmq_msg_recv`, keeping the message's CURVE user id
    /// and peer address when it is the last frame.
    /// - Returns: the frame's full length and whether more frames follow, or `nil` when nothing was queued.
    private func receiveFrame() -> (length: Int, more: Bool)? {
        zmq_msg_init(message)
        defer { zmq_msg_close(message) }
        var rc: Int32
        repeat { rc = zmq_msg_recv(message, router.handle, ZMQ_DONTWAIT) } while rc < 0 && zmq_errno() == EINTR
        guard rc >= 0 else { return nil }
        let length = zmq_msg_size(message)
        if let data = zmq_msg_data(message), length > 0 {
            payload.baseAddress!.copyMemory(from: data, byteCount: min(length, payload.count))
        }
        let more = zmq_msg_more(message) != 0
        if !more {
            userIDLength = copyProperty("User-Id", into: userID)
            peerAddressLength = copyProperty("Peer-Address", into: peerAddress)
        }
        return (length, more)
    }

    private func copyProperty(_ name: StaticString, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let value = name.withUTF8Buffer({ n in
            n.withMemoryRebound(to: CChar.self) { zmq_msg_gets(message, $0.baseAddress!) }
        }) else { return 0 }
        let length = min(strlen(value), buffer.count)
        buffer.baseAddress!.copyMemory(from: value, byteCount: length)
        return length
    }

    /// Receives one message (without waiting) and answers it, or queues it for a worker.
    /// - Returns: false when nothing was queued.
    func receiveAndAnswer() -> Bool {
        envelopeCount = 0
        userIDLength = 0
        peerAddressLength = 0
        var overflow = false
        var received: (length: Int, more: Bool)
        // Envelope frames (identity, delimiter, broker hops) come first; the last frame is the payload.
        while true {
            guard let frame = receiveFrame() else { return false }
            received = frame
            guard received.more else { break }
            if envelopeCount < Self.maximumEnvelopeFrames && received.length <= Self.maximumEnvelopeFrameBytes {
                let slot = envelope.baseAddress! + envelopeCount * Self.maximumEnvelopeFrameBytes
                slot.copyMemory(from: payload.baseAddress!, byteCount: received.length)
                envelopeLengths[envelopeCount] = received.length
                envelopeCount += 1
            } else {
                overflow = true
            }
        }
        statistics.requests += 1
        guard !overflow, envelopeCount > 0 else {
            statistics.unattributable += 1
            log("dropped a message whose routing envelope cannot be echoed (\(envelopeCount) frames)")
            return true
        }
        let bytes = UnsafeRawBufferPointer(start: payload.baseAddress, count: min(received.length, payload.count))
        answer(bytes, length: received.length)
        return true
    }

    /// Answers (or queues) one request whose envelope is in `envelope`.
    func answer(_ bytes: UnsafeRawBufferPointer, length: Int) {
        if length > WireLimits.maximumMessageBytes {
            sendError(.wire(.tooLarge(length: length, limit: WireLimits.maximumMessageBytes)), about: bytes)
        } else if DataFrame.hasMagic(bytes) {
            answerDataFrame(bytes)
        } else if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            answerControl(bytes)
        } else {
            // Neither plane, whatever its length.
            let found = bytes.count >= 4 ? UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) : 0
            sendError(.wire(.badMagic(found: found)), about: bytes)
        }
    }

    // MARK: Identity

    /// The innermost routing identity of the current envelope: the frame before the empty
    /// delimiter (REQ, DEALER with delimiter, or via a broker), else the last envelope frame.
    var clientIdentity: UnsafeRawBufferPointer {
        var i = envelopeCount - 1
        if envelopeLengths[i] == 0 && i > 0 { i -= 1 }
        return UnsafeRawBufferPointer(start: envelope.baseAddress! + i * Self.maximumEnvelopeFrameBytes, count: envelopeLengths[i])
    }

    /// The current message's CURVE user id.
    var clientKey: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: userID[0..<userIDLength]) }

    /// The peer a new session counts against.
    var currentPeer: String {
        if userIDLength > 0 { return "key " + String(decoding: clientKey, as: UTF8.self) }
        if peerAddressLength > 0 { return String(decoding: UnsafeRawBufferPointer(rebasing: peerAddress[0..<peerAddressLength]), as: UTF8.self) }
        return "local"
    }

    /// Whether the current message comes from the client that opened `session`.
    func isOwner(_ session: Session) -> Bool {
        Self.equal(clientIdentity, session.ownerIdentity) && Self.equal(clientKey, session.ownerKey)
    }

    static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return b.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
    }

    /// The live session `id` for a request from the current client.
    /// - Throws: `unknownSession` or `notOwner`.
    func ownedSession(_ id: UInt64) throws(BridgeError) -> Session {
        guard let session = sessions[id] else { throw .unknownSession(id) }
        guard isOwner(session) else { throw .notOwner(session: id) }
        return session
    }

    // MARK: Replies

    /// Sends `reply` back along the current envelope.
    func sendReply(_ reply: UnsafeRawBufferPointer) {
        sendReply(reply, frames: envelopeCount) { i in
            UnsafeRawBufferPointer(start: envelope.baseAddress! + i * Self.maximumEnvelopeFrameBytes, count: envelopeLengths[i])
        }
    }

    /// Sends `reply` along `frames` envelope frames.
    func sendReply(_ reply: UnsafeRawBufferPointer, frames: Int, frame: (Int) -> UnsafeRawBufferPointer) {
        for i in 0..<frames {
            // A ROUTER drops messages to vanished peers; a failed send is not the robot's error.
            guard (try? router.send(frame(i), more: true, dontWait: true)) != nil else { return }
        }
        if (try? router.send(reply, dontWait: true)) != nil { statistics.replies += 1 }
    }

    /// Sends an `error` reply, naming the session and sequence when the message carried them.
    func sendError(_ error: BridgeError, about bytes: UnsafeRawBufferPointer, session: UInt64? = nil) {
        var session = session, sequence: UInt64?
        if DataFrame.hasMagic(bytes) && bytes.count >= 24 {
            session = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            sequence = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        }
        statistics.errors[error.code, default: 0] += 1
        let message = ErrorMessage(code: error.code, message: error.description, session: session, sequence: sequence)
        message.jsonBytes().withUnsafeBytes { sendReply($0) }
    }

    /// Copies the current envelope into `slot`.
    func copyEnvelope(into slot: RequestSlot) {
        slot.envelope.baseAddress!.copyMemory(from: envelope.baseAddress!, byteCount: envelopeCount * Self.maximumEnvelopeFrameBytes)
        for i in 0..<envelopeCount { slot.envelopeLengths[i] = envelopeLengths[i] }
        slot.envelopeCount = envelopeCount
    }

    /// Sends the replies the workers have finished, in each session's order, with their telemetry.
    func sendCompletedReplies() {
        while let (session, slot) = scheduler.nextCompleted() {
            count(slot.modelEvent)
            if case .close = slot.request {
                // The server's own request: nothing to send.
                closing[session.id] = nil
            } else if case .save = slot.request {
                // The server's own request: nothing to send.
            } else if let json = slot.jsonReply {
                json.withUnsafeBytes { bytes in sendReply(bytes, frames: slot.envelopeCount, frame: slot.envelopeFrame) }
            } else {
                sendReply(UnsafeRawBufferPointer(rebasing: slot.reply[0..<slot.replyLength]), frames: slot.envelopeCount,
                          frame: slot.envelopeFrame)
            }
            if let code = slot.errorCode { statistics.errors[code, default: 0] += 1 }
            if slot.answeredStep {
                statistics.steps += 1
                publishTelemetry(slot, of: session)
            }
            switch slot.request {
            case .open:
                if slot.errorCode == nil {
                    statistics.sessionsCreated += 1
                    log("session \(session.id) opened for \(session.robot): observation \(session.observationSpace.dimension), action \(session.actionSpace.dimension), peer \(session.peer)")
                } else {
                    remove(session)
                }
            case .bye where slot.errorCode == nil:
                if sessions[session.id] === session {
                    statistics.sessionsClosed += 1
                    log("session \(session.id) (\(session.robot)) closed by bye")
                }
                remove(session)
            default: break
            }
            let saveDue = slot.modelSaveDue
            slot.request = .step
            scheduler.release(session)
            if saveDue { queuePeriodicSave(session) }
        }
    }

    /// Publishes one step on the telemetry socket as three frames: the observation (a telemetry
    /// frame carrying the robot's timestamp, iterations and free energy), the action frame sent
    /// to the robot, and the agent's beliefs (a telemetry frame, possibly empty). Before the
    /// session's first step, and then every second's worth of steps at its control period, the
    /// session's telemetry layout goes first (one JSON frame: the names and sizes of the beliefs
    /// frame's fields), so that a subscriber that joins late learns it too.
    func publishTelemetry(_ slot: RequestSlot, of session: Session) {
        guard let publisher, slot.telemetryObservationLength > 0 else { return }
        if !session.telemetryLayout.isEmpty {
            if session.telemetryStepsUntilLayout == 0 {
                session.telemetryLayout.withUnsafeBytes { _ = try? publisher.send($0, dontWait: true) }
                session.telemetryStepsUntilLayout = session.telemetryLayoutInterval
            }
            session.telemetryStepsUntilLayout -= 1
        }
        let frames = UnsafeRawBufferPointer(slot.telemetry)
        _ = try? publisher.send(UnsafeRawBufferPointer(rebasing: frames[0..<slot.telemetryObservationLength]), more: true, dontWait: true)
        _ = try? publisher.send(UnsafeRawBufferPointer(rebasing: slot.reply[0..<slot.replyLength]), more: true, dontWait: true)
        let end = slot.telemetryObservationLength + slot.telemetryBeliefsLength
        _ = try? publisher.send(UnsafeRawBufferPointer(rebasing: frames[slot.telemetryObservationLength..<end]), dontWait: true)
    }
}
