import Foundation
import PCAgents
import PCWire
@testable import PCBridge

/// A unique ipc:// endpoint under /tmp for one test.
func uniqueIPCEndpoint(_ tag: String = "t") -> String {
    "ipc:///tmp/pckit-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
}

/// Pendulum-like spaces: observation (cos θ, sin θ, θ̇) ∈ [−1,1]²×[−8,8], action ∈ [−2, 2].
let pendulumObservationSpace = WireSpace(low: [-1, -1, -8], high: [1, 1, 8])
let pendulumActionSpace = WireSpace(low: [-2], high: [2])

/// A linear agent's hello with gain K = [[1, 2, 3]], target r = (0.5, 0, 0), bias b = 0.25.
func linearHello(robot: String = "test-robot", scalar: ScalarType = .float64) -> Hello {
    Hello(robot: robot, observationSpace: pendulumObservationSpace, actionSpace: pendulumActionSpace,
          controlPeriod: 0.01, scalar: scalar,
          agent: .object(["type": .string("linear"),
                          "gain": .array([.array([.number(1), .number(2), .number(3)])]),
                          "target": .array([.number(0.5), .number(0), .number(0)]),
                          "bias": .array([.number(0.25)])]))
}

/// The action the linear test agent must return, clipped to [−2, 2].
func expectedLinearAction(_ y: [Double]) -> Double {
    min(max(0.25 - (1 * (y[0] - 0.5) + 2 * y[1] + 3 * y[2]), -2), 2)
}

/// Starts a server on a fresh ipc endpoint with the reference agents.
func startServer(idleTimeout: Double = 10, telemetry: Bool = false, curveSecretKey: String? = nil,
                 maximumSessions: Int = 1024) throws -> BridgeServer {
    let server = try BridgeServer(
        configuration: BridgeServerConfiguration(bind: [uniqueIPCEndpoint("srv")],
                                                 telemetry: telemetry ? uniqueIPCEndpoint("tel") : nil,
                                                 idleTimeout: idleTimeout, maximumSessions: maximumSessions,
                                                 curveSecretKey: curveSecretKey),
        factory: ReferenceAgentFactory())
    server.start()
    return server
}

/// A remote error's code, or nil when `body` did not throw a remote error.
func remoteCode(_ body: () throws -> Void) -> ErrorCode? {
    do { try body() } catch let BridgeError.remote(message) { return message.code } catch { return nil }
    return nil
}

/// Drives a ``ServerCore`` on the calling thread, without sockets or worker threads: the request
/// goes through the socket thread's checks and queue, one worker's answer, and the completion
/// queue, exactly as served, so allocation counts on this thread cover the whole path.
extension ServerCore {
    /// Sets the current envelope to `[identity, ""]`, as a REQ or DEALER client's.
    func useEnvelope(identity: [UInt8]) {
        envelope.baseAddress!.copyMemory(from: identity, byteCount: identity.count)
        envelopeLengths[0] = identity.count
        envelopeLengths[1] = 0
        envelopeCount = 2
        userIDLength = 0
    }

    /// Handles one request and returns the summed length of the replies it produced (allocates nothing).
    func serveSynchronously(_ request: UnsafeRawBufferPointer) -> Int {
        answer(request, length: request.count)
        while scheduler.runNext(wait: false) {}
        var bytes = 0
        while let (session, slot) = scheduler.nextCompleted() {
            bytes += slot.jsonReply?.count ?? slot.replyLength
            scheduler.release(session)
        }
        return bytes
    }

    /// Handles one control message and returns the JSON replies the workers produced.
    func serveSynchronously(_ message: ControlMessage) -> [ControlMessage] {
        message.encoded().withUnsafeBytes { answer($0, length: $0.count) }
        while scheduler.runNext(wait: false) {}
        var replies: [ControlMessage] = []
        while let (session, slot) = scheduler.nextCompleted() {
            if let json = slot.jsonReply, let reply = try? ControlMessage.decode(Data(json)) { replies.append(reply) }
            if case .open = slot.request, slot.errorCode != nil { remove(session) }
            scheduler.release(session)
        }
        return replies
    }
}

/// Serves `base`'s agents without compute deadlines: a test comparing a served agent bit for bit
/// with the same agent in process must not see a step cut short because the machine was busy (the
/// deadline itself is tested elsewhere). Everything else is forwarded.
struct NoDeadlineFactory: BridgeAgentFactory {
    let base: any BridgeAgentFactory

    func makeAgent(for request: SessionRequest) throws -> any BridgeAgent {
        NoDeadlineAgent(try base.makeAgent(for: request))
    }

    func estimatedMemoryBytes(for request: SessionRequest) throws -> Int? { try base.estimatedMemoryBytes(for: request) }
}

final class NoDeadlineAgent: BridgeAgent {
    let base: any BridgeAgent
    init(_ base: any BridgeAgent) { self.base = base }
    func reset(seed: UInt64) throws { try base.reset(seed: seed) }
    func step(observation: UnsafeBufferPointer<Double>, action: UnsafeMutableBufferPointer<Double>) -> StepDiagnostics {
        base.step(observation: observation, action: action)
    }
    var beliefDimension: Int { base.beliefDimension }
    func writeBeliefs(into beliefs: UnsafeMutableBufferPointer<Double>) { base.writeBeliefs(into: beliefs) }
    func setComputeDeadline(_ monotonicSeconds: Double?) {}
    var learnsModel: Bool { base.learnsModel }
    func learnedModel(includeMemory: Bool) throws -> [UInt8] { try base.learnedModel(includeMemory: includeMemory) }
    func restoreLearnedModel(_ bytes: [UInt8]) throws { try base.restoreLearnedModel(bytes) }
    var learnedModelVersion: Int? { base.learnedModelVersion }
}
