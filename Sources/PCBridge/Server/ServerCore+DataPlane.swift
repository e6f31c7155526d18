import PCWire

extension ServerCore {
    /// Answers a binary frame: queues a step (the hot path) for its session's worker, or answers
    /// a heartbeat here.
    func answerDataFrame(_ bytes: UnsafeRawBufferPointer) {
        do throws(BridgeError) {
            let header: DataFrameHeader
            do { header = try DataFrame.decodeHeader(bytes) } catch { throw .wire(error) }
            let now = monotonicNanoseconds()
            switch header.kind {
            case .step:
                // Everything a step can be refused for is checked here, in arrival order, so a
                // worker only ever answers steps with an action (or the cached one, for a retry).
                let session = try ownedSession(header.session)
                guard header.count == session.observationSpace.dimension else {
                    throw .dimensionMismatch(expected: session.observationSpace.dimension, got: header.count)
                }
                try checkValues(bytes, header: header, session: session)
                if let last = session.lastQueuedSequence, header.sequence < last {
                    throw .outOfOrderSequence(received: header.sequence, last: last)
                }
                guard let slot = scheduler.freeSlot(of: session) else {
                    throw .sessionBusy(session: session.id, limit: session.slots.count)
                }
                session.lastQueuedSequence = header.sequence
                session.lastActivity = now
                session.lastStepOrReset = now
                slot.clearReply()
                slot.request = .step
                slot.received = now
                slot.payload.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                slot.payloadLength = bytes.count
                copyEnvelope(into: slot)
                scheduler.submit(session)
            case .heartbeat:
                // Session 0 is a bare ping; any other id must name a session of this client.
                if header.session != 0 { try ownedSession(header.session).lastActivity = now }
                // The reply echoes the robot's timestamp, so the robot can time the round trip.
                let out = DataFrameHeader(kind: .heartbeat, session: header.session, sequence: header.sequence,
                                          timestampNanoseconds: header.timestampNanoseconds, count: 0)
                let n = DataFrame.encode(out, values: UnsafeBufferPointer(start: nil, count: 0), into: scratch)
                sendReply(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            default:
                throw .wire(.unexpectedKind(header.kind))
            }
        } catch {
            sendError(error, about: bytes)
        }
    }
}

extension ServerCore {
    /// Refuses a step whose values are not finite (naming the first) or, when the session refuses
    /// them, outside the declared observation bounds; reads the frame in place.
    func checkValues(_ bytes: UnsafeRawBufferPointer, header: DataFrameHeader, session: Session) throws(BridgeError) {
        let wide = header.flags.contains(.float64)
        for i in 0..<header.count {
            let offset = WireLimits.headerBytes + i * header.scalarBytes
            let value = wide ? Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                : Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
            guard value.isFinite else { throw .wire(.nonFiniteValue(index: i, value: value)) }
            if session.refuseOutOfBounds && !session.observationSpace.contains(value, at: i) {
                throw .observationOutOfBounds(index: i, value: value, low: session.observationSpace.low[i],
                                              high: session.observationSpace.high[i])
            }
        }
    }
}

extension ServerCore {
    /// Answers one queued request of `session` on a worker thread: builds the agent, steps it,
    /// resets it or closes the session, and leaves the reply in `slot`.
    ///
    /// Touches only the session, the slot and immutable server settings, never the sockets.
    static func answer(_ slot: RequestSlot, of session: Session, configuration: BridgeServerConfiguration,
                       factory: any BridgeAgentFactory, telemetry: Bool) {
        do throws(BridgeError) {
            switch slot.request {
            case let .open(request, warnings):
                let agent: any BridgeAgent
                do { agent = try factory.makeAgent(for: request) } catch {
                    session.closed = true
                    throw .agentRejected("\(error)")
                }
                session.attach(agent, telemetry: telemetry, controlPeriod: request.controlPeriod)
                var warnings = warnings
                var resumedVersion: Int?
                if agent.learnsModel, let store = ModelStore(configuration) {
                    if let resumed = try resumeModel(of: session, request: request, agent: agent, store: store,
                                                     configuration: configuration) {
                        slot.modelEvent = .resumed(version: resumed.version)
                        warnings.append(resumed.note)
                        resumedVersion = resumed.version
                    }
                }
                if let directory = configuration.recordDirectory {
                    do {
                        session.recorder = try startRecording(session, request: request, agent: agent, resumedModelVersion: resumedVersion,
                                                              directory: directory)
                    } catch {
                        session.closed = true
                        throw .agentRejected("the server records every session, and this one cannot be recorded: \(error)")
                    }
                }
                let welcome = Welcome(session: session.id, observationDimension: session.observationSpace.dimension,
                                      actionDimension: session.actionSpace.dimension,
                                      heartbeatInterval: configuration.heartbeatInterval, idleTimeout: configuration.idleTimeout,
                                      warnings: warnings, endpoint: configuration.advertisedEndpoint)
                var reply = welcome
                reply.actionValidity = Double(session.actionValidity) / 1e9
                reply.computeDeadline = session.computeDeadline
                slot.jsonReply = Array(ControlMessage.welcome(reply).encoded())
            case .step:
                guard !session.closed else { throw .unknownSession(session.id) }
                let bytes = UnsafeRawBufferPointer(rebasing: slot.payload[0..<slot.payloadLength])
                let header: DataFrameHeader
                do { header = try DataFrame.decodeHeader(bytes) } catch { throw .wire(error) }
                let deadline = Double(slot.received) / 1e9 + session.computeDeadline
                let (reply, ran) = try session.step(frame: bytes, header: header, deadline: deadline)
                slot.reply.baseAddress!.copyMemory(from: reply.baseAddress!, byteCount: reply.count)
                slot.replyLength = reply.count
                slot.answeredStep = ran
                // A periodic save once the model grew by the interval (checked without allocating;
                // the save itself runs as the session's next request, after this reply).
                if let interval = configuration.modelSaveInterval, ran, session.modelFileName != nil,
                   let version = session.agent?.learnedModelVersion, version > session.lastRequestedSaveVersion,
                   version >= session.lastSavedModelVersion + interval {
                    session.lastRequestedSaveVersion = version
                    slot.modelSaveDue = true
                }
                if ran && telemetry { writeTelemetry(slot, session: session, step: header) }
            case let .reset(reset):
                guard !session.closed, let agent = session.agent else { throw .unknownSession(session.id) }
                do { try agent.reset(seed: reset.seed) } catch { throw .agentFailure("\(error)") }
                if let recorder = session.recorder {
                    // Steps before the first reset are episode 0; each reset starts the next episode.
                    if recorder.stepsRecorded > 0 && session.nextRecordedEpisode == 0 { session.nextRecordedEpisode = 1 }
                    recorder.beginEpisode(session.nextRecordedEpisode, seed: reset.seed)
                    session.nextRecordedEpisode += 1
                }
                session.lastSequence = nil
                session.cachedReplyLength = 0
                slot.jsonReply = Array(ControlMessage.reset(reset).encoded())
            case let .bye(bye):
                guard !session.closed else { throw .unknownSession(session.id) }
                session.closed = true
                if let store = ModelStore(configuration) {
                    slot.modelEvent = saveModel(of: session, store: store, why: "bye", log: configuration.log)
                }
                finishRecording(of: session, why: "bye", log: configuration.log)
                slot.jsonReply = Array(ControlMessage.bye(bye).encoded())
            case .save:
                if !session.closed, let store = ModelStore(configuration) {
                    slot.modelEvent = saveModel(of: session, store: store, why: "periodic save", final: false, log: configuration.log)
                }
            case let .close(reason):
                // The socket thread already dropped the session; only its model is left to save.
                session.closed = true
                if let store = ModelStore(configuration) {
                    slot.modelEvent = saveModel(of: session, store: store, why: reason, log: configuration.log)
                }
                finishRecording(of: session, why: reason, log: configuration.log)
            }
        } catch {
            var sequence: UInt64?
            if case .step = slot.request, slot.payloadLength >= 24 {
                sequence = UInt64(littleEndian: slot.payload.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            }
            slot.errorCode = error.code
            slot.jsonReply = Array(ErrorMessage(code: error.code, message: error.description, session: session.id,
                                                sequence: sequence).jsonBytes())
        }
    }

    /// Restores the robot's saved model into its new learning agent, if the model directory holds
    /// one for this robot and agent configuration (worker thread, at the hello).
    /// - Returns: the resumed model version and the welcome's note, or `nil` when there is no file.
    /// - Throws: ``BridgeError/savedModel(file:reason:)`` for a file that is too large, damaged, another
    ///   robot's or learned with other options (the session is then closed; the file is left as it is).
    static func resumeModel(of session: Session, request: SessionRequest, agent: any BridgeAgent, store: ModelStore,
                            configuration: BridgeServerConfiguration) throws(BridgeError) -> (version: Int, note: String)? {
        let fileName = BridgeServer.modelFileName(
            robot: request.robot, curveKey: session.ownerKey.isEmpty ? nil : String(decoding: session.ownerKey, as: UTF8.self),
            agentConfiguration: request.agentConfiguration)
        let bytes: [UInt8]?
        do throws(BridgeError) {
            bytes = try store.read(fileName)
            if let bytes {
                do { try agent.restoreLearnedModel(bytes) } catch { throw BridgeError.savedModel(file: fileName, reason: "\(error)") }
            }
        } catch {
            session.closed = true
            configuration.log?("session \(session.id) (\(session.robot)) refused: the saved model \(store.path(fileName)) cannot be restored: \(error)")
            throw error
        }
        session.modelFileName = fileName
        guard let bytes else { return nil }
        let version = agent.learnedModelVersion ?? 0
        configuration.log?("session \(session.id) (\(session.robot)) resumed model version \(version) from \(store.path(fileName)) (\(bytes.count) bytes)")
        return (version, "resumed model version \(version) from the saved model \(fileName): this robot controls at once without exploring; delete that file in the server's model directory to learn afresh")
    }

    /// Writes the session's learned model (with its transition memory) to the model directory, at
    /// most once per session. Runs on the session's worker (bye, timeout) or, once the workers
    /// have stopped, on the stopping server's thread.
    /// - Parameter final: the session ended (saved at most once); else a periodic save of a running session.
    static func saveModel(of session: Session, store: ModelStore, why: String, final: Bool = true,
                          log: (@Sendable (String) -> Void)?) -> RequestSlot.ModelEvent? {
        guard let fileName = session.modelFileName, let agent = session.agent, !session.modelSaveAttempted else { return nil }
        if final { session.modelSaveAttempted = true }
        let version = agent.learnedModelVersion ?? 0
        guard version > 0 else {
            log?("session \(session.id) (\(session.robot)) ended (\(why)) before its agent learned a model (still exploring): nothing saved")
            return .nothingToSave
        }
        do {
            let bytes = try agent.learnedModel(includeMemory: true)
            try store.write(bytes, to: fileName)
            session.lastSavedModelVersion = version
            log?("session \(session.id) (\(session.robot)) \(final ? "ended" : "running") (\(why)): saved model version \(version) to \(store.path(fileName)) (\(bytes.count) bytes)")
            return .saved(version: version)
        } catch {
            log?("session \(session.id) (\(session.robot)) \(final ? "ended" : "running") (\(why)): its model version \(version) was NOT saved: \(error)")
            return .saveFailed
        }
    }

    /// Encodes the step's telemetry frames into the slot: the observation (robot timestamp,
    /// iterations, free energy) and the agent's beliefs.
    static func writeTelemetry(_ slot: RequestSlot, session: Session, step: DataFrameHeader) {
        guard let agent = session.agent, slot.telemetry.count > 0 else { return }
        let diagnostics = session.lastDiagnostics
        var flags = diagnostics.flags
        flags.insert(.float64)
        var header = DataFrameHeader(kind: .telemetry, flags: flags, session: session.id, sequence: step.sequence,
                                     timestampNanoseconds: step.timestampNanoseconds, count: session.observation.count,
                                     iterations: diagnostics.iterations, freeEnergy: diagnostics.freeEnergy)
        let n = DataFrame.encode(header, values: UnsafeBufferPointer(session.observation), into: slot.telemetry)
        if session.telemetryUsesRecordedBeliefs {
            agent.writeRecordedBeliefs(into: session.beliefs)
        } else {
            agent.writeBeliefs(into: session.beliefs)
        }
        header.count = session.beliefs.count
        let rest = UnsafeMutableRawBufferPointer(rebasing: slot.telemetry[n...])
        let m = DataFrame.encode(header, values: UnsafeBufferPointer(session.beliefs), into: rest)
        slot.telemetryObservationLength = n
        slot.telemetryBeliefsLength = m
    }
}
