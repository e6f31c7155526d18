import Foundation
import PCEnvironment
import PCWire

extension ServerCore {
    /// Answers a JSON control message: a hello opens a session and queues its agent's
    /// construction; a reset or bye is queued behind the session's earlier requests.
    func answerControl(_ bytes: UnsafeRawBufferPointer) {
        let message: ControlMessage
        do { message = try ControlMessage.decode(Data(bytes)) } catch {
            sendError(.wire(error), about: bytes)
            return
        }
        do throws(BridgeError) {
            switch message {
            case let .hello(hello): try open(hello)
            case let .reset(reset): try queue(.reset(reset), for: reset.session)
            case let .bye(bye): try queue(.bye(bye), for: bye.session)
            case .welcome: throw BridgeError.wire(.unexpectedKind(.welcome))
            case .error: throw BridgeError.wire(.unexpectedKind(.error))
            }
        } catch {
            sendError(error, about: bytes, session: message.session)
        }
    }

    /// Queues a reset or bye behind the session's earlier requests.
    func queue(_ request: RequestSlot.Request, for id: UInt64) throws(BridgeError) {
        let session = try ownedSession(id)
        guard let slot = scheduler.freeSlot(of: session) else { throw .sessionBusy(session: id, limit: session.slots.count) }
        let now = monotonicNanoseconds()
        session.lastActivity = now
        session.lastStepOrReset = now
        if case .reset = request { session.lastQueuedSequence = nil }
        slot.clearReply()
        slot.request = request
        slot.received = now
        slot.payloadLength = 0
        copyEnvelope(into: slot)
        scheduler.submit(session)
    }

    /// Opens a session for a hello: validates it, checks the server's, the peer's and the memory
    /// limits, and queues the agent's construction on a worker (which answers welcome or error).
    func open(_ hello: Hello) throws(BridgeError) {
        var warnings: [String] = []
        do {
            if let warning = try hello.validate() { warnings.append(warning) }
        } catch { throw .wire(error) }
        guard sessions.count < configuration.maximumSessions else { throw .serverFull(limit: configuration.maximumSessions) }
        let peer = currentPeer
        guard sessionsPerPeer[peer, default: 0] < configuration.maximumSessionsPerPeer else {
            throw .peerLimit(peer: peer, limit: configuration.maximumSessionsPerPeer)
        }
        let observationSpace: BoxSpace, actionSpace: BoxSpace
        do {
            observationSpace = try BoxSpace(low: hello.observationSpace.low.map { $0 ?? -.infinity },
                                            high: hello.observationSpace.high.map { $0 ?? .infinity })
            actionSpace = try BoxSpace(low: hello.actionSpace.low.map { $0 ?? -.infinity },
                                       high: hello.actionSpace.high.map { $0 ?? .infinity })
        } catch { throw .wire(.invalidMessage("\(error)")) }
        let request = SessionRequest(robot: hello.robot, observationSpace: observationSpace, actionSpace: actionSpace,
                                     controlPeriod: hello.controlPeriod, agentConfiguration: hello.agent)

        // Memory: the agent's estimate (options beyond their maxima are refused here, before
        // anything is built) plus the session's own buffers, against both budgets.
        let agentBytes: Int
        do { agentBytes = try factory.estimatedMemoryBytes(for: request) ?? 0 } catch { throw .agentRejected("\(error)") }
        let slotBytes = BridgeServerConfiguration.maximumQueuedRequests
            * RequestSlot.bytes(observationDimension: observationSpace.dimension, actionDimension: actionSpace.dimension)
        let needed = agentBytes + slotBytes + 16 * (observationSpace.dimension + actionSpace.dimension) + 4096
        guard needed <= configuration.sessionMemoryBudget else {
            throw .memoryBudget(needed: needed, budget: configuration.sessionMemoryBudget, scope: "per-session")
        }
        guard memoryInUse + needed <= configuration.serverMemoryBudget else {
            throw .memoryBudget(needed: needed, budget: configuration.serverMemoryBudget - memoryInUse, scope: "server's remaining")
        }

        var id: UInt64
        // Ids from the system's cryptographic generator, below 2^53 (exact in every JSON
        // implementation); 0 is the bare-ping session.
        var generator = SystemRandomNumberGenerator()
        repeat { id = UInt64.random(in: 1...WireLimits.maximumSessionID, using: &generator) } while sessions[id] != nil
        let actionValidity = hello.actionValidity ?? 3 * hello.controlPeriod
        let computeDeadline = min(configuration.computeFraction * hello.controlPeriod, configuration.maximumComputeDeadline)
        let now = monotonicNanoseconds()
        let session = Session(.init(id: id, robot: hello.robot, observationSpace: observationSpace, actionSpace: actionSpace,
                                    scalar: hello.scalar, actionValidity: actionValidity, computeDeadline: computeDeadline,
                                    ownerIdentity: Array(clientIdentity), ownerKey: Array(clientKey), peer: peer,
                                    memoryBytes: needed, refuseOutOfBounds: configuration.refuseOutOfBounds), now: now)
        sessions[id] = session
        sessionsPerPeer[peer, default: 0] += 1
        memoryInUse += needed
        statistics.activeSessions = sessions.count
        guard let slot = scheduler.freeSlot(of: session) else { preconditionFailure("a new session has free slots") }
        slot.clearReply()
        slot.request = .open(request, warnings: warnings)
        slot.received = now
        copyEnvelope(into: slot)
        scheduler.submit(session)
    }
}

extension ControlMessage {
    /// The session a control message names, if any.
    var session: UInt64? {
        switch self {
        case let .reset(m): m.session
        case let .bye(m): m.session
        case let .welcome(m): m.session
        case let .error(m): m.session
        case .hello: nil
        }
    }
}
