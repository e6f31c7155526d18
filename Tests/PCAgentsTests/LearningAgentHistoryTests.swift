import Foundation
import Testing
@testable import PCAgents
import PCEnvironment
import PCNumerics
import _PCAllocationCounter
import _PCTestSupport

/// The stacked-history state (``LearningAgentOptions/history``): the learned model's exact shift,
/// Jacobians and adjoint; a robot that reports only its position, controlled with history 2 and
/// not with history 1; allocation-free steps; files; strict ranges.
@Suite struct LearningAgentHistoryTests {
    // MARK: The robot: a mass on a spring observed as its position only

    /// x″ = u − 4x − 0.5ẋ at 20 Hz (semi-implicit Euler, as `Examples/python/own_robot.py`), |u| ≤ 4.
    struct Spring {
        var position = 0.0, velocity = 0.0
        mutating func advance(_ force: Double) {
            velocity += 0.05 * (force - 4 * position - 0.5 * velocity)
            position += 0.05 * velocity
        }
    }

    /// A learning agent for the spring that holds position 0.5 (goal-only form, precision 10).
    static func springOptions(history: Int, seed: UInt64, learningInterval: Int = 1,
                              swapInterval: Int = 50) throws -> LearningAgentOptions {
        let goal = try LearningGoal(target: [0.5], precision: [10], explorationSteps: 300, history: history)
        var options = try LearningAgentOptions(goal: goal, actionLower: [-4], actionUpper: [4], controlPeriod: 0.05, seed: seed)
        options.learningInterval = learningInterval
        options.swapInterval = swapInterval
        try options.validate()
        return options
    }

    /// Drives `agent` on the spring for `steps` steps from random starts x, ẋ ~ U(−1, 1) (a new one
    /// and a reset every `episode` steps); returns the actions.
    static func drive(_ agent: inout LearningAgent, steps: Int, seed: UInt64, episode: Int = 100) -> [Double] {
        var generator = Xoshiro256(seed: seed)
        var robot = Spring(), action = [0.0], observation = [0.0], actions: [Double] = []
        for t in 0..<steps {
            if t % episode == 0 {
                robot = Spring(position: generator.uniform(-1, 1), velocity: generator.uniform(-1, 1))
                agent.reset(seed: seed &+ UInt64(t))
            }
            observation[0] = robot.position
            _ = agent.step(observation, action: &action)
            actions.append(action[0])
            robot.advance(action[0])
        }
        return actions
    }

    /// Learns for `budget` steps, then, frozen, holds 0.5 from 4 fixed starts for 100 steps each:
    /// returns the RMS of x − 0.5 over the last 50 steps of every episode.
    static func holdError(history: Int, seed: UInt64, budget: Int) throws -> (rms: Double, agent: LearningAgent) {
        var agent = try LearningAgent(options: springOptions(history: history, seed: seed))
        _ = drive(&agent, steps: budget, seed: seed)
        agent.isLearning = false
        var squares = 0.0, count = 0, action = [0.0], observation = [0.0]
        for (k, start) in [(-1.0, 0.0), (0.0, 0.0), (1.0, -1.0), (0.5, 1.0)].enumerated() {
            var robot = Spring(position: start.0, velocity: start.1)
            agent.reset(seed: 900 + UInt64(k))
            for t in 0..<100 {
                observation[0] = robot.position
                _ = agent.step(observation, action: &action)
                robot.advance(action[0])
                if t >= 50 { squares += (robot.position - 0.5) * (robot.position - 0.5); count += 1 }
            }
        }
        return ((squares / Double(count)).squareRoot(), agent)
    }

    /// A robot that reports only its position: with history 2 (position, previous position,
    /// previous action) the agent learns to hold x = 0.5; the same agent with history 1 cannot see
    /// the velocity and does measurably worse, on every seed.
    @Test func historyTwoHoldsASpringObservedByPositionOnly() throws {
        var stacked: [Double] = [], plain: [Double] = []
        for seed: UInt64 in [1, 2] {
            let two = try Self.holdError(history: 2, seed: seed, budget: 1500)
            let one = try Self.holdError(history: 1, seed: seed, budget: 1500)
            #expect(two.agent.phase == .controlling && one.agent.phase == .controlling)
            #expect(two.agent.model?.stateDimension == 3 && one.agent.model?.stateDimension == 1)
            stacked.append(two.rms); plain.append(one.rms)
            print("LearningAgent spring (position only), seed \(seed): hold RMS |x − 0.5| history 2: \(two.rms), history 1: \(one.rms); online RMS \(two.agent.onlinePredictionError.rootMeanSquare) vs \(one.agent.onlinePredictionError.rootMeanSquare)")
        }
        // Measured: history 2 0.0116 and 0.0121, history 1 0.242 and 0.236 (seeds 1, 2).
        for (two, one) in zip(stacked, plain) {
            #expect(two < 0.03, "history 2 holds within 0.03 (RMS \(two))")
            #expect(one > 0.1 && one > 5 * two, "history 1 (RMS \(one)) is not clearly worse than history 2 (RMS \(two))")
        }
    }

    // MARK: The learned model with a history

    /// A learned model on (θ, θ̇) observations with history 3: n = 3·2 + 2·1 = 8, angles 0, 2, 4.
    static func model() throws -> LearnedDynamics {
        let options = try ModelLearnerOptions(stateDimension: 8, actionDimension: 1, timeStep: 0.05, angleIndices: [0, 2, 4],
                                              actionLower: [-2], actionUpper: [2], hiddenSizes: [16], batchSize: 32,
                                              seed: 3, history: 3)
        #expect(options.predictedDimension == 2 && options.featureDimension == 12)
        var learner = try ModelLearner(options: options)
        var generator = Xoshiro256(seed: 8)
        for _ in 0..<200 {
            let x = (0..<8).map { _ in generator.uniform(-2, 2) }, u = [generator.uniform(-2, 2)]
            var next = [Double](repeating: 0, count: 8)
            next[0] = x[0] + 0.05 * x[1]; next[1] = x[1] + 0.1 * sin(x[0]) + 0.2 * u[0] - 0.05 * x[3]
            try learner.record(state: x, action: u, next: next)
        }
        try learner.train(batches: 20)
        #expect(learner.network.sizes == [12, 16, 2] && learner.normalization?.outputOffset.count == 2)
        #expect(learner.predictionError(heldOut: true)?.rootMeanSquare.count == 2 && learner.onlineError.rootMeanSquare.count == 2)
        return try #require(learner.dynamics)
    }

    static func transition(_ model: some TransitionModel, _ x: [Double], _ u: [Double]) -> [Double] {
        var next = [Double](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeMutableBufferPointer { model.transition(state: xs, action: us, next: $0) } } }
        return next
    }

    static func linearize(_ model: some LinearizableModel, _ x: [Double], _ u: [Double]) -> (a: [Double], b: [Double]) {
        let n = model.stateDimension, m = model.actionDimension
        var a = [Double](repeating: .nan, count: n * n), b = [Double](repeating: .nan, count: n * m)
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
            a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
        } }
        return (a, b)
    }

    /// x′ = (network's o′, o_t, o_{t−1}, clip(u), a_{t−1}); A and B against central finite
    /// differences (with the shift rows exactly identity blocks and ∂clip/∂u); the pullback equals
    /// Aᵀξ and Bᵀξ; the recording and batch transitions equal `transition` bit for bit.
    @Test func modelShiftsTheHistoryExactlyWithItsJacobiansAndAdjoint() throws {
        let model = try Self.model()
        #expect(model.stateDimension == 8 && model.history == 3 && model.predictedDimension == 2)
        let numeric = FiniteDifferenceLinearization(model)
        var generator = Xoshiro256(seed: 31)
        var tape = [Double](repeating: .nan, count: model.adjointTapeCount)
        var states: [Double] = [], actions: [Double] = [], expected: [Double] = []
        for trial in 0..<20 {
            let x = (0..<8).map { _ in generator.uniform(-3, 3) }
            let u = [trial == 19 ? 2.5 : generator.uniform(-1.9, 1.9)]
            let next = Self.transition(model, x, u)
            // The shift: older observations, the clipped action, the older action.
            #expect(Array(next[2..<6]) == Array(x[0..<4]))
            #expect(next[6] == min(max(u[0], -2), 2) && next[7] == x[6])
            let (a, b) = Self.linearize(model, x, u)
            if trial < 19 {
                let (na, nb) = Self.linearize(numeric, x, u)
                assertClose(a, na, rtol: 1e-5, atol: 1e-6, "A at x = \(x), u = \(u)")
                assertClose(b, nb, rtol: 1e-5, atol: 1e-6, "B at x = \(x), u = \(u)")
            }
            for i in 2..<8 {
                let column: Int? = i < 6 ? i - 2 : (i == 7 ? 6 : nil)
                for j in 0..<8 { #expect(a[i * 8 + j] == (j == column ? 1 : 0), "A[\(i), \(j)]") }
                #expect(b[i] == (i == 6 && trial < 19 ? 1 : 0), "B[\(i)]")
            }
            // The adjoint of the recorded pass.
            let xi = (0..<8).map { _ in generator.uniform(-3, 3) }
            var recorded = [Double](repeating: .nan, count: 8), stateCotangent = recorded, actionCotangent = [Double.nan]
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in tape.withUnsafeMutableBufferPointer { tp in
                recorded.withUnsafeMutableBufferPointer { model.transitionRecording(state: xs, action: us, next: $0, tape: tp.baseAddress!) }
                xi.withUnsafeBufferPointer { cp in stateCotangent.withUnsafeMutableBufferPointer { sp in actionCotangent.withUnsafeMutableBufferPointer {
                    model.pullback(state: xs, action: us, tape: tp.baseAddress!, cotangent: cp.baseAddress!,
                                   stateCotangent: sp.baseAddress!, actionCotangent: $0.baseAddress!)
                } } }
            } } }
            #expect(recorded.map(\.bitPattern) == next.map(\.bitPattern))
            let transposedA = (0..<8).map { j in (0..<8).reduce(0.0) { $0 + a[$1 * 8 + j] * xi[$1] } }
            let transposedB = [(0..<8).reduce(0.0) { $0 + b[$1] * xi[$1] }]
            assertClose(stateCotangent, transposedA, rtol: 1e-12, atol: 1e-13, "Aᵀξ at x = \(x), u = \(u)")
            assertClose(actionCotangent, transposedB, rtol: 1e-12, atol: 1e-13, "Bᵀξ at x = \(x), u = \(u)")
            if trial == 19 { #expect(actionCotangent == [0]) }
            states += x; actions += u; expected += next
        }
        // transitionAndLinearize gives the same x′, A and B.
        let x = Array(states[0..<8]), u = [actions[0]]
        var next = [Double](repeating: .nan, count: 8), a = [Double](repeating: .nan, count: 64), b = next
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in next.withUnsafeMutableBufferPointer { np in
            a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer {
                model.transitionAndLinearize(state: xs, action: us, next: np, stateJacobian: ap, actionJacobian: $0)
            } }
        } } }
        #expect(next == Array(expected[0..<8]))
        #expect(a == Self.linearize(model, x, u).a && b == Self.linearize(model, x, u).b)
        // The batch.
        var batch = [Double](repeating: .nan, count: expected.count)
        states.withUnsafeBufferPointer { s in actions.withUnsafeBufferPointer { u in batch.withUnsafeMutableBufferPointer {
            model.transitionBatch(states: s.baseAddress!, actions: u.baseAddress!, next: $0.baseAddress!, count: 20)
        } } }
        // The batch runs in the kernel (fused multiply–adds, polynomial tanh, sin, cos): to rounding.
        // The shifted coordinates are copies: exact.
        assertClose(batch, expected, rtol: 1e-12, atol: 1e-12, "the batched transition with a history")
        for s in 0..<20 { for i in 2..<8 { #expect(batch[s * 8 + i].bitPattern == expected[s * 8 + i].bitPattern) } }
    }

    // MARK: The agent with a history

    /// After a reset the history is filled at rest and nothing is recorded until k − 1 real steps
    /// have passed; the planner perceives the stacked state.
    @Test func noTransitionIsRecordedBeforeTheHistoryIsReal() throws {
        for (history, expected) in [(1, 4), (2, 3), (3, 2)] {
            var agent = try LearningAgent(options: Self.springOptions(history: history, seed: 1))
            #expect(agent.observationDimension == 1 && agent.options.stateDimension == 2 * history - 1)
            var action = [0.0]
            agent.reset(seed: 0)
            for x in [0.1, 0.2, 0.3, 0.4, 0.5] { _ = agent.step([x], action: &action) }
            #expect(agent.transitionCount == expected, "history \(history)")
            // A reset forgets the history: the next k observations record k − 1 fewer transitions.
            agent.reset(seed: 1)
            for x in [0.1, 0.2] { _ = agent.step([x], action: &action) }
            #expect(agent.transitionCount == expected + (history == 1 ? 1 : 0))
        }
    }

    /// After warm-up a controlling step with history 2 without a learning slice or a swap allocates nothing.
    @Test func controlStepWithHistoryAllocatesNothing() throws {
        var agent = try LearningAgent(options: Self.springOptions(history: 2, seed: 2, learningInterval: 4, swapInterval: 1000))
        _ = Self.drive(&agent, steps: 340, seed: 2)
        #expect(agent.phase == .controlling)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter must be linked")
        var robot = Spring(position: 0.2, velocity: 0), observation = [0.2], action = [0.0]
        _ = agent.step(observation, action: &action)
        var quiet: UInt64 = 0, quietSteps = 0
        for _ in 0..<40 {
            let learns = (agent.stepCount + 1) % 4 == 0
            observation[0] = robot.position
            let before = pck_thread_allocation_count()
            _ = agent.step(observation, action: &action)
            let count = pck_thread_allocation_count() - before
            #expect(!agent.lastStepSwappedModel)
            if !learns { quiet += count; quietSteps += 1 }
            robot.advance(action[0])
        }
        #expect(quietSteps == 30 && quiet == 0, "\(quiet) allocations in \(quietSteps) non-learning controlling steps")
    }

    /// A saved agent with history 2, loaded, acts as the original bit for bit; its options carry
    /// `history`, and options written without it load with history 1.
    @Test func savedAgentWithHistoryActsAsTheOriginal() throws {
        var original = try LearningAgent(options: Self.springOptions(history: 2, seed: 6, swapInterval: 1000))
        _ = Self.drive(&original, steps: 340, seed: 6)
        #expect(original.phase == .controlling && original.modelVersion == 1)
        let bytes = try original.encoded(includeMemory: true)
        var loaded = try LearningAgent.decode(bytes, observationDimension: 1, actionDimension: 1)
        #expect(loaded.options == original.options && loaded.options.history == 2)
        #expect(loaded.learner.training.deltas.count == loaded.learner.training.count)
        #expect(loaded.learner.training.states.count == 3 * loaded.learner.training.count)
        let a = Self.drive(&original, steps: 80, seed: 77), b = Self.drive(&loaded, steps: 80, seed: 77)
        #expect(original.modelVersion == 1 && loaded.modelVersion == 1, "no swap inside the comparison")
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(Set(a).count > 10, "the compared actions vary")

        // Options JSON written before `history` existed (no key at either level) decode with history 1.
        let plain = try Self.springOptions(history: 1, seed: 6)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain)) as! [String: Any]
        #expect(json["history"] as? Int == 1)
        json["history"] = nil
        var learner = json["learner"] as! [String: Any]
        learner["history"] = nil
        json["learner"] = learner
        let old = try JSONDecoder().decode(LearningAgentOptions.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old == plain && old.history == 1 && old.learner.history == 1)
    }

    /// History outside 1…16, a learner that disagrees, or a stacked state beyond the dimension limit
    /// are refused, naming the field and the range; the goal's key is strict.
    @Test func badHistoryIsRefusedWithTheRange() throws {
        let range = "must be within 1…16 (observations stacked in the state; 1: the state is the observation)"
        for bad in [0, -1, 17] {
            #expect(throws: AgentConfigurationError.invalidValue(field: "history", value: "\(bad)", requirement: range)) {
                var options = try Self.springOptions(history: 1, seed: 0)
                options.history = bad
                try options.validate()
            }
            #expect(throws: AgentConfigurationError.invalidValue(field: "goal.history", value: "\(bad)", requirement: range)) {
                _ = try LearningGoal(target: [0.5], precision: [10], history: bad)
            }
            #expect(throws: AgentConfigurationError.invalidValue(field: "history", value: "\(bad)", requirement: range)) {
                _ = try ModelLearnerOptions(stateDimension: 3, actionDimension: 1, timeStep: 0.05, actionLower: [-1], actionUpper: [1],
                                            history: bad)
            }
        }
        // n = 4 is not 2·o + 1 for a whole o.
        #expect(throws: AgentConfigurationError.self) {
            _ = try ModelLearnerOptions(stateDimension: 4, actionDimension: 1, timeStep: 0.05, actionLower: [-1], actionUpper: [1], history: 2)
        }
        var mismatched = try Self.springOptions(history: 2, seed: 0)
        mismatched.learner.history = 1
        #expect(throws: AgentConfigurationError.invalidValue(field: "learner.history", value: "1", requirement: "must equal history 2")) {
            try mismatched.validate()
        }
        do {
            _ = try LearningAgentOptions(observationDimension: 600, actionLower: [-1], actionUpper: [1], controlPeriod: 0.05,
                                         planner: .pendulumSwingUp, history: 2)
            Issue.record("a 1201-value state was accepted")
        } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
            #expect(field == "history" && requirement.contains("at most \(AgentLimits.maximumDimension)"))
        }
        func refusal(_ json: String) -> String {
            do { _ = try AgentConfiguration.decode(Data(json.utf8)); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "histroy": 2}}"#).contains("history"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "history": 17}}"#).contains("1…16"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "history": 2}}"#) == "accepted")
    }

    /// The goal-only form with history 2: the planner's goal is over n = 2·o + m, with the goal's
    /// precision on the newest observation and zero on the history; angles in every copy.
    @Test func goalWithHistoryExpandsOverTheStackedState() throws {
        let goal = try LearningGoal(target: [0.5, 0], precision: [10, 0.1], angleIndices: [0], history: 2)
        let options = try LearningAgentOptions(goal: goal, actionLower: [-4], actionUpper: [2], controlPeriod: 0.05)
        #expect(options.observationDimension == 2 && options.stateDimension == 5 && options.history == 2)
        #expect(options.planner.goal == [0.5, 0, 0.5, 0, -1] && options.planner.goalPrecision == [10, 0.1, 0, 0, 0])
        #expect(options.planner.outcome.angleIndices == [0, 2] && options.learner.angleIndices == [0, 2])
        #expect(options.learner.stateDimension == 5 && options.learner.predictedDimension == 2)
        _ = try LearningAgent(options: options)
    }
}
