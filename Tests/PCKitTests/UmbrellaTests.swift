import Testing
import PCKit
import _PCAllocationCounter

/// `import PCKit` alone reaches every public module, and the bridge's agent on a built-in plant is
/// the same agent `pcctl run` uses.
@Suite struct UmbrellaTests {
    /// One type from each module, through `import PCKit` only.
    @Test func everyPublicModuleIsReExported() throws {
        // PCNumerics: a 2×2 product.
        let product = try Matrix<Double>([[1, 2], [3, 4]]).multiplied(by: try Matrix<Double>.identity(2))
        #expect(product[1, 0] == 3)
        // PCCore: a 2-3-1 predictive-coding network.
        var rng = Xoshiro256(seed: 1)
        let network = try PCNetwork<Double>(sizes: [2, 3, 1], activation: .tanh, using: &rng)
        #expect(network.sizes == [2, 3, 1] && network.depth == 2)
        // PCEnvironment + PCSims: Gymnasium's Pendulum-v1 spaces.
        let pendulum = Pendulum()
        let torques = try BoxSpace(dimension: 1, low: -2, high: 2)
        #expect(pendulum.observationSpace.dimension == 3 && pendulum.actionSpace == torques)
        // PCAgents: the swing-up preset.
        #expect(PredictiveControllerOptions.pendulumSwingUp.horizon == 20)
        // PCWire: a step frame round trip.
        let header = DataFrameHeader(kind: .step, flags: .float64, session: 1, sequence: 2, timestampNanoseconds: 0, count: 3)
        var frame = [UInt8](repeating: 0, count: header.frameBytes)
        let values = [0.5, -0.25, 8.0]
        frame.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
        var decoded = [0.0, 0.0, 0.0]
        try frame.withUnsafeBytes { b in
            let h = try DataFrame.decodeHeader(b)
            try decoded.withUnsafeMutableBufferPointer { try DataFrame.decodeValues(b, header: h, into: $0) }
        }
        #expect(decoded == values)
        // PCBridge (+ the umbrella's catalog): the built-in factory serves every simulator task.
        #expect(PCAgentFactory.builtIn.models.keys.sorted() == ["acrobot-continuous", "cartpole-swingup", "inverted-pendulum", "mountaincar", "pendulum", "reacher"])
        #expect(WireSpace(pendulum.observationSpace).dimension == 3)
    }

    /// The served agent (factory → AgentAdapter) and PredictiveController run directly give the
    /// same return on Gymnasium's initial state of seed 0, bit for bit; the adapter's steps after
    /// the first allocate nothing.
    @Test func builtInPendulumAgentIsThePredictiveController() throws {
        let request = SessionRequest(robot: "test", observationSpace: Pendulum().observationSpace,
                                     actionSpace: Pendulum().actionSpace, controlPeriod: 0.05,
                                     agentConfiguration: ["agent": "predictiveController", "task": "pendulum"])
        let served = try PCAgentFactory.builtIn.makeAgent(for: request)
        var direct = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium),
                                              options: .pendulumSwingUp)
        var environments = (Pendulum(), Pendulum())
        var observations = (try environments.0.reset(state: GymnasiumInitialStates.pendulum[0]),
                            try environments.1.reset(state: GymnasiumInitialStates.pendulum[0]))
        try served.reset(seed: 0)
        direct.reset(seed: 0)
        var returns = (0.0, 0.0)
        var servedAction = [0.0], directAction = [0.0]
        var allocations: UInt64 = 0
        for t in 0..<Pendulum.episodeSteps {
            let before = pck_thread_allocation_count()
            observations.0.withUnsafeBufferPointer { o in
                servedAction.withUnsafeMutableBufferPointer { a in _ = served.step(observation: o, action: a) }
            }
            if t > 0 { allocations += pck_thread_allocation_count() - before }
            _ = direct.step(observations.1, action: &directAction)
            returns.0 += try environments.0.step(servedAction, observation: &observations.0).reward
            returns.1 += try environments.1.step(directAction, observation: &observations.1).reward
        }
        #expect(returns.0 == returns.1)
        #expect(returns.0 > -200, "seed 0 swings up (in-process return \(returns.1))")
        #expect(pck_allocation_counter_active() != 0 && allocations == 0, "\(allocations) allocations in the adapter's steps")
    }

    @Test func wrongObservationSpaceIsRejected() throws {
        let request = SessionRequest(robot: "test", observationSpace: try BoxSpace(dimension: 4, low: -1, high: 1),
                                     actionSpace: Pendulum().actionSpace, controlPeriod: 0.05,
                                     agentConfiguration: ["agent": "predictiveController", "task": "pendulum"])
        #expect(throws: AgentRequestError.observationDimension(expected: 3, got: 4)) {
            _ = try PCAgentFactory.builtIn.makeAgent(for: request)
        }
    }
}
