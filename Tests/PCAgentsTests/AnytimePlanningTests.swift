import Foundation
import Testing
import PCAgents
import _PCAllocationCounter

/// Planning with a deadline stops early and acts on the best plan so far; without one nothing changes.
@Suite struct AnytimePlanningTests {
    typealias Controller = PredictiveController<FiniteDifferenceLinearization<NonlinearPlant>>

    static func controller(mode: PredictiveControllerOptions.InferenceMode, horizon: Int = 20, iterations: Int = 30,
                           samples: Int = 16) throws -> Controller {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.mode = mode
        options.horizon = horizon
        options.iterations = iterations
        options.proposal.samples = samples
        options.modelPrecision = [50, 20]
        return try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
    }

    static func observation(_ t: Int) -> [Double] {
        let angle = 2.5 - 0.05 * Double(t)
        return [cos(angle), sin(angle), 0.3]
    }

    /// Actions and diagnostics (compute time cleared) of `steps` steps, with `deadline(t)` set before step t.
    static func run(_ agent: inout Controller, steps: Int = 15, deadline: (Int) -> Double?) -> ([Double], [StepDiagnostics]) {
        agent.reset(seed: 3)
        var action = [0.0], actions: [Double] = [], diagnostics: [StepDiagnostics] = []
        for t in 0..<steps {
            agent.planningDeadline = deadline(t)
            var d = agent.step(observation(t), action: &action)
            d.computeTime = 0
            actions.append(action[0])
            diagnostics.append(d)
        }
        return (actions, diagnostics)
    }

    @Test(arguments: [PredictiveControllerOptions.InferenceMode.shooting, .collocation])
    func pastDeadlineReturnsQuicklyWithAFiniteBoundedAction(mode: PredictiveControllerOptions.InferenceMode) throws {
        // Without the deadline this step would run 10,000 iterations on a 1000-step horizon after 4096 samples.
        var agent = try Self.controller(mode: mode, horizon: 1000, iterations: 10_000, samples: 4096)
        agent.reset(seed: 0)
        var action = [Double.nan]
        agent.planningDeadline = monotonicSeconds() - 1
        let start = monotonicSeconds()
        let diagnostics = agent.step(Self.observation(0), action: &action)
        let elapsed = monotonicSeconds() - start
        #expect(elapsed < 0.05, "a past deadline must stop planning at once (took \(elapsed) s)")
        #expect(diagnostics.warnings.contains(.deadlineExceeded))
        #expect(diagnostics.iterations == 0)
        #expect(!diagnostics.converged)
        #expect(action[0].isFinite && abs(action[0]) <= 2, "\(action)")
    }

    @Test(arguments: [PredictiveControllerOptions.InferenceMode.shooting, .collocation])
    func deadlineMidwayStopsWithinTheBudget(mode: PredictiveControllerOptions.InferenceMode) throws {
        var agent = try Self.controller(mode: mode, horizon: 200, iterations: 100_000, samples: 64)
        agent.reset(seed: 0)
        var action = [Double.nan]
        agent.planningDeadline = monotonicSeconds() + 0.005
        let start = monotonicSeconds()
        let diagnostics = agent.step(Self.observation(0), action: &action)
        #expect(monotonicSeconds() - start < 1, "planning must stop soon after its deadline")
        #expect(diagnostics.warnings.contains(.deadlineExceeded))
        #expect(diagnostics.iterations < 100_000)
        #expect(diagnostics.freeEnergy.isFinite)
        #expect(action[0].isFinite && abs(action[0]) <= 2, "\(action)")
    }

    @Test(arguments: [PredictiveControllerOptions.InferenceMode.shooting, .collocation])
    func nilDeadlineIsBitIdenticalToAFreshController(mode: PredictiveControllerOptions.InferenceMode) throws {
        var plain = try Self.controller(mode: mode)
        var cleared = try Self.controller(mode: mode)
        cleared.planningDeadline = 0
        cleared.planningDeadline = nil
        let a = Self.run(&plain) { _ in nil }
        let b = Self.run(&cleared) { _ in nil }
        #expect(a.0.map(\.bitPattern) == b.0.map(\.bitPattern))
        #expect(a.1 == b.1)
        #expect(a.1.allSatisfy { !$0.warnings.contains(.deadlineExceeded) })
    }

    @Test(arguments: [PredictiveControllerOptions.InferenceMode.shooting, .collocation])
    func generousDeadlineGivesTheSameActionsAsNone(mode: PredictiveControllerOptions.InferenceMode) throws {
        var plain = try Self.controller(mode: mode)
        var timed = try Self.controller(mode: mode)
        let a = Self.run(&plain) { _ in nil }
        let b = Self.run(&timed) { _ in monotonicSeconds() + 3600 }
        #expect(a.0.map(\.bitPattern) == b.0.map(\.bitPattern))
        #expect(a.1 == b.1)
        #expect(a.1.contains { $0.iterations > 0 }, "the comparison must cover steps that iterate")
    }

    @Test func stepWithADeadlineAllocatesNothingAfterWarmUp() throws {
        var agent = try Self.controller(mode: .shooting)
        agent.reset(seed: 1)
        var action = [0.0]
        var observation = Self.observation(0)
        for _ in 0..<3 { _ = agent.step(observation, action: &action) }
        #expect(pck_allocation_counter_active() != 0, "the allocation counter must be linked")
        let before = pck_thread_allocation_count()
        for t in 0..<40 {
            // Alternate a generous and an expired deadline: both paths read the clock, neither allocates.
            agent.planningDeadline = t % 2 == 0 ? monotonicSeconds() + 3600 : monotonicSeconds() - 1
            observation[0] = cos(2.5 - 0.05 * Double(t))
            observation[1] = sin(2.5 - 0.05 * Double(t))
            _ = agent.step(observation, action: &action)
        }
        #expect(pck_thread_allocation_count() - before == 0)
    }

    @Test func deadlineWarningIsNamed() {
        #expect(AgentWarnings.named.map(\.1).last == "deadlineExceeded")
        #expect(AgentWarnings.deadlineExceeded.rawValue == 1 << 5)
        #expect(AgentWarnings([.notConverged, .deadlineExceeded]).description == "[notConverged, deadlineExceeded]")
    }
}
