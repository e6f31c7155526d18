import Foundation
import Testing
import PCAgents
import PCEnvironment
import PCWire
import _PCAllocationCounter
import _PCTestSupport
@testable import PCBridge

/// x′ = (p + Δt v + ½Δt² u, v + Δt u): a plant PCBridge's tests can own (PCBridge knows no simulator).
struct DoubleIntegrator: LinearizableModel {
    let stateDimension = 2
    let actionDimension = 1
    let timeStep = 0.1

    func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                    next: UnsafeMutableBufferPointer<Double>) {
        next[0] = state[0] + timeStep * state[1] + 0.5 * timeStep * timeStep * action[0]
        next[1] = state[1] + timeStep * action[0]
    }

    func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                next: UnsafeBufferPointer<Double>) -> Double { -(state[0] * state[0]) }

    func linearize(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                   stateJacobian: UnsafeMutableBufferPointer<Double>, actionJacobian: UnsafeMutableBufferPointer<Double>) {
        stateJacobian[0] = 1; stateJacobian[1] = timeStep; stateJacobian[2] = 0; stateJacobian[3] = 1
        actionJacobian[0] = 0.5 * timeStep * timeStep; actionJacobian[1] = timeStep
    }
}

/// Drive (p, v) to the origin with |u| ≤ 5: observation = state.
let cartOptions: PredictiveControllerOptions = {
    var options = PredictiveControllerOptions(
        modelPrecision: [1e3, 1e3], goal: [0, 0], goalPrecision: [1, 0.1], controlPrior: [0], controlPrecision: [0.01],
        controlLower: [-5], controlUpper: [5], outcome: try! .identity(stateDimension: 2),
        observation: try! ObservationLayout(stateDimension: 2))
    options.mode = .shooting
    return options
}()

let cartFactory = PCAgentFactory(models: ["cart": PlantModel(predictiveControllerPreset: cartOptions) { DoubleIntegrator() },
                                          "bare": PlantModel { DoubleIntegrator() }])

func cartRequest(observations: Int = 2, actions: Int = 1, period: Double = 0.1,
                 agent: JSONValue = ["agent": "predictiveController", "task": "cart"]) throws -> SessionRequest {
    SessionRequest(robot: "cart", observationSpace: try BoxSpace(dimension: observations, low: -10, high: 10),
                   actionSpace: try BoxSpace(dimension: actions, low: -5, high: 5), controlPeriod: period,
                   agentConfiguration: agent)
}

func cartHello(scalar: ScalarType = .float64) -> Hello {
    Hello(robot: "cart", observationSpace: WireSpace(low: [-10, -10], high: [10, 10]), actionSpace: WireSpace(low: [-5], high: [5]),
          controlPeriod: 0.1, scalar: scalar, agent: ["agent": "predictiveController", "task": "cart"])
}

@Suite struct PCAgentFactoryTests {
    /// A typo'd or unknown key in a hello's agent object, at the top level, in the options block or
    /// in a reference controller's object, is refused by name with the closest known key; the
    /// memory estimate refuses it first, before anything is built.
    @Test func typoedKeysAreRefusedWithASuggestion() throws {
        func message(_ agent: JSONValue, factory: any BridgeAgentFactory = cartFactory) throws -> String {
            let request = try cartRequest(agent: agent)
            do { _ = try factory.estimatedMemoryBytes(for: request) } catch { return "\(error)" }
            return "accepted"
        }
        #expect(try message(["agent": "predictiveController", "task": "cart", "mass": 1.3]).contains("unknown key `mass`"))
        var block = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(cartOptions))
        if case var .object(fields) = block { fields["horizn"] = 5; block = .object(fields) }
        let typo = try message(["agent": "predictiveController", "task": "cart", "predictiveController": block])
        #expect(typo.contains("predictiveController.horizn") && typo.contains("did you mean `horizon`"), "\(typo)")
        let reference = #expect(throws: AgentConfigurationError.self) {
            _ = try ReferenceAgentFactory().makeAgent(for: try cartRequest(agent: ["type": "linear", "gian": [[1.0, 0.0]]]))
        }
        #expect("\(reference!)".contains("did you mean `gain`"))
        // A correct hello is estimated, and the estimate grows with the horizon.
        var long = cartOptions
        long.horizon = 400
        let longBlock = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(long))
        let short = try cartFactory.estimatedMemoryBytes(for: try cartRequest()) ?? 0
        let bigger = try cartFactory.estimatedMemoryBytes(for: try cartRequest(
            agent: ["agent": "predictiveController", "task": "cart", "predictiveController": longBlock])) ?? 0
        #expect(short > 0 && bigger > short)
    }

    /// A hello whose agent needs more than the per-session memory budget is refused with
    /// agentRejected naming the estimate and the budget, before its agent is built.
    @Test func sessionsAboveTheMemoryBudgetAreRefused() throws {
        var configuration = BridgeServerConfiguration(bind: [])
        configuration.sessionMemoryBudget = 1 << 20
        let context = try ZMQContext()
        let core = ServerCore(configuration: configuration, factory: cartFactory, router: try ZMQSocket(context: context, type: .router),
                              publisher: nil)
        core.useEnvelope(identity: Array("robot-identity-02".utf8))
        var large = cartOptions
        large.horizon = 1000
        large.proposal = .init(samples: 4096, noiseScale: [1], temperature: 0.1)
        var hello = cartHello()
        hello.agent = ["agent": "predictiveController", "task": "cart",
                       "predictiveController": try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(large))]
        // Refused on the socket thread: no worker ran, nothing was queued.
        #expect(core.serveSynchronously(.hello(hello)).isEmpty)
        #expect(core.sessions.isEmpty && core.statistics.errors[.agentRejected] == 1)
        #expect(core.serveSynchronously(.hello(cartHello())).first.map { if case .welcome = $0 { true } else { false } } == true)
    }
    /// Over a real server, the hosted controller's actions equal those of the same controller in
    /// process, bit for bit (float64 frames), and it brings the plant to rest at the origin.
    @Test func servedControllerMatchesInProcessAndRegulates() throws {
        // Served without a planning deadline (NoDeadlineFactory): under machine load the served
        // planner was cut at its deadline and its actions differed from the in-process controller's
        // for that reason alone (deadlines are tested by the hostile and timing suites).
        let server = try BridgeServer(configuration: BridgeServerConfiguration(bind: [uniqueIPCEndpoint("pcf")]),
                                      factory: NoDeadlineFactory(base: cartFactory))
        server.start()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        try client.hello(cartHello())
        try client.reset(seed: 1)
        var local = try PredictiveController(model: DoubleIntegrator(), options: cartOptions)
        local.reset(seed: 1)
        let plant = DoubleIntegrator()
        var state = [1.0, 0.0], localAction = [0.0], next = [0.0, 0.0]
        for _ in 0..<100 {
            let action = try client.step(state)
            _ = local.step(state, action: &localAction)
            #expect(action == localAction)
            #expect(client.lastAction?.freeEnergy.isFinite == true)
            state.withUnsafeBufferPointer { s in action.withUnsafeBufferPointer { a in
                next.withUnsafeMutableBufferPointer { plant.transition(state: s, action: a, next: $0) } } }
            state = next
        }
        #expect(abs(state[0]) < 0.01 && abs(state[1]) < 0.01, "final state \(state)")
        try client.bye()
    }

    @Test func wrongSpacesAndPeriodAreRejectedNamingExpectedAndGot() throws {
        #expect(throws: AgentRequestError.observationDimension(expected: 2, got: 3)) {
            _ = try cartFactory.makeAgent(for: cartRequest(observations: 3))
        }
        #expect(throws: AgentRequestError.actionDimension(expected: 1, got: 2)) {
            _ = try cartFactory.makeAgent(for: cartRequest(actions: 2))
        }
        #expect(throws: AgentRequestError.controlPeriod(expected: 0.1, got: 0.05)) {
            _ = try cartFactory.makeAgent(for: cartRequest(period: 0.05))
        }
        #expect(AgentRequestError.observationDimension(expected: 2, got: 3).description
                == "observation space dimension: expected 2, got 3")
    }

    @Test func badConfigurationsAreRejectedNamingTheField() throws {
        #expect(throws: AgentRequestError.unknownTask("pendulum", known: ["bare", "cart"])) {
            _ = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "predictiveController", "task": "pendulum"]))
        }
        #expect(throws: AgentRequestError.unknownTask(nil, known: ["bare", "cart"])) {
            _ = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "predictiveController"]))
        }
        #expect(throws: AgentRequestError.unknownAgent("reflex", known: AgentConfiguration.Kind.allCases.map(\.rawValue))) {
            _ = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "reflex", "task": "cart"]))
        }
        #expect(throws: AgentRequestError.missingOptions(agent: "predictiveController", task: "bare")) {
            _ = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "predictiveController", "task": "bare"]))
        }
        // An options block in AgentConfiguration's format: decoded and validated by PCAgents.
        var block = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(cartOptions))
        guard case var .object(fields) = block else { Issue.record("options are not an object"); return }
        fields["horizon"] = 0
        block = .object(fields)
        do {
            _ = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "predictiveController", "task": "bare",
                                                                   "predictiveController": block]))
            Issue.record("horizon 0 accepted")
        } catch let AgentRequestError.invalidOptions(reason) {
            #expect(reason.contains("horizon") && reason.contains("at least 1"), "\(reason)")
        }
        fields["horizon"] = 5
        let agent = try cartFactory.makeAgent(for: cartRequest(agent: ["agent": "predictiveController", "task": "bare",
                                                                       "predictiveController": .object(fields)]))
        #expect((agent as? AgentAdapter<PredictiveController<DoubleIntegrator>>)?.agent.options.horizon == 5)
    }

    @Test func configurationsWithTypeGoToTheFallback() throws {
        let linear: JSONValue = ["type": "linear", "gain": [[1.0, 0.5]]]
        #expect(try cartFactory.makeAgent(for: cartRequest(agent: linear)) is LinearFeedbackAgent)
        #expect(throws: AgentRequestError.missingAgent) { _ = try cartFactory.makeAgent(for: cartRequest(agent: [:])) }
        let strict = PCAgentFactory(models: cartFactory.models, fallback: nil)
        #expect(throws: AgentRequestError.missingAgent) { _ = try strict.makeAgent(for: cartRequest(agent: linear)) }
    }

    @Test func beliefsAreThePerceivedState() throws {
        let agent = try cartFactory.makeAgent(for: cartRequest())
        #expect(agent.beliefDimension == 2)
        let observation = [0.25, -0.5]
        var action = [0.0], beliefs = [0.0, 0.0]
        _ = observation.withUnsafeBufferPointer { o in action.withUnsafeMutableBufferPointer { agent.step(observation: o, action: $0) } }
        beliefs.withUnsafeMutableBufferPointer { agent.writeBeliefs(into: $0) }
        #expect(beliefs == observation)
    }

    /// decode step → session → PredictiveController (perceive, plan, act) → clip → encode: no heap
    /// allocation after warm-up. With telemetry on, libzmq's `zmq_send` copies each message of more
    /// than 33 bytes to the heap (3 per step, for any agent); the PC agent's belief telemetry adds none.
    @Test(arguments: [ScalarType.float32, .float64])
    func servedControllerStepAllocatesNothing(scalar: ScalarType) throws {
        let predictive: JSONValue = ["agent": "predictiveController", "task": "cart"]
        #expect(try allocations(agent: predictive, scalar: scalar, telemetry: false) == 0)
        let reference = try allocations(agent: ["type": "linear", "gain": [[1.0, 0.5]]], scalar: scalar, telemetry: true)
        #expect(try allocations(agent: predictive, scalar: scalar, telemetry: true) == reference)
    }

    /// Heap allocations on this thread in 980 served steps after 20 warm-up steps.
    func allocations(agent: JSONValue, scalar: ScalarType, telemetry: Bool) throws -> UInt64 {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        let publisher = try ZMQSocket(context: context, type: .publisher)
        let core = ServerCore(configuration: BridgeServerConfiguration(bind: []), factory: cartFactory,
                              router: router, publisher: telemetry ? publisher : nil)
        var hello = cartHello(scalar: scalar)
        hello.agent = agent
        core.useEnvelope(identity: Array("robot-identity-01".utf8))
        guard case let .welcome(welcome)? = core.serveSynchronously(.hello(hello)).first else {
            Issue.record("no welcome"); return .max
        }
        let steps = 1_000
        var frames: [[UInt8]] = []
        for i in 1...steps {
            let values = [cos(0.01 * Double(i)), 0.3 * sin(0.02 * Double(i))]
            let header = DataFrameHeader(kind: .step, flags: scalar == .float64 ? .float64 : [], session: welcome.session,
                                         sequence: UInt64(i), timestampNanoseconds: 0, count: values.count)
            var out = [UInt8](repeating: 0, count: header.frameBytes)
            out.withUnsafeMutableBytes { b in _ = values.withUnsafeBufferPointer { DataFrame.encode(header, values: $0, into: b) } }
            frames.append(out)
        }
        var checksum = 0.0
        func run(_ range: Range<Int>) throws {
            for i in range {
                checksum += Double(frames[i].withUnsafeBytes { core.serveSynchronously($0) })
            }
        }
        try run(0..<20)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter is not linked")
        let before = pck_thread_allocation_count()
        try run(20..<steps)
        let allocations = pck_thread_allocation_count() - before
        #expect(checksum > 0 && core.sessions[welcome.session]?.steps == UInt64(steps))
        return allocations
    }
}

/// A learning agent served over a real server acts exactly as the same agent in process, step for
/// step (float64 frames), through exploration, learning and model swaps; its hello's spaces and
/// control period are checked against its options.
@Suite struct ServedLearningAgentTests {
    static let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/configs/pendulum-state-learning.json")

    /// A heavier pendulum (m 1.3, l 1.2, Gymnasium's equations) observed as (θ, θ̇).
    static func advance(_ x: inout [Double], torque: Double) {
        let u = min(max(torque, -2), 2)
        var velocity = x[1] + (3 * 10 / (2 * 1.2) * sin(x[0]) + 3 / (1.3 * 1.2 * 1.2) * u) * 0.05
        velocity = min(max(velocity, -8), 8)
        x = [x[0] + velocity * 0.05, velocity]
    }

    @Test func servedLearningAgentActsAsInProcess() throws {
        let data = try Data(contentsOf: Self.config)
        let agentJSON = try JSONDecoder().decode(JSONValue.self, from: data)
        var local = try LearningAgent(options: try #require(try AgentConfiguration.decode(data).learning))
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("learn")])
        configuration.computeFraction = 1
        // Stay in the normal-priority pool, and serve without planning deadlines: a debug build's
        // learning steps average over 1 ms and take up to 50 ms while the other suites run in
        // parallel, so steps were cut at their deadline and the bit-for-bit comparison failed for
        // that reason alone (deadlines are tested by the hostile and timing suites).
        configuration.slowStepThreshold = 10
        let server = try BridgeServer(configuration: configuration, factory: NoDeadlineFactory(base: PCAgentFactory(models: [:])))
        server.start()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0], options: .init(timeoutMilliseconds: 5000))
        let hello = Hello(robot: "learner", observationSpace: WireSpace(low: [nil, -8], high: [nil, 8]),
                          actionSpace: WireSpace(low: [-2], high: [2]), controlPeriod: 0.05, scalar: .float64, agent: agentJSON)
        try client.hello(hello)
        try client.reset(seed: 0)
        local.reset(seed: 0)
        var x = [Double.pi, 0.0], action = [0.0]
        for _ in 0..<1_200 {
            let remote = try client.step(x)
            _ = local.step(x, action: &action)
            #expect(remote == action)
            if remote != action { break }
            Self.advance(&x, torque: remote[0])
        }
        #expect(local.phase == .controlling && local.modelVersion >= 2)
        // The hello must fit the options: a wrong period is refused by name.
        var wrong = hello
        wrong.controlPeriod = 0.02
        #expect(remoteCode { try BridgeClient(endpoint: server.endpoints[0]).hello(wrong) } == .agentRejected)
    }
}

/// A goal-only learning hello with `"history": 2`, for a robot that reports only its position
/// (a mass on a spring): the factory builds the stacked-history agent, which acts as the same
/// agent in process, bit for bit, through exploration and control.
@Suite struct ServedLearningHistoryTests {
    @Test func goalWithHistoryBuildsTheStackedAgent() throws {
        let goal: JSONValue = ["target": [0.5], "precision": [10], "explorationSteps": 60, "history": 2]
        let request = SessionRequest(robot: "spring", observationSpace: try BoxSpace(dimension: 1, low: -5, high: 5),
                                     actionSpace: try BoxSpace(dimension: 1, low: -4, high: 4), controlPeriod: 0.05,
                                     agentConfiguration: ["agent": "learning", "goal": goal])
        let served = try PCAgentFactory(models: [:]).makeAgent(for: request)
        let options = try LearningAgentOptions(goal: try LearningGoal(target: [0.5], precision: [10], explorationSteps: 60, history: 2),
                                               actionLower: [-4], actionUpper: [4], controlPeriod: 0.05)
        #expect(options.stateDimension == 3)
        var local = try LearningAgent(options: options)
        try served.reset(seed: 3)
        local.reset(seed: 3)
        var position = 0.0, velocity = 0.0, remote = [0.0], action = [0.0], observation = [0.0]
        for _ in 0..<120 {
            observation[0] = position
            observation.withUnsafeBufferPointer { o in remote.withUnsafeMutableBufferPointer { _ = served.step(observation: o, action: $0) } }
            _ = local.step(observation, action: &action)
            #expect(remote.map(\.bitPattern) == action.map(\.bitPattern))
            if remote != action { break }
            velocity += 0.05 * (action[0] - 4 * position - 0.5 * velocity)
            position += 0.05 * velocity
        }
        #expect(local.phase == .controlling && local.options.history == 2)
        // A typo in the goal's history key is refused with the closest key.
        let typo = SessionRequest(robot: "spring", observationSpace: try BoxSpace(dimension: 1, low: -5, high: 5),
                                  actionSpace: try BoxSpace(dimension: 1, low: -4, high: 4), controlPeriod: 0.05,
                                  agentConfiguration: ["agent": "learning", "goal": ["target": [0.5], "precision": [10], "histroy": 2]])
        do { _ = try PCAgentFactory(models: [:]).makeAgent(for: typo); Issue.record("a typo'd key was accepted") } catch {
            #expect("\(error)".contains("history"))
        }
    }
}
