import Foundation
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
