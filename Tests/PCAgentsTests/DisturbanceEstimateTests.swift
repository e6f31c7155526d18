import Foundation
import Testing
@testable import PCAgents
import PCNumerics
import _PCAllocationCounter

/// The learning agent's disturbance estimate (``LearningAgentOptions/disturbanceGain``): against its
/// closed form on a constant bias, reset each episode, owned by each copy of an agent,
/// allocation-free, and range-checked.
@Suite struct DisturbanceEstimateTests {
    static func options(gain: Double, seed: UInt64 = 5, learningInterval: Int = 1) throws -> LearningAgentOptions {
        var options = try LearningAgentTests.options(seed: seed, explorationSteps: 200, learningInterval: learningInterval,
                                                     swapInterval: 1_000_000)
        options.disturbanceGain = gain
        try options.validate()
        return options
    }

    /// An agent past its exploration, frozen (its model fixed), at the start of an episode.
    static func frozenAgent(gain: Double) throws -> LearningAgent {
        var agent = try LearningAgent(options: options(gain: gain))
        _ = LearningAgentTests.drive(&agent, steps: 260, seed: 5)
        #expect(agent.phase == .controlling)
        agent.isLearning = false
        agent.reset(seed: 77)
        return agent
    }

    static func correction(_ agent: LearningAgent) -> [Double] {
        let model = agent.model!
        return Array(UnsafeBufferPointer(start: model.correction.base, count: model.predictedDimension))
    }

    /// The robot is the agent's own model plus a constant bias b on the change of (θ, θ̇):
    /// o′ = f₀(o, u) + b. With d ← d + α (o′ − f_d(o, u)) and f_d = f₀ + d the estimate after k
    /// transitions is d_k = b (1 − (1 − α)^k), and the planner's model predicts f₀ + d_k.
    @Test func estimateFollowsItsClosedFormOnAConstantBias() throws {
        let alpha = 0.25, bias = [0.012, -0.03]
        var agent = try Self.frozenAgent(gain: alpha)
        #expect(Self.correction(agent) == [0, 0])
        var state = [0.4, -0.2], action = [0.0], next = [0.0, 0.0]
        for k in 0...30 {
            _ = agent.step(state, action: &action)
            let d = Self.correction(agent)
            let expected = bias.map { $0 * (1 - pow(1 - alpha, Double(k))) }
            for i in 0..<2 { #expect(abs(d[i] - expected[i]) < 1e-12, "step \(k), coordinate \(i): d = \(d[i]), closed form \(expected[i])") }
            // o′ = f_d(o, u) − d + b, the model's corrected prediction minus the correction it holds.
            state.withUnsafeBufferPointer { s in
                action.withUnsafeBufferPointer { u in
                    next.withUnsafeMutableBufferPointer { agent.model!.transition(state: s, action: u, next: $0) }
                }
            }
            state = [next[0] - d[0] + bias[0], next[1] - d[1] + bias[1]]
        }
        // A new episode starts the estimate again from zero.
        agent.reset(seed: 78)
        #expect(Self.correction(agent) == [0, 0])
    }

    /// Gain 0 (the default) leaves the model's predictions untouched.
    @Test func zeroGainNeverCorrects() throws {
        var agent = try Self.frozenAgent(gain: 0)
        var state = [0.4, -0.2], action = [0.0]
        for _ in 0..<20 {
            _ = agent.step(state, action: &action)
            state = [state[0] + 0.05, state[1] - 0.1]
        }
        #expect(Self.correction(agent) == [0, 0])
    }

    /// A copy of an agent estimates on its own: stepping the copy with other observations leaves the
    /// original's next actions what they would have been.
    @Test func copiesDoNotDisturbEachOther() throws {
        var original = try Self.frozenAgent(gain: 0.3)
        var action = [0.0]
        for t in 0..<5 { _ = original.step([0.3 + 0.01 * Double(t), 0.1], action: &action) }
        var twin = original, copy = original
        for t in 0..<10 { _ = copy.step([-1.0 - 0.05 * Double(t), 2], action: &action) }
        var a: [Double] = [], b: [Double] = []
        for t in 0..<10 {
            let o = [0.35 + 0.02 * Double(t), 0.05]
            _ = original.step(o, action: &action); a.append(action[0])
            _ = twin.step(o, action: &action); b.append(action[0])
        }
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(Self.correction(original) == Self.correction(twin))
        #expect(Self.correction(copy) != Self.correction(original))
    }

    /// With the estimate on, a controlling step without a learning slice still allocates nothing.
    @Test func controlStepWithEstimateAllocatesNothing() throws {
        var agent = try LearningAgent(options: Self.options(gain: 0.3, seed: 2, learningInterval: 4))
        _ = LearningAgentTests.drive(&agent, steps: 240, seed: 2)
        #expect(agent.phase == .controlling)
        var state = [2.0, 0.5], action = [0.0]
        _ = agent.step(state, action: &action)
        var quiet: UInt64 = 0
        for _ in 0..<40 {
            let learns = (agent.stepCount + 1) % 4 == 0
            let before = pck_thread_allocation_count()
            _ = agent.step(state, action: &action)
            if !learns { quiet += pck_thread_allocation_count() - before }
            let next = LearningAgentTests.plant.advance(angle: state[0], velocity: state[1], torque: action[0])
            state[0] = next.angle; state[1] = next.velocity
        }
        #expect(quiet == 0, "\(quiet) allocations in 30 non-learning steps with the disturbance estimate")
        #expect(Self.correction(agent).contains { $0 != 0 })
    }

    /// The gain is range-checked, in code and in JSON, and round-trips through JSON.
    @Test func gainIsRangedAndRoundTrips() throws {
        for bad in [-0.1, 1.5, Double.nan] {
            #expect {
                _ = try Self.options(gain: bad)
            } throws: { error in
                guard case let AgentConfigurationError.invalidValue(field, _, requirement) = error else { return false }
                return field == "disturbanceGain" && requirement.contains("[0, 1]")
            }
        }
        let options = try Self.options(gain: 0.3)
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(LearningAgentOptions.self, from: data) == options)
        var json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["disturbanceGain"] as? Double == 0.3)
        json["disturbanceGain"] = 2.0
        #expect(throws: AgentConfigurationError.self) {
            _ = try JSONDecoder().decode(LearningAgentOptions.self, from: JSONSerialization.data(withJSONObject: json))
        }
    }
}
