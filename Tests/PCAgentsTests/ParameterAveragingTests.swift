import Foundation
import Testing
import PCAgents
import PCCore
import PCNumerics
import _PCAllocationCounter

/// ``ModelLearnerOptions/averagingDecay``: strict and ranged, the average against a hand-computed
/// exponential moving average of the trained parameters (training itself unchanged), the model
/// built from the average, and a learning agent's swap still allocation-free with it.
@Suite struct ParameterAveragingTests {
    /// A pendulum-shaped learner (2 states, the first an angle; 1 action in ±2; batches of 16),
    /// also used by `EnsembleTests`.
    static func options(decay: Double = 0, members: Int = 1, hidden: [Int] = [8], seed: UInt64 = 0) throws -> ModelLearnerOptions {
        try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                actionLower: [-2], actionUpper: [2], hiddenSizes: hidden, batchSize: 16, seed: seed,
                                averagingDecay: decay, ensembleSize: members)
    }

    @Test func averagingDecayIsStrictAndRanged() throws {
        let options = try Self.options(decay: 0.99)
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(ModelLearnerOptions.self, from: data) == options)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["averagingDecay"] as? Double == 0.99)
        // Files written before the option existed load with 0 (no average).
        json.removeValue(forKey: "averagingDecay")
        #expect(try JSONDecoder().decode(ModelLearnerOptions.self, from: JSONSerialization.data(withJSONObject: json)).averagingDecay == 0)
        json["averagingDecays"] = 0.5
        #expect(throws: AgentConfigurationError.self) {
            try JSONDecoder().decode(ModelLearnerOptions.self, from: JSONSerialization.data(withJSONObject: json))
        }
        for bad in [-0.1, 1, 0.999991, Double.nan, -Double.infinity] {
            do {
                _ = try Self.options(decay: bad)
                Issue.record("averagingDecay \(bad) was accepted")
            } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
                #expect(field == "averagingDecay")
                #expect(requirement == "must be within 0…0.99999 (0: no parameter average)")
            }
        }
        for good in [0, 0.5, ModelLearnerOptions.maximumAveragingDecay] { _ = try Self.options(decay: good) }
        #expect(try Self.options(decay: 0.9).estimatedMemoryBytes() > Self.options(decay: 0).estimatedMemoryBytes())
    }

    /// Records babbling-like transitions of a linear plant (the values do not matter here).
    static func feed(_ learner: inout ModelLearner, count: Int) throws {
        var generator = Xoshiro256(seed: 5)
        for _ in 0..<count {
            let x = [generator.uniform(-3, 3), generator.uniform(-2, 2)], u = [generator.uniform(-2, 2)]
            try learner.record(state: x, action: u, next: [x[0] + 0.05 * x[1], x[1] + 0.1 * u[0] - 0.05 * sin(x[0])])
        }
    }

    /// The average equals θ̄ ← β θ̄ + (1 − β) θ computed by hand from a learner without averaging
    /// (same seed and data, so the same iterates θ), bit for bit; the trained network itself is
    /// the same as without averaging, and the model is built from the average.
    @Test func averageMatchesAHandComputedMovingAverage() throws {
        let beta = 0.9
        var averaging = try ModelLearner(options: Self.options(decay: beta))
        var plain = try ModelLearner(options: Self.options(decay: 0))
        try Self.feed(&averaging, count: 300)
        try Self.feed(&plain, count: 300)
        var expected: [[Double]] = []
        for batch in 0..<25 {
            try plain.train(batches: 1)
            let theta = plain.network.layers.map { $0.weight.elements + ($0.bias?.elements ?? []) }
            if batch == 0 {
                expected = theta
            } else {
                for l in expected.indices { for i in expected[l].indices { expected[l][i] += (1 - beta) * (theta[l][i] - expected[l][i]) } }
            }
        }
        #expect(plain.averagedNetwork == nil && plain.modelNetwork == plain.network)
        try averaging.train(batches: 25)
        #expect(averaging.network == plain.network, "averaging must not change training")
        let average = try #require(averaging.averagedNetwork)
        let got = average.layers.map { $0.weight.elements + ($0.bias?.elements ?? []) }
        #expect(got.map { $0.map(\.bitPattern) } == expected.map { $0.map(\.bitPattern) })
        #expect(averaging.modelNetwork == average && average != averaging.network)
        // The model predicts with the average: the same as a learner whose network is the average.
        let model = try #require(averaging.dynamics), live = try #require(plain.dynamics)
        #expect(Self.predict(model) != Self.predict(live), "the model must come from the average, not the last iterate")
    }

    static func predict(_ model: LearnedDynamics) -> [Double] {
        let state = [0.3, -0.4], action = [0.5]
        var next = [0.0, 0]
        state.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in next.withUnsafeMutableBufferPointer { model.transition(state: x, action: u, next: $0) } }
        }
        return next
    }

    /// A learning agent with averaging still swaps its model without allocating, and the planner's
    /// model is the average (it differs from the trained network's).
    @Test func swapWithAveragingAllocatesNothing() throws {
        var options = try LearningAgentTests.options(seed: 4, explorationSteps: 200, learningInterval: 4, swapInterval: 6)
        options.learner.averagingDecay = 0.99
        try options.validate()
        var agent = try LearningAgent(options: options)
        _ = LearningAgentTests.drive(&agent, steps: 260, seed: 4)
        #expect(agent.phase == .controlling && agent.modelVersion >= 3)
        let (swaps, allocations) = LearningAgentTests.swapAllocations(&agent)
        #expect(swaps >= 4, "only \(swaps) swaps without a learning slice")
        #expect(allocations == 0, "\(allocations) allocations in \(swaps) swaps")
    }
}
