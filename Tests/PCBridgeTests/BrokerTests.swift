import Foundation
import Testing
import PCWire
@testable import PCBridge

@Suite struct BrokerTests {
    /// Two workers behind the broker serve 16 robots; stopping one loses only its own sessions,
    /// whose robots say hello again through the broker and land on the survivor.
    @Test func killingOneWorkerLosesOnlyItsSessions() throws {
        let broker = try BridgeBroker(frontend: uniqueIPCEndpoint("front"), backend: uniqueIPCEndpoint("back"))
        broker.start()
        defer { broker.stop() }
        let workers = try (0..<2).map { _ in
            try BridgeServer(configuration: BridgeServerConfiguration(bind: [uniqueIPCEndpoint("worker")],
                                                                      connect: [broker.backendEndpoint]),
                             factory: ReferenceAgentFactory())
        }
        for w in workers { w.start() }
        defer { for w in workers { w.stop() } }
        // Both workers must be connected before hellos are spread.
        Thread.sleep(forTimeInterval: 0.2)

        let robots = try (0..<16).map { _ in
            try BridgeClient(endpoint: broker.frontendEndpoint, options: .init(timeoutMilliseconds: 150, retries: 0))
        }
        for r in robots {
            let welcome = try r.hello(linearHello())
            #expect(welcome.endpoint == r.endpoint)
        }
        let byWorker = Dictionary(grouping: robots.indices) { robots[$0].endpoint }
        #expect(byWorker.count == 2 && byWorker.values.allSatisfy { $0.count == 8 }, "\(byWorker.mapValues(\.count))")
        for r in robots { #expect(abs(try r.step([0.5, 0, 0])[0] - 0.25) < 1e-12) }

        workers[0].stop()
        let dead = workers[0].endpoints[0]
        for r in robots {
            if r.endpoint == dead {
                #expect(throws: BridgeError.self) { _ = try r.step([0.5, 0, 0]) }
                let welcome = try r.hello(linearHello())
                #expect(welcome.endpoint == workers[1].endpoints[0])
            }
            #expect(abs(try r.step([0.5, 0, 0])[0] - 0.25) < 1e-12)
        }
        workers[1].stop()
        // The survivor's original 8 sessions kept going, and it took over the other 8.
        #expect(workers[1].statistics.sessionsCreated == 16 && workers[1].statistics.totalErrors == 0)
    }
}
