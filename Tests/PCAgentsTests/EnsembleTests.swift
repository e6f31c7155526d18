import Foundation
import Testing
@testable import PCAgents
import PCCore
import PCNumerics
import _PCTestSupport

/// ``ModelLearnerOptions/ensembleSize``: strict and ranged; the ensemble's model against the mean
/// of its members evaluated one by one (prediction, Jacobians, adjoint, batch); members trained in
/// turn from their own initial weights; a learning agent with an ensemble saved, loaded and swapped
/// without allocating; version-1 files still read.
@Suite struct EnsembleTests {
    static func options(members: Int, hidden: [Int] = [8]) throws -> ModelLearnerOptions {
        try ParameterAveragingTests.options(members: members, hidden: hidden, seed: 3)
    }

    @Test func ensembleSizeIsStrictAndRanged() throws {
        let options = try Self.options(members: 3)
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(ModelLearnerOptions.self, from: data) == options)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["ensembleSize"] as? Int == 3)
        // Files written before the option existed load with one network.
        json.removeValue(forKey: "ensembleSize")
        #expect(try JSONDecoder().decode(ModelLearnerOptions.self, from: JSONSerialization.data(withJSONObject: json)).ensembleSize == 1)
        json["ensembleSise"] = 2
        do {
            _ = try JSONDecoder().decode(ModelLearnerOptions.self, from: JSONSerialization.data(withJSONObject: json))
            Issue.record("the misspelt key was accepted")
        } catch let error as AgentConfigurationError {
            #expect("\(error)".contains("ensembleSize"), "\(error)")
        }
        for bad in [0, -1, ModelLearnerOptions.maximumEnsembleSize + 1] {
            do {
                _ = try Self.options(members: bad)
                Issue.record("ensembleSize \(bad) was accepted")
            } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
                #expect(field == "ensembleSize")
                #expect(requirement == (bad < 1 ? "must be at least 1" : "must be at most 8"), "\(requirement)")
            }
        }
        do {
            _ = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, actionLower: [-2], actionUpper: [2],
                                        averagingDecay: 0.9, ensembleSize: 2)
            Issue.record("an averaged ensemble was accepted")
        } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
            #expect(field == "averagingDecay" && requirement.contains("ensembleSize"))
        }
        #expect(try Self.options(members: 4).estimatedMemoryBytes() > Self.options(members: 1).estimatedMemoryBytes())
        // A deep, wide ensemble is estimated at its planner model's real size: 8 members of two
        // 4096-unit layers put a block-diagonal (8·4096)² layer in the model (8.6 GB), so the
        // estimate exceeds it and an agent with it is refused before anything is allocated.
        let deep = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, actionLower: [-2], actionUpper: [2],
                                           hiddenSizes: [4096, 4096], capacity: 1000, ensembleSize: 8)
        #expect(deep.estimatedMemoryBytes() > 8 * 32_768 * 32_768)
        var agentOptions = try Self.agentOptions(members: 1, seed: 1)
        agentOptions.learner.hiddenSizes = [4096, 4096]
        agentOptions.learner.ensembleSize = 8
        do {
            _ = try LearningAgent(options: agentOptions)
            Issue.record("an 8.6 GB ensemble was accepted")
        } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
            #expect(field.contains("learner.ensembleSize") && requirement.contains("must fit in"), "\(field): \(requirement)")
        }
    }

    /// Batch b trains member b mod K: after one batch member 1 is exactly a single-network learner's
    /// network after one batch (same seed, same draw) and member 2 is still its initial weights;
    /// after the second batch member 2 has moved and member 1 has not. Members start apart.
    @Test func membersLearnInTurnFromTheirOwnInitialWeights() throws {
        var ensemble = try ModelLearner(options: Self.options(members: 2))
        var single = try ModelLearner(options: Self.options(members: 1))
        let initialSecond = ensemble.ensembleMembers[0]
        #expect(initialSecond != ensemble.network, "the members start from the same weights")
        try ParameterAveragingTests.feed(&ensemble, count: 200)
        try ParameterAveragingTests.feed(&single, count: 200)
        try ensemble.train(batches: 1)
        try single.train(batches: 1)
        #expect(ensemble.network == single.network)
        #expect(ensemble.ensembleMembers[0] == initialSecond)
        let first = ensemble.network
        try ensemble.train(batches: 1)
        #expect(ensemble.network == first && ensemble.ensembleMembers[0] != initialSecond)
        #expect(ensemble.dynamics?.ensembleSize == 2 && single.dynamics?.ensembleSize == 1)
    }

    /// The model of K members is the mean of K one-network models built from the members: x′, A, B,
    /// Aᵀξ, Bᵀξ and the batched x′ agree to rounding, for one hidden layer and for two (block-diagonal).
    @Test(arguments: [[8], [6, 5]])
    func ensembleModelIsTheMeanOfItsMembers(hidden: [Int]) throws {
        let k = 3
        var learner = try ModelLearner(options: Self.options(members: k, hidden: hidden))
        try ParameterAveragingTests.feed(&learner, count: 300)
        try learner.train(batches: 30)
        let model = try #require(learner.dynamics), normalization = try #require(learner.normalization)
        #expect(model.ensembleSize == k && model.sizes == [4] + hidden.map { k * $0 } + [2])
        let singles = ([learner.network] + learner.ensembleMembers).map {
            LearnedDynamics(network: $0, options: learner.options, normalization: normalization)
        }
        var generator = Xoshiro256(seed: 17)
        var states: [Double] = [], actions: [Double] = []
        for trial in 0..<12 {
            let x = [generator.uniform(-4, 4), generator.uniform(-3, 3)]
            let u = [trial == 11 ? 2.5 : generator.uniform(-1.9, 1.9)]
            let xi = [generator.uniform(-3, 3), generator.uniform(-3, 3)]
            states += x; actions += u
            let got = Self.evaluate(model, x, u, xi)
            let each = singles.map { Self.evaluate($0, x, u, xi) }
            let mean = (0..<got.count).map { i in each.reduce(0) { $0 + $1[i] } / Double(k) }
            assertClose(got, mean, rtol: 1e-12, atol: 1e-13, "x′, A, B, Aᵀξ, Bᵀξ at x = \(x), u = \(u)")
        }
        var batch = [Double](repeating: .nan, count: states.count)
        states.withUnsafeBufferPointer { xs in actions.withUnsafeBufferPointer { us in batch.withUnsafeMutableBufferPointer {
            model.transitionBatch(states: xs.baseAddress!, actions: us.baseAddress!, next: $0.baseAddress!, count: actions.count)
        } } }
        for s in 0..<actions.count {
            let single = Self.evaluate(model, Array(states[(2 * s)..<(2 * s + 2)]), [actions[s]], [0, 0])
            assertClose(Array(batch[(2 * s)..<(2 * s + 2)]), Array(single[0..<2]), rtol: 1e-12, atol: 1e-13, "batch pair \(s)")
        }
    }

    /// x′ (2), A (4), B (2), Aᵀξ (2), Bᵀξ (1) of `model` at (x, u).
    static func evaluate(_ model: LearnedDynamics, _ x: [Double], _ u: [Double], _ xi: [Double]) -> [Double] {
        var next = [0.0, 0], a = [Double](repeating: 0, count: 4), b = [0.0, 0], recorded = next
        var tape = [Double](repeating: .nan, count: model.adjointTapeCount)
        var stateCotangent = [0.0, 0], actionCotangent = [0.0]
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
            next.withUnsafeMutableBufferPointer { model.transition(state: xs, action: us, next: $0) }
            a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
            tape.withUnsafeMutableBufferPointer { tp in
                recorded.withUnsafeMutableBufferPointer { model.transitionRecording(state: xs, action: us, next: $0, tape: tp.baseAddress!) }
                xi.withUnsafeBufferPointer { cp in stateCotangent.withUnsafeMutableBufferPointer { sp in actionCotangent.withUnsafeMutableBufferPointer {
                    model.pullback(state: xs, action: us, tape: tp.baseAddress!, cotangent: cp.baseAddress!,
                                   stateCotangent: sp.baseAddress!, actionCotangent: $0.baseAddress!)
                } } }
            }
        } }
        precondition(recorded == next)
        return next + a + b + stateCotangent + actionCotangent
    }

    static func agentOptions(members: Int, seed: UInt64) throws -> LearningAgentOptions {
        var options = try LearningAgentTests.options(seed: seed, explorationSteps: 200, learningInterval: 4, swapInterval: 6, hidden: [16])
        options.learner.ensembleSize = members
        try options.validate()
        return options
    }

    /// A learning agent with an ensemble of 3: a model swap allocates nothing; saved and loaded it
    /// acts as the original bit for bit (all three members are in the file); a file whose options
    /// ask for 3 members but which holds fewer is a typed error.
    @Test func ensembleAgentSwapsSavesAndLoads() throws {
        var agent = try LearningAgent(options: Self.agentOptions(members: 3, seed: 4))
        _ = LearningAgentTests.drive(&agent, steps: 260, seed: 4)
        #expect(agent.phase == .controlling && agent.modelVersion >= 3 && agent.model?.ensembleSize == 3)
        let (swaps, allocations) = LearningAgentTests.swapAllocations(&agent)
        #expect(swaps >= 4, "only \(swaps) swaps without a learning slice")
        #expect(allocations == 0, "\(allocations) allocations in \(swaps) swaps")

        let bytes = try agent.encoded(includeMemory: true)
        var loaded = try LearningAgent.decode(bytes)
        #expect(loaded.model?.ensembleSize == 3)
        agent.isLearning = false
        loaded.isLearning = false
        let original = LearningAgentTests.drive(&agent, steps: 40, seed: 8), restored = LearningAgentTests.drive(&loaded, steps: 40, seed: 8)
        #expect(original.map(\.bitPattern) == restored.map(\.bitPattern))
        #expect(Set(original).count > 5, "the compared actions vary")

        // The same agent's file as a version-1 file (one network) is refused by name.
        var older = bytes
        older[4] = 1
        Self.reseal(&older)
        do { _ = try LearningAgent.decode(older); Issue.record("a version-1 file with an ensemble was accepted") } catch let error as LearningAgentFileError {
            #expect("\(error)".contains("ensemble of 3"), "\(error)")
        }
    }

    /// A version-1 file (one network, written before ensembles) still loads and acts as its agent.
    @Test func versionOneFilesStillLoad() throws {
        var agent = try LearningAgent(options: Self.agentOptions(members: 1, seed: 5))
        _ = LearningAgentTests.drive(&agent, steps: 220, seed: 5)
        var bytes = try agent.encoded()
        #expect(bytes[4] == 2)
        bytes[4] = 1
        Self.reseal(&bytes)
        var loaded = try LearningAgent.decode(bytes)
        agent.isLearning = false
        loaded.isLearning = false
        #expect(LearningAgentTests.drive(&agent, steps: 30, seed: 2) == LearningAgentTests.drive(&loaded, steps: 30, seed: 2))
    }

    /// Rewrites the file's trailing checksum after an edit.
    static func reseal(_ bytes: inout [UInt8]) {
        let checksum = fileChecksum(bytes[0..<(bytes.count - 8)])
        for i in 0..<8 { bytes[bytes.count - 8 + i] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(i))) }
    }
}
