import PCWire

extension ServerCore {
    /// Answers a binary frame: a step (the hot path) or a heartbeat.
    func answerDataFrame(_ bytes: UnsafeRawBufferPointer) {
        do {
            let reply = try dataReply(bytes)
            sendReply(reply)
        } catch {
            sendError(error, about: bytes)
        }
    }

    /// The reply to a data frame; allocates nothing for steps and heartbeats of known sessions.
    func dataReply(_ bytes: UnsafeRawBufferPointer) throws(BridgeError) -> UnsafeRawBufferPointer {
        let header: DataFrameHeader
        do { header = try DataFrame.decodeHeader(bytes) } catch { throw .wire(error) }
        let now = monotonicNanoseconds()
        switch header.kind {
        case .step:
            guard let session = sessions[header.session] else { throw .unknownSession(header.session) }
            let reply = try session.step(frame: bytes, header: header, now: now)
            statistics.steps += 1
            if publisher != nil { publishTelemetry(session: session, step: header, action: reply) }
            return reply
        case .heartbeat:
            // Session 0 is a bare ping; any other id must name a live session.
            if header.session != 0 {
                guard let session = sessions[header.session] else { throw .unknownSession(header.session) }
                session.lastActivity = now
            }
            let out = DataFrameHeader(kind: .heartbeat, session: header.session, sequence: header.sequence,
                                      timestampNanoseconds: wallClockNanoseconds(), count: 0)
            let n = DataFrame.encode(out, values: UnsafeBufferPointer(start: nil, count: 0), into: scratch)
            return UnsafeRawBufferPointer(rebasing: scratch[0..<n])
        default:
            throw .wire(.unexpectedKind(header.kind))
        }
    }

    /// Publishes one step on the telemetry socket as three frames: the observation (a telemetry
    /// frame carrying the robot's timestamp, iterations and free energy), the action frame sent
    /// to the robot, and the agent's beliefs (a telemetry frame, possibly empty).
    func publishTelemetry(session: Session, step: DataFrameHeader, action: UnsafeRawBufferPointer) {
        guard let publisher else { return }
        var flags: DataFrameFlags = .float64
        if session.lastDiagnostics.converged { flags.insert(.converged) }
        if session.lastDiagnostics.warning { flags.insert(.warning) }
        var header = DataFrameHeader(kind: .telemetry, flags: flags, session: session.id, sequence: step.sequence,
                                     timestampNanoseconds: step.timestampNanoseconds, count: session.observation.count,
                                     iterations: session.lastDiagnostics.iterations,
                                     freeEnergy: session.lastDiagnostics.freeEnergy)
        var n = DataFrame.encode(header, values: UnsafeBufferPointer(session.observation), into: scratch)
        _ = try? publisher.send(UnsafeRawBufferPointer(rebasing: scratch[0..<n]), more: true, dontWait: true)
        _ = try? publisher.send(action, more: true, dontWait: true)
        let beliefs = UnsafeMutableBufferPointer(rebasing: telemetryValues[0..<session.beliefs.count])
        session.agent.writeBeliefs(into: beliefs)
        header.count = beliefs.count
        n = DataFrame.encode(header, values: UnsafeBufferPointer(beliefs), into: scratch)
        _ = try? publisher.send(UnsafeRawBufferPointer(rebasing: scratch[0..<n]), dontWait: true)
    }
}
