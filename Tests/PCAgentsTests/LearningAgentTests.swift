import Foundation
import Testing
import PCAgents
import PCCore
import PCEnvironment
import PCNumerics
import PCSims
import _PCAllocationCounter
import _PCTestSupport

/// The LearningAgent on a pendulum it was not built for (Gymnasium's Pendulum-v1 equations with
/// m = 1.3, l = 1.2), observed as its state (θ, θ̇): it explores, learns and swings up within 5,000
/// interaction steps; learning per step is bounded; saved agents act as the original; options are strict.
@Suite struct LearningAgentTests {
    /// θ̈ = 3g/(2l) sin θ + 3/(m l²) u, Δt 0.05, |u| ≤ 2, |θ̇| ≤ 8 (Gymnasium's order of operations).
    static let plant = try! PendulumModel(mass: 1.3, length: 1.2)

    /// Swing-up planner on observations (θ, θ̇): the goal prior is on (wrap θ, θ̇) at 0.
    static func planner() throws -> PredictiveControllerOptions {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.observation = try ObservationLayout(stateDimension: 2)
        return options
    }

    static func options(seed: UInt64, explorationSteps: Int = 1000, batchesPerStep: Int = 2, learningInterval: Int = 1,
                        swapInterval: Int = 50, hidden: [Int] = [32]) throws -> LearningAgentOptions {
        let learner = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                              actionLower: [-2], actionUpper: [2],
                                              observation: ObservationLayout(stateDimension: 2), hiddenSizes: hidden,
                                              batchSize: 32, seed: seed)
        return try LearningAgentOptions(observationDimension: 2, actionLower: [-2], actionUpper: [2], angleIndices: [0],
                                        controlPeriod: 0.05, explorationSteps: explorationSteps, explorationHoldSteps: 2,
                                        seed: seed, learner: learner, planner: planner(), batchesPerStep: batchesPerStep,
                                        learningInterval: learningInterval, swapInterval: swapInterval)
    }

    /// Gymnasium's reset distribution θ ~ U(−π, π), θ̇ ~ U(−1, 1), from a seeded generator.
    static func randomStart(_ generator: inout Xoshiro256) -> [Double] {
        [generator.uniform(-Double.pi, Double.pi), generator.uniform(-1, 1)]
    }

    /// One plant step; returns the reward −(wrap θ² + 0.1 θ̇² + 0.001 u²).
    static func advance(_ state: inout [Double], _ action: [Double]) -> Double {
        let reward = -plant.cost(angle: state[0], velocity: state[1], torque: action[0])
        let next = plant.advance(angle: state[0], velocity: state[1], torque: action[0])
        state = [next.angle, next.velocity]
        return reward
    }

    /// What one learning run did.
    struct Run {
        var agent: LearningAgent
        var finalAngle: Double
        var evaluationReturn: Double
        var steps: Int
        var maxBatchesPerStep: Int
        var maxLearningSeconds: Double
        var actions: [Double]
    }

    /// Explores from random starts (a new one every 50 steps), controls 200-step episodes from random
    /// starts, and spends the last 200 of `budget` steps on an episode from the hanging start.
    static func learnAndSwingUp(seed: UInt64, budget: Int = 5000, options: LearningAgentOptions) throws -> Run {
        var agent = try LearningAgent(options: options)
        var generator = Xoshiro256(seed: 10_000 + seed)
        var action = [0.0], state = [Double.pi, 0], actions: [Double] = []
        var steps = 0, episode = 0, maxBatches = 0, maxSeconds = 0.0
        var evaluationReturn = 0.0
        while steps < budget {
            let evaluation = budget - steps <= 200
            let length = agent.phase == .exploring ? 50 : 200
            state = evaluation ? [Double.pi, 0] : randomStart(&generator)
            agent.reset(seed: seed &* 1000 &+ UInt64(episode))
            episode += 1
            var total = 0.0
            for _ in 0..<min(length, budget - steps) {
                _ = agent.step(state, action: &action)
                actions.append(action[0])
                maxBatches = max(maxBatches, agent.lastStepBatches)
                maxSeconds = max(maxSeconds, agent.lastStepLearningSeconds)
                total += advance(&state, action)
                steps += 1
                if agent.phase == .controlling && length == 50 { break }  // exploration just ended
            }
            if evaluation { evaluationReturn = total }
        }
        return Run(agent: agent, finalAngle: wrappedAngle(state[0]), evaluationReturn: evaluationReturn, steps: steps,
                   maxBatchesPerStep: maxBatches, maxLearningSeconds: maxSeconds, actions: actions)
    }

    /// The same planner on the true plant, from the hanging start: its 200-step return.
    static func trueModelRun() throws -> (return: Double, finalAngle: Double) {
        var agent = try PredictiveController(model: FiniteDifferenceLinearization(plant), options: planner())
        agent.reset(seed: 0)
        var state = [Double.pi, 0], action = [0.0], total = 0.0
        for _ in 0..<200 {
            _ = agent.step(state, action: &action)
            total += advance(&state, action)
        }
        return (total, wrappedAngle(state[0]))
    }

    /// 1. Within 5,000 steps (1,000 babbling, then on-policy episodes, the last 200 from the hanging
    /// start) the agent swings the heavier, longer pendulum up and holds it on at least two thirds of
    /// the seeds, with a mean return within 10 % of the same planner on the true plant.
    /// `PCKIT_LEARNING_AGENT_SEEDS=k` runs seeds 1…k (default 3) and `PCKIT_LEARNING_AGENT_STEPS=s`
    /// gives each s ≤ 5,000 interaction steps (default 2,400: 1,000 babbling, then 1,200 on-policy and
    /// the final 200 from the hanging start); the release measurement uses more seeds and 5,000 steps.
    @Test func swingsUpAnUnknownPendulumWithinFiveThousandSteps() throws {
        let count = ProcessInfo.processInfo.environment["PCKIT_LEARNING_AGENT_SEEDS"].flatMap { Int($0) } ?? 3
        let seeds = (1...max(count, 1)).map { UInt64($0) }
        let budget = ProcessInfo.processInfo.environment["PCKIT_LEARNING_AGENT_STEPS"].flatMap { Int($0) } ?? 2400
        var upright = 0, returns: [Double] = []
        for seed in seeds {
            let start = monotonicSeconds()
            let run = try Self.learnAndSwingUp(seed: seed, budget: budget, options: Self.options(seed: seed))
            let seconds = monotonicSeconds() - start
            #expect(run.steps == budget && budget <= 5000)
            #expect(run.maxBatchesPerStep <= 2)
            #expect(run.agent.phase == .controlling)
            if abs(run.finalAngle) < 0.1 { upright += 1 }
            returns.append(run.evaluationReturn)
            print("LearningAgent seed \(seed): \(seconds) s, max slice \(run.maxLearningSeconds * 1e3) ms, final |θ| \(abs(run.finalAngle)), return \(run.evaluationReturn), model version \(run.agent.modelVersion), batches \(run.agent.batchesLearned), online RMS \(run.agent.onlinePredictionError.rootMeanSquare)")
        }
        let reference = try Self.trueModelRun()
        let mean = returns.reduce(0, +) / Double(returns.count)
        print("LearningAgent: \(upright)/\(seeds.count) upright, mean return \(mean) vs true-model planner \(reference.return)")
        #expect(3 * upright >= 2 * seeds.count, "only \(upright) of \(seeds.count) seeds ended upright")
        // The reference swings up too; the learned agent's return is within 10 % of its return.
        #expect(abs(reference.finalAngle) < 0.1)
        #expect(mean >= 1.1 * reference.return, "mean return \(mean) vs true-model planner \(reference.return)")
    }

    /// Drives `agent` for `steps` steps on the plant from random starts (a new one every 100
    /// steps); returns the actions. The observations depend only on the seed and the actions.
    static func drive(_ agent: inout LearningAgent, steps: Int, seed: UInt64) -> [Double] {
        var generator = Xoshiro256(seed: seed)
        var state = [0.0, 0.0], action = [0.0], actions: [Double] = []
        for t in 0..<steps {
            if t % 100 == 0 {
                state = randomStart(&generator)
                agent.reset(seed: seed &+ UInt64(t))
            }
            _ = agent.step(state, action: &action)
            actions.append(action[0])
            _ = advance(&state, action)
        }
        return actions
    }

    /// 2. No step learns more than its slice: ≤ batchesPerStep batches, only on every
    /// learningInterval-th step; a time budget cuts the slice to one batch.
    @Test func learningNeverExceedsTheSliceBudget() throws {
        var agent = try LearningAgent(options: Self.options(seed: 4, explorationSteps: 200, batchesPerStep: 3, learningInterval: 2))
        var generator = Xoshiro256(seed: 4)
        var state = Self.randomStart(&generator), action = [0.0]
        var histogram = [Int](repeating: 0, count: 4), maxStep = 0.0, maxLearning = 0.0, totalStep = 0.0, totalLearning = 0.0
        agent.reset(seed: 4)
        for t in 0..<500 {
            if t % 100 == 0 { state = Self.randomStart(&generator); agent.reset(seed: UInt64(t)) }
            let diagnostics = agent.step(state, action: &action)
            #expect(agent.lastStepBatches <= 3)
            if agent.stepCount % 2 == 1 { #expect(agent.lastStepBatches == 0) }
            histogram[min(agent.lastStepBatches, 3)] += 1
            maxStep = max(maxStep, diagnostics.computeTime)
            maxLearning = max(maxLearning, agent.lastStepLearningSeconds)
            totalStep += diagnostics.computeTime
            totalLearning += agent.lastStepLearningSeconds
            _ = Self.advance(&state, action)
        }
        // Learning starts at half the exploration (step 100); from then every second step learns 3 batches.
        #expect(histogram[3] == 200 && histogram[1] == 0 && histogram[2] == 0, "batches per step: \(histogram)")
        #expect(agent.batchesLearned == 600)
        print("LearningAgent slices of 3 batches on every 2nd step, 500 steps: step mean \(totalStep / 500 * 1e3) ms, max \(maxStep * 1e3) ms; learning slice mean \(totalLearning / 200 * 1e3) ms, max \(maxLearning * 1e3) ms")

        var options = try Self.options(seed: 4, explorationSteps: 200, batchesPerStep: 50)
        options.learningTimeBudget = 1e-9
        var budgeted = try LearningAgent(options: options)
        state = [1, 0]
        var learningSteps = 0
        for _ in 0..<150 {
            _ = budgeted.step(state, action: &action)
            #expect(budgeted.lastStepBatches <= 1, "a spent time budget still runs exactly one batch")
            if budgeted.lastStepBatches == 1 { learningSteps += 1 }
            _ = Self.advance(&state, action)
        }
        #expect(learningSteps == 50 && budgeted.batchesLearned == 50)
    }

    /// Reaches the controlling phase quickly (200 babbling steps), with no swap for 1,000 steps.
    static func trainedAgent(seed: UInt64) throws -> LearningAgent {
        var agent = try LearningAgent(options: Self.options(seed: seed, explorationSteps: 200, swapInterval: 1000))
        _ = drive(&agent, steps: 230, seed: seed)
        #expect(agent.phase == .controlling && agent.modelVersion == 1)
        return agent
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "pckit-\(name)-\(ProcessInfo.processInfo.processIdentifier).pcla"
    }

    /// 3. A saved agent, loaded, acts as the original bit for bit; damaged files give typed errors.
    @Test func savedAgentActsAsTheOriginalAndDamageIsNamed() throws {
        var original = try Self.trainedAgent(seed: 6)
        let path = Self.temporaryPath("save")
        defer { unlink(path) }
        try original.save(to: path, includeMemory: true)
        var loaded = try LearningAgent.load(from: path, observationDimension: 2, actionDimension: 1)
        #expect(loaded.options == original.options)
        #expect(loaded.phase == .controlling && loaded.modelVersion == original.modelVersion)
        #expect(loaded.transitionCount == original.transitionCount && loaded.batchesLearned == original.batchesLearned)
        let originalActions = Self.drive(&original, steps: 60, seed: 77)
        let loadedActions = Self.drive(&loaded, steps: 60, seed: 77)
        #expect(original.modelVersion == 1 && loaded.modelVersion == 1, "no swap inside the comparison")
        #expect(originalActions.map(\.bitPattern) == loadedActions.map(\.bitPattern))
        #expect(Set(originalActions).count > 10, "the compared actions vary")

        // Without the memory the file is smaller and the model the same.
        let small = try original.encoded(includeMemory: false), large = try original.encoded(includeMemory: true)
        #expect(small.count < large.count)
        var fromSmall = try LearningAgent.decode(small)
        #expect(fromSmall.transitionCount == original.transitionCount)
        var reference = try LearningAgent.decode(large)
        #expect(Self.drive(&fromSmall, steps: 20, seed: 9) == Self.drive(&reference, steps: 20, seed: 9))

        var corrupted = large
        corrupted[corrupted.count / 2] ^= 0x10
        #expect(throws: LearningAgentFileError.self) { try LearningAgent.decode(corrupted) }
        do { _ = try LearningAgent.decode(corrupted); Issue.record("a flipped byte was accepted") } catch let error as LearningAgentFileError {
            guard case .checksumMismatch = error else { Issue.record("expected checksumMismatch, got \(error)"); return }
            #expect(error.description.contains("checksum"))
        }
        // The same through a file.
        let damaged = Self.temporaryPath("damaged")
        defer { unlink(damaged) }
        try Data(corrupted).write(to: URL(fileURLWithPath: damaged))
        do { _ = try LearningAgent.load(from: damaged); Issue.record("a damaged file was accepted") } catch let error as LearningAgentFileError {
            guard case .checksumMismatch = error else { Issue.record("expected checksumMismatch, got \(error)"); return }
        }
        var wrongMagic = large
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(throws: LearningAgentFileError.notALearningAgentFile(path: "<bytes>")) { try LearningAgent.decode(wrongMagic) }
        #expect(LearningAgentFileError.notALearningAgentFile(path: "f").description.contains("PCLA"))
        #expect(throws: LearningAgentFileError.dimensionMismatch(field: "observationDimension", expected: 3, found: 2)) {
            try LearningAgent.load(from: path, observationDimension: 3)
        }
        #expect(throws: LearningAgentFileError.dimensionMismatch(field: "actionDimension", expected: 2, found: 1)) {
            try LearningAgent.load(from: path, actionDimension: 2)
        }
        var newer = large
        newer[4] = 3
        #expect(throws: LearningAgentFileError.unsupportedVersion(found: 3, supported: 2)) { try LearningAgent.decode(newer) }
        #expect(throws: LearningAgentFileError.truncated(expected: 4, got: 3)) { try LearningAgent.decode(Array(large[0..<3])) }
        let exploring = try LearningAgent(options: Self.options(seed: 1))
        #expect(throws: LearningAgentFileError.nothingLearned) { try exploring.save(to: path) }
        #expect(throws: LearningAgentFileError.self) { try LearningAgent.load(from: path + ".missing") }
    }

    /// 4. Strict keys and documented ranges.
    @Test func optionsAreStrictAndRanged() throws {
        let options = try Self.options(seed: 0)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        let decoded = try JSONDecoder().decode(LearningAgentOptions.self,
                                               from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded == options)

        var typo = json
        typo["explorationStep"] = typo.removeValue(forKey: "explorationSteps")
        do {
            _ = try JSONDecoder().decode(LearningAgentOptions.self, from: JSONSerialization.data(withJSONObject: typo))
            Issue.record("a typo'd key was accepted")
        } catch let AgentConfigurationError.unknownKey(path, suggestion, _) {
            #expect(path == "explorationStep" && suggestion == "explorationSteps")
        }

        var tooLong = json
        tooLong["explorationSteps"] = 2_000_000
        #expect(throws: AgentConfigurationError.invalidValue(field: "explorationSteps", value: "2000000",
                                                            requirement: "must be at most 1000000")) {
            try JSONDecoder().decode(LearningAgentOptions.self, from: JSONSerialization.data(withJSONObject: tooLong))
        }
        #expect(throws: AgentConfigurationError.invalidValue(field: "batchesPerStep", value: "1001", requirement: "must be at most 1000")) {
            try Self.options(seed: 0, batchesPerStep: 1001)
        }
        #expect(throws: AgentConfigurationError.invalidValue(field: "swapInterval", value: "0", requirement: "must be at least 1")) {
            try Self.options(seed: 0, swapInterval: 0)
        }
        var mismatched = options
        mismatched.controlPeriod = 0.02
        #expect(throws: AgentConfigurationError.invalidValue(field: "learner.timeStep", value: "0.05",
                                                            requirement: "must equal controlPeriod 0.02")) { try mismatched.validate() }
        var decoding = options
        decoding.planner = .pendulumSwingUp   // observations (cos θ, sin θ, θ̇): not observation = state
        #expect(throws: AgentConfigurationError.self) { try decoding.validate() }
        #expect(options.estimatedMemoryBytes() > options.learner.estimatedMemoryBytes())
        var huge = options
        huge.learner.capacity = ModelLearnerOptions.maximumCapacity
        huge.learner.hiddenSizes = [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096]
        do {
            try huge.validate()
            Issue.record("a 2 GB agent was accepted")
        } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
            #expect(field == "learner.capacity, learner.hiddenSizes, learner.ensembleSize, planner.horizon")
            #expect(requirement.contains("\(AgentLimits.maximumMemoryBytes) bytes"))
        }
    }

    /// 5. The same seeds give the same actions, through exploration, learning and swaps.
    @Test func sameSeedGivesTheSameActions() throws {
        let options = try Self.options(seed: 8, explorationSteps: 200, swapInterval: 20)
        var first = try LearningAgent(options: options), second = try LearningAgent(options: options)
        let a = Self.drive(&first, steps: 300, seed: 3), b = Self.drive(&second, steps: 300, seed: 3)
        #expect(first.modelVersion >= 5)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        // A copy is independent: stepping the copy leaves the original's next action unchanged.
        var copy = first
        _ = Self.drive(&copy, steps: 7, seed: 11)
        var fresh = second
        #expect(Self.drive(&first, steps: 30, seed: 12) == Self.drive(&fresh, steps: 30, seed: 12))
        var other = try LearningAgent(options: Self.options(seed: 9, explorationSteps: 200, swapInterval: 20))
        #expect(Self.drive(&other, steps: 300, seed: 3) != a)
    }

    /// After warm-up a controlling step without a learning slice or a swap allocates nothing;
    /// learning steps are counted and reported.
    @Test func controlStepWithoutLearningAllocatesNothing() throws {
        var agent = try LearningAgent(options: Self.options(seed: 2, explorationSteps: 200, learningInterval: 4, swapInterval: 1000))
        _ = Self.drive(&agent, steps: 240, seed: 2)
        #expect(agent.phase == .controlling)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter must be linked")
        var state = [2.0, 0.5], action = [0.0]
        // Warm up the test's own buffers too: in optimised builds a constant array literal is a
        // static object, copied on its first write.
        _ = agent.step(state, action: &action)
        var quiet: UInt64 = 0, learning: UInt64 = 0, learningSteps = 0, allocatingSteps: [Int] = []
        allocatingSteps.reserveCapacity(40)
        for t in 0..<40 {
            let learns = (agent.stepCount + 1) % 4 == 0
            let before = pck_thread_allocation_count()
            _ = agent.step(state, action: &action)
            let count = pck_thread_allocation_count() - before
            if count > 0 && !learns { allocatingSteps.append(t) }
            #expect(!agent.lastStepSwappedModel)
            if learns { learning += count; learningSteps += 1; #expect(agent.lastStepBatches == 2) } else { quiet += count; #expect(agent.lastStepBatches == 0) }
            let next = Self.plant.advance(angle: state[0], velocity: state[1], torque: action[0])
            state[0] = next.angle; state[1] = next.velocity
        }
        #expect(quiet == 0, "\(quiet) allocations in 30 non-learning controlling steps, on steps \(allocatingSteps)")
        print("LearningAgent allocations: \(quiet) in 30 non-learning steps, \(learning) in \(learningSteps) learning steps (2 batches each)")
    }

    /// A model swap allocates nothing after warm-up: the new parameters go into the spare model and
    /// the snapshot network in place (steps that swap without a learning slice are counted; a
    /// slice allocates in debug builds). A copy of the agent that swaps on its own still works:
    /// its spare is shared, so it builds a new model instead and the original is unchanged.
    /// Heap allocations in the steps of 80 closed-loop steps that swap the model without a
    /// learning slice, and how many such steps there were.
    static func swapAllocations(_ agent: inout LearningAgent) -> (swaps: Int, allocations: UInt64) {
        var state = [2.0, 0.5], action = [0.0]
        _ = agent.step(state, action: &action)
        var swaps = 0, allocations: UInt64 = 0
        for _ in 0..<80 {
            let before = pck_thread_allocation_count()
            _ = agent.step(state, action: &action)
            let count = pck_thread_allocation_count() - before
            if agent.lastStepSwappedModel && agent.lastStepBatches == 0 { swaps += 1; allocations += count }
            let next = plant.advance(angle: state[0], velocity: state[1], torque: action[0])
            state[0] = next.angle; state[1] = next.velocity
        }
        return (swaps, allocations)
    }

    @Test func modelSwapAllocatesNothing() throws {
        var agent = try LearningAgent(options: Self.options(seed: 4, explorationSteps: 200, learningInterval: 4, swapInterval: 6))
        _ = Self.drive(&agent, steps: 260, seed: 4)
        #expect(agent.phase == .controlling && agent.modelVersion >= 3)
        let (swaps, allocations) = Self.swapAllocations(&agent)
        #expect(swaps >= 4, "only \(swaps) swaps without a learning slice")
        #expect(allocations == 0, "\(allocations) allocations in \(swaps) swaps")
        let version = agent.modelVersion
        var copy = agent
        let expected = Self.drive(&agent, steps: 20, seed: 9)
        var fresh = copy
        _ = Self.drive(&copy, steps: 20, seed: 10)
        #expect(copy.modelVersion > version)
        #expect(Self.drive(&fresh, steps: 20, seed: 9) == expected)
    }

    /// A NaN or wrong-length observation is learned from nowhere: it gets the safe action (the
    /// planner's control prior) and the warning, and no transition spans it.
    @Test func invalidObservationGetsTheSafeActionAndIsNotRecorded() throws {
        var agent = try LearningAgent(options: Self.options(seed: 3, explorationSteps: 200))
        var action = [0.0]
        agent.reset(seed: 0)
        _ = agent.step([0.5, 0.1], action: &action)
        _ = agent.step([0.52, 0.2], action: &action)
        #expect(agent.transitionCount == 1)
        for bad in [[Double.nan, 0], [0.5], [0.5, .infinity, 1]] {
            let diagnostics = agent.step(bad, action: &action)
            #expect(diagnostics.warnings.contains(.invalidObservation))
            #expect(action == [0])
        }
        _ = agent.step([0.6, 0.3], action: &action)
        #expect(agent.transitionCount == 1, "no transition spans an invalid observation")
        _ = agent.step([0.62, 0.3], action: &action)
        #expect(agent.transitionCount == 2)
        // While controlling, too.
        var trained = try Self.trainedAgent(seed: 3)
        let count = trained.transitionCount
        let diagnostics = trained.step([.nan, 0], action: &action)
        #expect(diagnostics.warnings.contains(.invalidObservation) && action == [0])
        #expect(trained.transitionCount == count)
    }
}
