import Foundation
import PCEnvironment
import PCWire

extension ServerCore {
    /// Answers a JSON control message: hello, reset or bye.
    func answerControl(_ bytes: UnsafeRawBufferPointer) {
        let message: ControlMessage
        do { message = try ControlMessage.decode(Data(bytes)) } catch {
            sendError(.wire(error), about: bytes)
            return
        }
        do throws(BridgeError) {
            let reply: ControlMessage
            switch message {
            case let .hello(hello): reply = try open(hello)
            case let .reset(reset): reply = try self.reset(reset)
            case let .bye(bye):
                guard let session = sessions.removeValue(forKey: bye.session) else { throw BridgeError.unknownSession(bye.session) }
                statistics.sessionsClosed += 1
                log("session \(bye.session) (\(session.robot)) closed by bye after \(session.steps) steps")
                reply = message
            case .welcome: throw BridgeError.wire(.unexpectedKind(.welcome))
            case .error: throw BridgeError.wire(.unexpectedKind(.error))
            }
            reply.encoded().withUnsafeBytes { sendReply($0) }
        } catch {
            sendError(error, about: bytes, session: message.session)
        }
    }

    /// Opens a session for a hello: validates it, asks the factory for an agent, answers welcome.
    func open(_ hello: Hello) throws(BridgeError) -> ControlMessage {
        var warnings: [String] = []
        do {
            if let warning = try hello.validate() { warnings.append(warning) }
        } catch { throw .wire(error) }
        guard sessions.count < configuration.maximumSessions else { throw .serverFull(limit: configuration.maximumSessions) }
        let observationSpace: BoxSpace, actionSpace: BoxSpace
        do {
            observationSpace = try BoxSpace(low: hello.observationSpace.low.map { $0 ?? -.infinity },
                                            high: hello.observationSpace.high.map { $0 ?? .infinity })
            actionSpace = try BoxSpace(low: hello.actionSpace.low.map { $0 ?? -.infinity },
                                       high: hello.actionSpace.high.map { $0 ?? .infinity })
        } catch { throw .wire(.invalidMessage("\(error)")) }
        let request = SessionRequest(robot: hello.robot, observationSpace: observationSpace, actionSpace: actionSpace,
                                     controlPeriod: hello.controlPeriod, agentConfiguration: hello.agent)
        let agent: any BridgeAgent
        do { agent = try factory.makeAgent(for: request) } catch { throw .agentRejected("\(error)") }
        var id: UInt64
        // 53-bit ids stay exact in every JSON implementation; 0 is the bare-ping session.
        repeat { id = UInt64.random(in: 1...(1 << 53 - 1)) } while sessions[id] != nil
        sessions[id] = Session(id: id, robot: hello.robot, observationSpace: observationSpace, actionSpace: actionSpace,
                               scalar: hello.scalar, agent: agent, now: monotonicNanoseconds())
        statistics.sessionsCreated += 1
        statistics.activeSessions = sessions.count
        log("session \(id) opened for \(hello.robot): observation \(observationSpace.dimension), action \(actionSpace.dimension), period \(hello.controlPeriod) s")
        return .welcome(Welcome(session: id, observationDimension: observationSpace.dimension,
                                actionDimension: actionSpace.dimension, heartbeatInterval: configuration.heartbeatInterval,
                                idleTimeout: configuration.idleTimeout, warnings: warnings,
                                endpoint: configuration.advertisedEndpoint))
    }

    /// Resets a session's agent and forgets its sequence numbers (a new episode may restart them).
    func reset(_ reset: Reset) throws(BridgeError) -> ControlMessage {
        guard let session = sessions[reset.session] else { throw .unknownSession(reset.session) }
        session.lastActivity = monotonicNanoseconds()
        do { try session.agent.reset(seed: reset.seed) } catch { throw .agentFailure("\(error)") }
        session.lastSequence = nil
        session.replyLength = 0
        return .reset(reset)
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
