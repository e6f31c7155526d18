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
    /// start) the agent swings the heavier, longer pendulum up and holds it on most seeds.
    @Test func swingsUpAnUnknownPendulumWithinFiveThousandSteps() throws {
        let seeds: [UInt64] = [1, 2, 3]
        var upright = 0, returns: [Double] = []
        for seed in seeds {
            let run = try Self.learnAndSwingUp(seed: seed, options: Self.options(seed: seed))
            #expect(run.steps == 5000)
            #expect(run.agent.phase == .controlling)
            if abs(run.finalAngle) < 0.1 { upright += 1 }
            returns.append(run.evaluationReturn)
            print("LearningAgent seed \(seed): final |θ| \(abs(run.finalAngle)), return \(run.evaluationReturn), model version \(run.agent.modelVersion), batches \(run.agent.batchesLearned), online RMS \(run.agent.onlinePredictionError.rootMeanSquare)")
        }
        let reference = try Self.trueModelRun()
        let mean = returns.reduce(0, +) / Double(returns.count)
        print("LearningAgent: \(upright)/\(seeds.count) upright, mean return \(mean) vs true-model planner \(reference.return)")
        #expect(upright >= 2, "only \(upright) of \(seeds.count) seeds ended upright")
        // The reference swings up too; the learned agent's return is within 10 % of its return.
        #expect(abs(reference.finalAngle) < 0.1)
        #expect(mean >= 1.1 * reference.return, "mean return \(mean) vs true-model planner \(reference.return)")
    }
}
