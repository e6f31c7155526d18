import Testing
import PCAgents
import PCCore
import PCEnvironment
import PCNumerics
import PCSims
import _PCAllocationCounter
import _PCTestSupport

/// The ModelLearner on Pendulum-v1: learning from a few hundred babbling transitions, analytic
/// Jacobians against finite differences, typed errors, determinism, allocation-free evaluation.
@Suite struct ModelLearnerTests {
    static func options(hidden: [Int] = [16], activation: Activation = .tanh, seed: UInt64 = 0) throws -> ModelLearnerOptions {
        try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                actionLower: [-2], actionUpper: [2], hiddenSizes: hidden, activation: activation,
                                batchSize: 32, seed: seed)
    }

    /// Records `steps` babbling transitions of the Gymnasium pendulum (a fresh random start every 50 steps).
    static func babble(_ learner: inout ModelLearner, steps: Int, seed: UInt64) throws {
        var environment = Pendulum()
        var babbling = try MotorBabbling(lower: [-2], upper: [2], holdSteps: 2, seed: seed)
        var observation = [0.0, 0, 0], next = observation, action = [0.0]
        for t in 0..<steps {
            if t % 50 == 0 { observation = environment.reset(seed: seed * 1000 + UInt64(t / 50)) }
            babbling.action(into: &action)
            _ = try environment.step(action, observation: &next)
            try learner.record(observation: observation, action: action, nextObservation: next)
            observation = next
        }
    }

    @Test func learnsPendulumDynamicsFromFourHundredTransitions() throws {
        var learner = try ModelLearner(options: Self.options())
        try Self.babble(&learner, steps: 400, seed: 1)
        #expect(learner.trainingCount == 360 && learner.heldOutCount == 40)
        let report = try learner.train(batches: 2_000)
        // IL drives the standardised squared error (F_B = ½ mean ‖y − ŷ‖²) down by more than 100× (measured: ~470×).
        #expect(report.finalEnergy < report.initialEnergy / 100, "F \(report.initialEnergy) → \(report.finalEnergy)")
        #expect(report.divergedBatches == 0)
        let heldOut = try #require(learner.predictionError(heldOut: true))
        #expect(heldOut.count == 40)
        // Δθ̇ has a standard deviation of ~0.5 rad/s over babbling; predicting no change would err by
        // that much. The learned model must be within 0.04 rad/s (θ: 0.015 rad) on unseen transitions (measured 0.023, 0.0086).
        #expect(heldOut.rootMeanSquare[0] < 0.015, "θ RMS \(heldOut.rootMeanSquare[0])")
        #expect(heldOut.rootMeanSquare[1] < 0.04, "θ̇ RMS \(heldOut.rootMeanSquare[1])")
        // Online error: new transitions are predicted before they are learned.
        try Self.babble(&learner, steps: 100, seed: 2)
        #expect(learner.onlineError.count == 100)
        #expect(learner.onlineError.rootMeanSquare[1] < 0.05, "online θ̇ RMS \(learner.onlineError.rootMeanSquare[1])")
    }

    @Test func plannerOnTheLearnedModelSwingsUpThePendulum() throws {
        var learner = try ModelLearner(options: Self.options())
        try Self.babble(&learner, steps: 400, seed: 1)
        try learner.train(batches: 2_000)
        var controller = try PredictiveController(model: try #require(learner.dynamics), options: .pendulumSwingUp)
        var environment = Pendulum()
        // Fixture seed 0 starts near the bottom; 400 babbling transitions are the only data.
        var observation = try environment.reset(state: GymnasiumInitialStates.pendulum[0])
        controller.reset(seed: 0)
        var action = [0.0], total = 0.0, lastAngles: [Double] = []
        for t in 0..<Pendulum.episodeSteps {
            _ = controller.step(observation, action: &action)
            total += try environment.step(action, observation: &observation).reward
            if t >= Pendulum.episodeSteps - 50 { lastAngles.append(abs(wrapAngle(environment.angle))) }
        }
        #expect(lastAngles.allSatisfy { $0 < 0.1 }, "upright over the last 50 steps (max |θ| \(lastAngles.max()!))")
        // The true-model planner scores −126.3 from this start (`pcctl run pendulum --episodes 1`); measured −128.9 here.
        #expect(total > -140, "return \(total)")
    }

    /// [80, 80] exceeds the 1 KiB stack scratch: its evaluation runs in the per-thread block.
    @Test(arguments: [([8, 8], Activation.tanh), ([8], Activation.softplus), ([6, 5], Activation.sigmoid), ([80, 80], Activation.tanh)])
    func jacobiansMatchFiniteDifferences(hidden: [Int], activation: Activation) throws {
        var learner = try ModelLearner(options: Self.options(hidden: hidden, activation: activation, seed: 7))
        try Self.babble(&learner, steps: 100, seed: 3)
        try learner.train(batches: 20)
        let model = try #require(learner.dynamics)
        let reference = FiniteDifferenceLinearization(model, relativeStep: 1e-6)
        var generator = Xoshiro256(seed: 11)
        for _ in 0..<20 {
            let x = [generator.uniform(-4, 4), generator.uniform(-8, 8)], u = [generator.uniform(-1.9, 1.9)]
            var a = [Double](repeating: 0, count: 4), b = [0.0, 0.0], aRef = a, bRef = b
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
                a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
                aRef.withUnsafeMutableBufferPointer { ap in bRef.withUnsafeMutableBufferPointer { reference.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
            } }
            // The one-pass evaluation the shooting planner uses gives the same numbers.
            var next = [0.0, 0.0], nextOnePass = next, aOnePass = a, bOnePass = b
            x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
                next.withUnsafeMutableBufferPointer { model.transition(state: xs, action: us, next: $0) }
                nextOnePass.withUnsafeMutableBufferPointer { np in aOnePass.withUnsafeMutableBufferPointer { ap in
                    bOnePass.withUnsafeMutableBufferPointer {
                        model.transitionAndLinearize(state: xs, action: us, next: np, stateJacobian: ap, actionJacobian: $0)
                    } } }
            } }
            #expect(next == nextOnePass && a == aOnePass && b == bOnePass)
            assertClose(a, aRef, rtol: 1e-6, atol: 1e-7, "A at x = \(x), u = \(u)")
            assertClose(b, bRef, rtol: 1e-6, atol: 1e-7, "B at x = \(x), u = \(u)")
        }
        // Beyond the torque bound the action is clipped before the network: B = 0, as for the true model.
        let x = [0.3, -1.0], u = [2.5]
        var a = [Double](repeating: 0, count: 4), b = [1.0, 1.0]
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
            a.withUnsafeMutableBufferPointer { ap in b.withUnsafeMutableBufferPointer { model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: $0) } }
        } }
        #expect(b == [0, 0])
    }

    /// Small networks evaluate in stack scratch, large ones ([96]: 2 × 96 products) in a per-thread
    /// block that is allocated once: neither allocates after the first call.
    @Test(arguments: [[16, 16], [96]])
    func evaluationAllocatesNothing(hidden: [Int]) throws {
        var learner = try ModelLearner(options: Self.options(hidden: hidden))
        try Self.babble(&learner, steps: 100, seed: 4)
        try learner.train(batches: 5)
        let model = try #require(learner.dynamics)
        let x = [0.4, 1.0], u = [0.5]
        var next = [0.0, 0.0], a = [0.0, 0, 0, 0], b = [0.0, 0.0]
        x.withUnsafeBufferPointer { xs in u.withUnsafeBufferPointer { us in
            next.withUnsafeMutableBufferPointer { np in
                a.withUnsafeMutableBufferPointer { ap in
                    b.withUnsafeMutableBufferPointer { bp in
                        model.transition(state: xs, action: us, next: np)
                        model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: bp)
                        let before = pck_thread_allocation_count()
                        for _ in 0..<100 {
                            model.transition(state: xs, action: us, next: np)
                            model.linearize(state: xs, action: us, stateJacobian: ap, actionJacobian: bp)
                        }
                        #expect(pck_thread_allocation_count() - before == 0)
                    }
                }
            }
        } }
    }

    @Test func sameSeedAndDataGiveTheSameNetwork() throws {
        var first = try ModelLearner(options: Self.options(seed: 5)), second = first
        try Self.babble(&first, steps: 120, seed: 6)
        try Self.babble(&second, steps: 120, seed: 6)
        try first.train(batches: 10)
        try second.train(batches: 10)
        #expect(first.network == second.network)
        var other = try ModelLearner(options: Self.options(seed: 6))
        try Self.babble(&other, steps: 120, seed: 6)
        try other.train(batches: 10)
        #expect(first.network != other.network)
    }

    @Test func badInputIsATypedError() throws {
        var learner = try ModelLearner(options: Self.options())
        #expect(throws: ModelLearnerError.dimensionMismatch(what: "action", expected: 1, got: 2)) {
            try learner.record(state: [0, 0], action: [0, 0], next: [0, 0])
        }
        #expect(throws: ModelLearnerError.nonFiniteTransition(what: "next", index: 1)) {
            try learner.record(state: [0, 0], action: [0], next: [0, .nan])
        }
        #expect(throws: ModelLearnerError.dimensionMismatch(what: "observation", expected: 3, got: 2)) {
            try learner.record(observation: [1, 0], action: [0], nextObservation: [1, 0, 0])
        }
        #expect(learner.transitionCount == 0)
        #expect(throws: ModelLearnerError.insufficientData(required: 32, available: 0)) { try learner.train(batches: 1) }
        #expect(learner.predictionError(heldOut: true) == nil)
        #expect(throws: AgentConfigurationError.self) {
            try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [2],
                                    actionLower: [-2], actionUpper: [2])
        }
        #expect(throws: AgentConfigurationError.self) {
            try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, actionLower: [2], actionUpper: [-2])
        }
    }

    @Test func babblingIsSeededAndHeld() throws {
        var first = try MotorBabbling(lower: [-2], upper: [2], holdSteps: 3, seed: 9), second = first
        var a = [0.0], b = [0.0], actions: [Double] = []
        for _ in 0..<12 {
            first.action(into: &a); second.action(into: &b)
            #expect(a == b)
            #expect(abs(a[0]) <= 2)
            actions.append(a[0])
        }
        for k in 0..<12 { #expect(actions[k] == actions[k - k % 3]) }
        #expect(Set(actions).count == 4)
    }
}
