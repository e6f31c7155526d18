import Testing
import PCAgents
import PCEnvironment
import PCSims
import _PCAllocationCounter

@Suite struct ActionRepeatTests {
    @Test func holdsTheActionForKBaseSteps() {
        let base = CartPoleModel.swingUp
        let repeated = ActionRepeat(base, count: 5)
        #expect(repeated.timeStep == 5 * base.timeStep)
        var x = [0.1, -0.2, 3.0, 0.4]
        let u = [0.7]
        var expectedReward = 0.0
        let start = x
        for _ in 0..<5 {
            var next = [0.0, 0, 0, 0]
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeMutableBufferPointer { base.transition(state: xs, action: us, next: $0) } } }
            expectedReward += x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeBufferPointer { base.reward(state: xs, action: us, next: $0) } } }
            x = next
        }
        var next = [0.0, 0, 0, 0]
        start.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeMutableBufferPointer { repeated.transition(state: xs, action: us, next: $0) } } }
        #expect(next == x, "bit-identical to five base steps")
        let reward = start.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeBufferPointer { repeated.reward(state: xs, action: us, next: $0) } } }
        #expect(reward == expectedReward)
    }

    @Test func replanIntervalHoldsTheActionBetweenDecisions() throws {
        var options = PredictiveControllerOptions.cartPoleSwingUp
        options.horizon = 8
        options.iterations = 3
        var agent = try PredictiveController(model: FiniteDifferenceLinearization(ActionRepeat(CartPoleModel.swingUp, count: 5)),
                                             options: options)
        var environment = CartPole(model: .swingUp)
        var observation = environment.reset(seed: 3)
        agent.reset(seed: 3)
        var action = [0.0], actions: [Double] = [], iterations: [Int] = []
        for _ in 0..<15 {
            let diagnostics = agent.step(observation, action: &action)
            actions.append(action[0]); iterations.append(diagnostics.iterations)
            _ = try environment.step(action, observation: &observation)
        }
        // Plans at steps 0, 5 and 10; the action is held for the four steps after each.
        for k in 0..<15 {
            #expect((iterations[k] > 0) == (k % 5 == 0), "step \(k): \(iterations[k]) iterations")
            #expect(actions[k] == actions[k - k % 5])
        }
        let before = pck_thread_allocation_count()
        for _ in 0..<10 { _ = agent.step(observation, action: &action) }
        #expect(pck_thread_allocation_count() - before == 0)
    }
}
