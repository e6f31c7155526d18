import Testing
import PCKit
import PCKitC
import _PCAllocationCounter

/// The C ABI called from Swift (the same entry points C calls): its step allocates nothing once
/// the agent is warm, and it is the bridge's agent, step for step.
@Suite struct CABITests {
    static let pendulum = """
        {"observationSpace": {"low": [-1, -1, -8], "high": [1, 1, 8]}, "actionSpace": {"low": [-2], "high": [2]},
         "controlPeriod": 0.05, "agent": {"agent": "predictiveController", "task": "pendulum"}}
        """

    static func create(_ json: String) throws -> OpaquePointer {
        var agent: OpaquePointer?
        let status = json.withCString { pckit_agent_create($0, &agent) }
        guard status == 0, let agent else { throw CABIFailure(message: String(cString: pckit_thread_error())) }
        return agent
    }

    struct CABIFailure: Error { var message: String }

    /// 200 steps of Gymnasium's pendulum through `pckit_agent_step`: no allocation after the first
    /// step, and the same return as the factory's agent stepped directly.
    @Test func pendulumStepAllocatesNothingAndIsTheBridgeAgent() throws {
        let agent = try Self.create(Self.pendulum)
        defer { _ = pckit_agent_destroy(agent) }
        let request = SessionRequest(robot: "test", observationSpace: Pendulum().observationSpace,
                                     actionSpace: Pendulum().actionSpace, controlPeriod: 0.05,
                                     agentConfiguration: ["agent": "predictiveController", "task": "pendulum"])
        let direct = try PCAgentFactory.builtIn.makeAgent(for: request)
        var environments = (Pendulum(), Pendulum())
        var observations = (try environments.0.reset(state: GymnasiumInitialStates.pendulum[4]),
                            try environments.1.reset(state: GymnasiumInitialStates.pendulum[4]))
        #expect(pckit_agent_reset(agent, 4) == 0)
        try direct.reset(seed: 4)
        var actions = ([0.0], [0.0])
        var diagnostics = [UInt8](repeating: 0xFF, count: 24)
        var returns = (0.0, 0.0)
        var allocations: UInt64 = 0
        for t in 0..<Pendulum.episodeSteps {
            let before = pck_thread_allocation_count()
            let status = observations.0.withUnsafeBufferPointer { o in
                actions.0.withUnsafeMutableBufferPointer { a in
                    diagnostics.withUnsafeMutableBytes { d in pckit_agent_step(agent, o.baseAddress, 3, a.baseAddress, 1, d.baseAddress) }
                }
            }
            if t > 0 { allocations += pck_thread_allocation_count() - before }
            #expect(status == 0)
            observations.1.withUnsafeBufferPointer { o in
                actions.1.withUnsafeMutableBufferPointer { a in _ = direct.step(observation: o, action: a) }
            }
            actions.1[0] = min(max(actions.1[0], -2), 2)
            returns.0 += try environments.0.step(actions.0, observation: &observations.0).reward
            returns.1 += try environments.1.step(actions.1, observation: &observations.1).reward
        }
        #expect(returns.0 == returns.1)
        #expect(pck_allocation_counter_active() != 0 && allocations == 0, "\(allocations) allocations in 199 C ABI steps")
        // The diagnostics layout: free energy, compute time, iterations, four flags.
        let freeEnergy = diagnostics.withUnsafeBytes { $0.load(fromByteOffset: 0, as: Double.self) }
        let computeTime = diagnostics.withUnsafeBytes { $0.load(fromByteOffset: 8, as: Double.self) }
        #expect(freeEnergy.isFinite && computeTime > 0 && computeTime < 1)
        #expect(diagnostics[20...23].allSatisfy { $0 <= 1 })
    }

    /// A refused step formats its message (and may allocate); the next good step allocates nothing again.
    @Test func goodStepsAfterRefusalsAllocateNothing() throws {
        let agent = try Self.create(Self.pendulum)
        defer { _ = pckit_agent_destroy(agent) }
        var observation = [0.5, 0.5, 0.0], action = [0.0]
        func step(_ n: UInt) -> Int32 {
            observation.withUnsafeBufferPointer { o in action.withUnsafeMutableBufferPointer { a in pckit_agent_step(agent, o.baseAddress, n, a.baseAddress, 1, nil) } }
        }
        #expect(step(3) == 0)
        #expect(step(2) == PCKitStatus.size.rawValue)
        #expect(String(cString: pckit_agent_last_error(agent)) == "pckit_agent_step: n is 2; this agent's observation has 3 values")
        var failed: Int32 = 0
        let before = pck_thread_allocation_count()
        for _ in 0..<10 { failed |= step(3) }
        let allocations = pck_thread_allocation_count() - before
        #expect(failed == 0 && allocations == 0, "\(allocations) allocations")
        #expect(String(cString: pckit_agent_last_error(agent)).isEmpty)
    }

    /// Every status has its header name, and the names are distinct.
    @Test func statusNames() {
        let names = PCKitStatus.allCases.map { String(cString: pckit_status_name($0.rawValue)) }
        #expect(Set(names).count == names.count && names.first == "PCKIT_OK")
        #expect(PCKitStatus.allCases.map(\.rawValue) == Array(0..<Int32(names.count)))
    }
}
