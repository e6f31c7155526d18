import Foundation
import PCEnvironment
import PCWire

/// The server's state and loop, confined to the server thread.
final class ServerCore: @unchecked Sendable {
    let configuration: BridgeServerConfiguration
    let factory: any BridgeAgentFactory
    let router: ZMQSocket
    let publisher: ZMQSocket?
    /// The ZAP handler admitting authorized CURVE clients, if configured.
    let authenticator: CurveAuthenticator?
    let pollSet: ZMQPollSet
    var sessions: [UInt64: Session] = [:]
    var statistics = BridgeStatistics()

    /// The routing envelope of the message being answered: up to `maximumEnvelopeFrames` frames.
    static let maximumEnvelopeFrames = 8
    static let maximumEnvelopeFrameBytes = 256
    let envelope: UnsafeMutableRawBufferPointer
    var envelopeLengths = [Int](repeating: 0, count: ServerCore.maximumEnvelopeFrames)
    var envelopeCount = 0
    /// The payload of the message being answered (one byte more than the limit, to see excess).
    let payload: UnsafeMutableRawBufferPointer
    /// Scratch for heartbeat replies and telemetry frames.
    let scratch: UnsafeMutableRawBufferPointer
    let telemetryValues: UnsafeMutableBufferPointer<Double>

    init(configuration: BridgeServerConfiguration, factory: any BridgeAgentFactory, router: ZMQSocket, publisher: ZMQSocket?,
         authenticator: CurveAuthenticator? = nil) {
        self.configuration = configuration
        self.factory = factory
        self.router = router
        self.publisher = publisher
        self.authenticator = authenticator
        pollSet = ZMQPollSet([router] + (authenticator.map { [$0.socket] } ?? []))
        envelope = .allocate(byteCount: Self.maximumEnvelopeFrames * Self.maximumEnvelopeFrameBytes, alignment: 8)
        payload = .allocate(byteCount: WireLimits.maximumMessageBytes + 1, alignment: 8)
        scratch = .allocate(byteCount: WireLimits.headerBytes + 8 * WireLimits.maximumValues, alignment: 8)
        telemetryValues = .allocate(capacity: WireLimits.maximumValues)
        telemetryValues.initialize(repeating: 0)
    }

    deinit {
        envelope.deallocate()
        payload.deallocate()
        scratch.deallocate()
        telemetryValues.deallocate()
    }

    func log(_ line: @autoclosure () -> String) { configuration.log?(line()) }

    /// Serves until `shouldStop` returns true; polls every 10 ms so a stop is prompt.
    func run(shouldStop: () -> Bool, publish: (BridgeStatistics) -> Void) {
        var lastSweep = monotonicNanoseconds()
        var published = statistics
        while !shouldStop() {
            if (try? pollSet.poll(milliseconds: 10)) ?? 0 > 0 {
                if let authenticator, pollSet.isReadable(1), let refusal = authenticator.answer() {
                    statistics.clientsRefused += 1
                    log(refusal)
                }
                // Drain what is queued, bounded so the stop flag and the sweep still run.
                var answered = 0
                while pollSet.isReadable(0) && answered < 1024 && receiveAndAnswer() { answered += 1 }
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
        publish(statistics)
        sessions.removeAll()
        // Disconnect at once, so a broker stops routing to this worker.
        router.close()
        publisher?.close()
        authenticator?.socket.close()
    }

    /// Drops sessions silent for longer than the idle timeout.
    func dropIdleSessions(now: UInt64) {
        let limit = UInt64(configuration.idleTimeout * 1e9)
        for (id, session) in sessions where now &- session.lastActivity > limit {
            sessions[id] = nil
            statistics.sessionsExpired += 1
            log("session \(id) (\(session.robot)) dropped after \(configuration.idleTimeout) s idle, \(session.steps) steps")
        }
        statistics.activeSessions = sessions.count
    }

    /// Receives one message (without waiting) and answers it.
    /// - Returns: false when nothing was queued.
    func receiveAndAnswer() -> Bool {
        envelopeCount = 0
        var overflow = false
        var received: ZMQSocket.Received
        // Envelope frames (identity, delimiter, broker hops) come first; the last frame is the payload.
        while true {
            do { received = try router.receive(into: payload, dontWait: true) } catch { return false }
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
        if received.length > WireLimits.maximumMessageBytes {
            sendError(.wire(.tooLarge(length: received.length, limit: WireLimits.maximumMessageBytes)), about: bytes)
        } else if DataFrame.hasMagic(bytes) {
            answerDataFrame(bytes)
        } else if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            answerControl(bytes)
        } else {
            // Neither plane: let the frame decoder name what is wrong (bad magic or too short).
            do { _ = try DataFrame.decodeHeader(bytes); sendError(.wire(.badMagic(found: 0)), about: bytes) } catch {
                sendError(.wire(error), about: bytes)
            }
        }
        return true
    }

    /// Sends `reply` back along the current envelope.
    func sendReply(_ reply: UnsafeRawBufferPointer) {
        for i in 0..<envelopeCount {
            let slot = UnsafeRawBufferPointer(start: envelope.baseAddress! + i * Self.maximumEnvelopeFrameBytes, count: envelopeLengths[i])
            // A ROUTER drops messages to vanished peers; a failed send is not the robot's error.
            guard (try? router.send(slot, more: true, dontWait: true)) != nil else { return }
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
}
