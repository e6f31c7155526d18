import Foundation
import Testing
import PCAgents
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

@Suite struct PredictiveControllerTests {
    static func nonlinearController(mode: PredictiveControllerOptions.InferenceMode, samples: Int = 0) throws
        -> PredictiveController<FiniteDifferenceLinearization<NonlinearPlant>> {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.horizon = 6
        options.mode = mode
        options.modelPrecision = [50, 20]
        options.goalPrecision = [2, 0.3]
        options.terminalGoalScale = 3
        options.proposal.samples = samples
        return try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
    }

    /// A fixed, irregular trajectory away from any angle wrap.
    static let x0 = [0.4, -0.3]
    static let states: [Double] = (1...6).flatMap { (t: Int) -> [Double] in
        let s = Double(t)
        let angle: Double = 0.4 + 0.1 * s * cos(s)
        let velocity: Double = -0.3 + 0.2 * sin(1.7 * s)
        return [angle, velocity]
    }
    static let controls: [Double] = (0..<6).map { (t: Int) -> Double in 0.8 * sin(0.9 * Double(t) + 0.2) }

    @Test func collocationGradientMatchesFiniteDifferences() throws {
        let agent = try Self.nonlinearController(mode: .collocation)
        let analytic = agent.evaluateEnergy(initialState: Self.x0, states: Self.states, controls: Self.controls)
        let z = Self.states + Self.controls
        let numeric = finiteDifferenceGradient(at: z, step: 1e-5) { z in
            agent.evaluateEnergy(initialState: Self.x0, states: Array(z[0..<12]), controls: Array(z[12...])).energy
        }
        #expect(analytic.energy > 1, "the trajectory must not be trivially at the optimum")
        // The FD linearisation inside the gradient is itself ~1e-9 accurate.
        assertClose(analytic.stateGradient + analytic.controlGradient, numeric, rtol: 1e-6, atol: 1e-6)
    }

    @Test func shootingGradientIsTheAdjointOfTheRolloutEnergy() throws {
        let agent = try Self.nonlinearController(mode: .shooting)
        let analytic = agent.evaluateShootingEnergy(initialState: Self.x0, controls: Self.controls)
        let numeric = finiteDifferenceGradient(at: Self.controls, step: 1e-5) { u in
            agent.evaluateShootingEnergy(initialState: Self.x0, controls: u).energy
        }
        assertClose(analytic.controlGradient, numeric, rtol: 1e-6, atol: 1e-6)
    }

    @Test func shootingEnergyIsTheStiffLimitOfCollocation() throws {
        // With x on the rollout every ε = 0, so E_collocation = E_shooting for any Π_x.
        let agent = try Self.nonlinearController(mode: .collocation)
        let shooting = agent.evaluateShootingEnergy(initialState: Self.x0, controls: Self.controls)
        var states: [Double] = [], x = Self.x0
        for t in 0..<6 {
            var next = [0.0, 0.0]
            x.withUnsafeBufferPointer { xs in [Self.controls[t]].withUnsafeBufferPointer { us in
                next.withUnsafeMutableBufferPointer { NonlinearPlant().transition(state: xs, action: us, next: $0) } } }
            states += next
            x = next
        }
        let collocation = agent.evaluateEnergy(initialState: Self.x0, states: states, controls: Self.controls)
        assertClose(collocation.energy, shooting.energy, rtol: 1e-12, atol: 0)
        // and the control gradients agree too: Π_x ε has settled to the equilibrium errors only when
        // x is free, so only the energies are compared here.
    }

    @Test(arguments: [PredictiveControllerOptions.InferenceMode.collocation, .shooting])
    func freeEnergyNeverRisesDuringInference(mode: PredictiveControllerOptions.InferenceMode) throws {
        for iterations in [1, 3, 10, 30] {
            var options = try Self.nonlinearController(mode: mode).options
            options.iterations = iterations
            var agent = try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
            agent.reset(seed: 0)
            var action = [0.0]
            let diagnostics = agent.step([cos(2.5), sin(2.5), 0.5], action: &action)
            // One more iteration never raises the settled energy (the safeguard rejects rising steps).
            let previous = try Self.energyAfter(iterations: iterations - 1, options: options)
            #expect(diagnostics.freeEnergy <= previous * (1 + 1e-12), "iterations \(iterations)")
        }
    }

    static func energyAfter(iterations: Int, options: PredictiveControllerOptions) throws -> Double {
        var options = options
        options.iterations = iterations
        var agent = try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
        agent.reset(seed: 0)
        var action = [0.0]
        return agent.step([cos(2.5), sin(2.5), 0.5], action: &action).freeEnergy
    }

    @Test func sameSeedSameActions() throws {
        func actions(seed: UInt64) throws -> [Double] {
            var agent = try Self.nonlinearController(mode: .collocation, samples: 8)
            agent.reset(seed: seed)
            var action = [0.0], out: [Double] = []
            for t in 0..<10 {
                _ = agent.step([cos(0.3 - 0.02 * Double(t)), sin(0.3 - 0.02 * Double(t)), 0.2], action: &action)
                out.append(action[0])
            }
            return out
        }
        let a = try actions(seed: 7), b = try actions(seed: 7), c = try actions(seed: 8)
        #expect(a == b)
        #expect(a != c, "the proposal's draws depend on the seed")
    }

    @Test func invalidObservationGivesSafeActionAndWarning() throws {
        var agent = try Self.nonlinearController(mode: .shooting)
        agent.reset(seed: 0)
        var action = [0.0]
        _ = agent.step([cos(2.0), sin(2.0), 0.1], action: &action)
        for bad in [[Double.nan, 0, 0], [1, 0, .infinity], [1, 0]] {
            action = [123]
            let diagnostics = agent.step(bad, action: &action)
            #expect(diagnostics.warnings.contains(.invalidObservation))
            #expect(action == [0], "the safe action is the control prior ū = 0")
        }
        let recovered = agent.step([cos(2.0), sin(2.0), 0.1], action: &action)
        #expect(recovered.warnings.isDisjoint(with: [.invalidObservation, .warmStartReset]))
        #expect(action[0].isFinite && action[0] != 0)
    }

    @Test func badConfigurationsNameTheirField() throws {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.horizon = 0
        #expect(throws: AgentConfigurationError.invalidValue(field: "horizon", value: "0", requirement: "must be at least 1")) {
            try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
        }
        options = .pendulumSwingUp
        options.goalPrecision = [1]
        #expect(throws: AgentConfigurationError.dimensionMismatch(field: "goalPrecision", expected: 2, got: 1)) {
            try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
        }
        options = .pendulumSwingUp
        options.controlLower = [3]
        #expect(throws: AgentConfigurationError.self) {
            try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
        }
        // JSON: a missing field and a bad outcome matrix are reported by name.
        let missing = #"{"agent": "predictiveController", "predictiveController": {"goal": [0, 0]}}"#
        do {
            _ = try AgentConfiguration.decode(Data(missing.utf8))
            Issue.record("decoding should fail")
        } catch let AgentConfigurationError.unreadable(_, reason) {
            #expect(reason.contains("modelPrecision"), "\(reason)")
        }
        let text = String(decoding: try AgentConfiguration(predictiveController: .pendulumSwingUp).encoded(), as: UTF8.self)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var block = try #require(object["predictiveController"] as? [String: Any])
        var outcome = try #require(block["outcome"] as? [String: Any])
        outcome["angleIndices"] = [7]
        block["outcome"] = outcome
        object["predictiveController"] = block
        let broken = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: AgentConfigurationError.invalidValue(field: "outcome.angleIndices", value: "7", requirement: "must lie in 0..<2")) {
            try AgentConfiguration.decode(broken)
        }
        // The round trip is exact.
        #expect(try AgentConfiguration.decode(Data(text.utf8)) == AgentConfiguration(predictiveController: .pendulumSwingUp))
    }

    @Test(arguments: [0, 16])
    func stepAllocatesNothingAfterWarmUp(samples: Int) throws {
        var agent = try Self.nonlinearController(mode: .shooting, samples: samples)
        agent.reset(seed: 1)
        var action = [0.0]
        var observation = [cos(2.0), sin(2.0), 0.1]
        for _ in 0..<3 { _ = agent.step(observation, action: &action) }
        #expect(pck_allocation_counter_active() != 0, "the allocation counter must be linked")
        let before = pck_thread_allocation_count()
        for t in 0..<50 {
            observation[0] = cos(2.0 + 0.01 * Double(t))
            observation[1] = sin(2.0 + 0.01 * Double(t))
            _ = agent.step(observation, action: &action)
        }
        #expect(pck_thread_allocation_count() - before == 0)
    }
}
