import PCKit
import Testing

/// Every built-in simulator model is a served task for the true-model planner: a hello names the
/// task, gets the task's preset, its parameters are checked by name and range, and the served
/// planner controls the simulator as the task demands.
@Suite struct ServedTaskTests {
    static func request(_ task: String, _ environment: some Environment, period: Double,
                        parameters: [String: JSONValue]? = nil) -> SessionRequest {
        var configuration: [String: JSONValue] = ["agent": "predictiveController", "task": .string(task)]
        if let parameters { configuration["parameters"] = .object(parameters) }
        return SessionRequest(robot: "test", observationSpace: environment.observationSpace, actionSpace: environment.actionSpace,
                              controlPeriod: period, agentConfiguration: .object(configuration))
    }

    /// Runs a served agent on an environment for `steps` steps from `start`; returns the return and
    /// whether the episode terminated.
    static func drive<E: Environment & StateResettable>(_ agent: any BridgeAgent, _ environment: inout E, start: [Double],
                                                       steps: Int) throws -> (total: Double, terminated: Bool, actions: [Double]) {
        var observation = try environment.reset(state: start)
        var action = [Double](repeating: 0, count: environment.actionDimension)
        var total = 0.0, actions: [Double] = []
        try agent.reset(seed: 0)
        for _ in 0..<steps {
            observation.withUnsafeBufferPointer { o in
                action.withUnsafeMutableBufferPointer { a in _ = agent.step(observation: o, action: a) }
            }
            actions += action
            let transition = try environment.step(action, observation: &observation)
            total += transition.reward
            if transition.terminated { return (total, true, actions) }
        }
        return (total, false, actions)
    }

    @Test func everySimulatorModelIsServed() {
        #expect(Set(PlantModel.builtIn.keys) == ["pendulum", "cartpole-swingup", "mountaincar", "inverted-pendulum",
                                                  "acrobot-continuous", "reacher"])
    }

    /// MountainCarContinuous-v0 from Gymnasium's first two starts: the served planner (called every
    /// step, replanning every 5) reaches the flag with a return above the task's "solved" 90.
    @Test func servedMountainCarSolvesTheTask() throws {
        for seed in 0..<2 {
            let agent = try PCAgentFactory.builtIn.makeAgent(for: Self.request("mountaincar", MountainCar(), period: 1))
            var environment = MountainCar()
            let run = try Self.drive(agent, &environment, start: GymnasiumInitialStates.mountainCar[seed], steps: MountainCar.episodeSteps)
            #expect(run.terminated && run.total >= 90, "seed \(seed): return \(run.total)")
        }
    }

    /// InvertedPendulum-v5 with a heavier gravity set in the hello: upright for 200 steps.
    @Test func servedInvertedPendulumBalancesWithItsParameters() throws {
        let agent = try PCAgentFactory.builtIn.makeAgent(for: Self.request(
            "inverted-pendulum", InvertedPendulum(), period: 0.04, parameters: ["gravity": 12]))
        var environment = InvertedPendulum(model: InvertedPendulumModel(gravity: 12))
        let run = try Self.drive(agent, &environment, start: [0, 0.05, 0, 0], steps: 200)
        #expect(!run.terminated && run.total == 200)
    }

    /// Cart-pole swing-up, acrobot and reacher: served with their presets; every action finite and
    /// inside the action box.
    @Test func servedSwingUpAndReachingPlannersAct() throws {
        let cartPole = try PCAgentFactory.builtIn.makeAgent(for: Self.request(
            "cartpole-swingup", CartPole(model: .swingUp), period: 0.01, parameters: ["poleMass": 0.2]))
        var cart = CartPole(model: try CartPoleModel(task: .swingUp, poleMass: 0.2))
        let cartRun = try Self.drive(cartPole, &cart, start: [0, 0, Double.pi, 0], steps: 20)
        #expect(cartRun.actions.allSatisfy { $0.isFinite && abs($0) <= 1 } && cartRun.actions.contains { $0 != 0 })
        let acrobot = try PCAgentFactory.builtIn.makeAgent(for: Self.request("acrobot-continuous", Acrobot(model: .continuous), period: 0.2))
        var arm = Acrobot(model: .continuous)
        let acrobotRun = try Self.drive(acrobot, &arm, start: GymnasiumInitialStates.acrobot[0], steps: 5)
        #expect(acrobotRun.actions.allSatisfy { $0.isFinite && abs($0) <= 1 } && acrobotRun.actions.contains { $0 != 0 })
        let reacher = try PCAgentFactory.builtIn.makeAgent(for: Self.request("reacher", PlanarArm.reacher(), period: 0.02))
        var reach = PlanarArm.reacher()
        let reachRun = try Self.drive(reacher, &reach, start: [0.1, 0.2, 0, 0, 0.1, 0.05], steps: 50)
        let distance = (reach.info["distance"] ?? .nan)
        #expect(distance < 0.02, "fingertip \(distance) m from the target after 50 steps")
        #expect(reachRun.actions.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    /// Parameters are checked by name (with the closest known one) and range; a task without
    /// parameters says so; a wrong control period names the one the task plans with.
    @Test func helloParametersAndPeriodAreValidated() throws {
        let factory = PCAgentFactory.builtIn
        #expect(throws: AgentRequestError.self) {
            _ = try factory.makeAgent(for: Self.request("cartpole-swingup", CartPole(model: .swingUp), period: 0.01,
                                                        parameters: ["poleMas": 0.2]))
        }
        do {
            _ = try factory.makeAgent(for: Self.request("cartpole-swingup", CartPole(model: .swingUp), period: 0.01,
                                                        parameters: ["poleMas": 0.2]))
        } catch { #expect("\(error)".contains("poleMass"), "\(error)") }
        do {
            _ = try factory.makeAgent(for: Self.request("mountaincar", MountainCar(), period: 1, parameters: ["mass": 1]))
            Issue.record("mountaincar accepted a parameter it does not have")
        } catch { #expect("\(error)".contains("no settable parameters"), "\(error)") }
        do {
            _ = try factory.makeAgent(for: Self.request("inverted-pendulum", InvertedPendulum(), period: 0.04, parameters: ["gravity": 1000]))
            Issue.record("gravity 1000 accepted")
        } catch { #expect("\(error)".contains("0.0…100.0"), "\(error)") }
        #expect(throws: AgentRequestError.controlPeriod(expected: 0.01, got: 0.05)) {
            _ = try factory.makeAgent(for: Self.request("cartpole-swingup", CartPole(model: .swingUp), period: 0.05))
        }
    }
}
