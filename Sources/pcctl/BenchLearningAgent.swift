import Foundation
import PCAgents
import PCEnvironment
import PCSims
import _PCAllocationCounter

/// What one timed step of a learning agent did.
private enum LearningStepKind: CaseIterable {
    /// Controlling, no learning slice, no swap: the pure control step.
    case control
    /// Controlling, with a learning slice, no swap, not the first slice after a swap.
    case controlWithSlice
    /// The first learning slice after a swap (it copies the network the snapshot shares).
    case firstSliceAfterSwap
    /// The step that replaced the planner's model (it may also have run a slice).
    case swap
}

extension BenchAgents {
    /// The learning agent's rows for the pendulum it was not built for (m = 1.3, l = 1.2, observed
    /// as (θ, θ̇), Gymnasium's equations), with the options of `Examples/configs/pendulum-state-learning.json`
    /// (1,000 exploration steps, 4–32–2 network, 2 batches per slice, a swap every 50 steps) except
    /// `learningInterval` 2, so that controlling steps with and without a learning slice are both measured.
    func benchLearningPendulum() throws -> [BenchResult] {
        var planner = PredictiveControllerOptions.pendulumSwingUp
        planner.observation = try ObservationLayout(stateDimension: 2)
        let options = try LearningAgentOptions(observationDimension: 2, actionLower: [-2], actionUpper: [2], angleIndices: [0],
                                               controlPeriod: 0.05, explorationSteps: 1000, planner: planner,
                                               batchesPerStep: 2, learningInterval: 2, swapInterval: 50)
        let plant = try PendulumModel(mass: 1.3, length: 1.2)
        let starts = GymnasiumInitialStates.pendulum
        return try benchLearningAgent(task: "pendulum", options: options, steps: 5000, episodeSteps: 200,
                                      reset: { episode in starts[episode % starts.count] },
                                      step: { action, observation in
                                          let next = plant.advance(angle: observation[0], velocity: observation[1], torque: action[0])
                                          observation[0] = next.angle
                                          observation[1] = next.velocity
                                      })
    }

    /// The learning agent's rows on one of `pcctl run`'s tasks, with the options `pcctl run <task>
    /// --agent learned` uses except `learningInterval` 2 (so that controlling steps with and without a
    /// learning slice are both measured): its exploration, then 1,500 controlling steps, in episodes
    /// from PCKit's starts (a terminated episode restarts at once).
    func benchLearningTask(_ name: String) throws -> [BenchResult] {
        var task = try ControlTasks.make(name, parameters: TaskParameters(task: name, pairs: []))
        var options = try ControlTaskRun.learningOptions(for: task, explorationSteps: nil, hiddenSizes: nil, seed: 0)
        options.learningInterval = 2
        let k = task.actionRepeat
        var restarts: UInt64 = 0
        return try benchLearningAgent(task: name, options: options, steps: options.explorationSteps + 1500,
                                      episodeSteps: max(1, task.learning.episodeSteps / k),
                                      reset: { episode in try task.reset(seed: 1_000_000 + UInt64(episode), fixture: false) },
                                      step: { action, observation in
                                          for _ in 0..<k {
                                              if try task.step(action, state: &observation).terminated {
                                                  restarts += 1
                                                  observation = try task.reset(seed: 2_000_000 + restarts, fixture: false)
                                                  return
                                              }
                                          }
                                      })
    }

    /// Rows for a ``LearningAgent`` on one task, in closed loop: call it with the task's options
    /// and a closure that steps its environment to add another task's rows.
    ///
    /// Runs `steps` interaction steps (exploration included) in episodes of `episodeSteps`, each
    /// started by `reset` and `agent.reset(seed: episode)`, timing every `step` (wall and thread
    /// CPU) and counting its allocations. Exploration and the first 50 controlling steps are
    /// warm-up; of the rest it reports, per kind of step:
    /// - `LearningAgent.<task>.control`: controlling steps with no learning slice and no swap;
    /// - `LearningAgent.<task>.controlWithSlice`: controlling steps that also ran a learning slice
    ///   (`overDeadline`: the fraction above half the control period, the server's default compute
    ///   deadline);
    /// - `LearningAgent.<task>.firstSliceAfterSwap`: the first step with a learning slice after each
    ///   swap, reported apart because that slice copies the network the saved snapshot shares;
    /// - `LearningAgent.<task>.swap`: the steps that replaced the planner's model (`allocates` is 1
    ///   when any of them allocated);
    /// - `LearningAgent.<task>.learningSlice`: the learning slice alone (the agent's
    ///   `lastStepLearningSeconds`), with the largest number of batches in a slice.
    /// - Parameters:
    ///   - task: the rows' task name.
    ///   - options: the agent's options.
    ///   - steps: interaction steps in all.
    ///   - episodeSteps: steps per episode.
    ///   - reset: the first observation of episode `e`.
    ///   - step: advances the environment by `action`, overwriting `observation` with the next one.
    func benchLearningAgent(task: String, options: LearningAgentOptions, steps: Int, episodeSteps: Int,
                            reset: (Int) throws -> [Double],
                            step: (_ action: [Double], _ observation: inout [Double]) throws -> Void) throws -> [BenchResult] {
        var agent = try LearningAgent(options: options)
        var action = [Double](repeating: 0, count: agent.actionDimension)
        var wall: [LearningStepKind: [Double]] = [:], cpu: [LearningStepKind: [Double]] = [:]
        var allocations: [LearningStepKind: UInt64] = [:], allocatingSteps: [LearningStepKind: Int] = [:]
        for kind in LearningStepKind.allCases {
            wall[kind] = []; cpu[kind] = []
            wall[kind]!.reserveCapacity(steps); cpu[kind]!.reserveCapacity(steps)
        }
        var sliceSeconds: [Double] = [], maxBatches = 0
        sliceSeconds.reserveCapacity(steps)
        var observation: [Double] = [], controllingSteps = 0, t = 0, episode = 0, swappedSinceSlice = false
        while t < steps {
            if t % episodeSteps == 0 {
                observation = try reset(episode)
                agent.reset(seed: UInt64(episode))
                episode += 1
            }
            let controlling = agent.phase == .controlling
            let before = pck_thread_allocation_count()
            let cpuStart = threadCPUNanoseconds()
            let start = monotonicNanoseconds()
            _ = agent.step(observation, action: &action)
            let elapsed = monotonicNanoseconds() - start
            let cpuElapsed = threadCPUNanoseconds() - cpuStart
            let allocated = pck_thread_allocation_count() - before
            if controlling { controllingSteps += 1 }
            if controlling && controllingSteps > 50 {
                let kind: LearningStepKind
                if agent.lastStepSwappedModel {
                    kind = .swap
                    swappedSinceSlice = true  // the swap comes after this step's slice
                } else if agent.lastStepBatches > 0 {
                    kind = swappedSinceSlice ? .firstSliceAfterSwap : .controlWithSlice
                    swappedSinceSlice = false
                } else {
                    kind = .control
                }
                wall[kind]!.append(Double(elapsed))
                cpu[kind]!.append(Double(cpuElapsed))
                allocations[kind, default: 0] += allocated
                if allocated > 0 { allocatingSteps[kind, default: 0] += 1 }
                if agent.lastStepBatches > 0 {
                    sliceSeconds.append(agent.lastStepLearningSeconds)
                    maxBatches = max(maxBatches, agent.lastStepBatches)
                }
            }
            try step(action, &observation)
            t += 1
        }
        let counting = pck_allocation_counter_active() != 0
        let deadline = 0.5 * options.controlPeriod * 1e9
        var results: [BenchResult] = []
        for kind in LearningStepKind.allCases {
            let times = wall[kind]!.sorted(), cpuTimes = cpu[kind]!.sorted()
            guard !times.isEmpty else { continue }
            let count = Double(times.count)
            var details: [String: Double] = [
                "p99": quantile(times, 0.99), "max": times.last!, "cpuMedian": median(cpuTimes), "cpuP99": quantile(cpuTimes, 0.99),
                "steps": count,
                "allocationsPerStep": counting ? Double(allocations[kind, default: 0]) / count : -1,
                "allocatingSteps": counting ? Double(allocatingSteps[kind, default: 0]) : -1,
                "learningInterval": Double(options.learningInterval), "batchesPerStep": Double(options.batchesPerStep),
                "swapInterval": Double(options.swapInterval),
            ]
            let name: String
            switch kind {
            case .control: name = "control"
            case .controlWithSlice, .firstSliceAfterSwap:
                name = kind == .controlWithSlice ? "controlWithSlice" : "firstSliceAfterSwap"
                details["overDeadline"] = Double(times.filter { $0 > deadline }.count) / count
            case .swap:
                name = "swap"
                details["allocates"] = allocatingSteps[kind, default: 0] > 0 ? 1 : 0
            }
            results.append(BenchResult(name: "LearningAgent.\(task).\(name)", value: median(times), unit: "ns/step", details: details))
        }
        if !sliceSeconds.isEmpty {
            let slices = sliceSeconds.map { $0 * 1e9 }.sorted()
            results.append(BenchResult(name: "LearningAgent.\(task).learningSlice", value: median(slices), unit: "ns/slice",
                                       details: ["p99": quantile(slices, 0.99), "max": slices.last!, "slices": Double(slices.count),
                                                 "maxBatches": Double(maxBatches), "batchesPerStep": Double(options.batchesPerStep)]))
        }
        return results
    }
}
