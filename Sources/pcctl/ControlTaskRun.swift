import Foundation
import PCAgents
import PCEnvironment
import PCSims

/// Runs the generic planners on a ``ControlTask``: scores any agent on seeds S..S+N−1, and lets a
/// ``LearningAgent`` interact within a budget of environment steps before it is scored.
///
/// Interaction never touches a scored start: its episodes start from PCKit's RNG with seeds
/// 1,000,000 + k, while scored episodes use seeds S..S+N−1 (Gymnasium's fixture where the task has
/// one). While scored, the learning agent is frozen (``LearningAgent/isLearning`` false), so every
/// transition it learned from is counted in the budget.
enum ControlTaskRun {
    /// What the learning agent did while it interacted.
    struct Interaction {
        var environmentSteps = 0
        var agentSteps = 0
        var episodes = 0
        var explorationSteps = 0
        var modelVersion = 0
        var batches = 0
        var learningSeconds = 0.0
        var maxStepLearningSeconds = 0.0
        var onlineRMS: [Double] = []
        /// Returns of the last on-policy interaction episodes (at most 5).
        var lastReturns: [Double] = []
    }

    /// Scores `agent` on `episodes` episodes from `firstSeed`.
    static func score(_ agent: inout any Agent, on task: inout any ControlTask, agentName: String, episodes: Int,
                      firstSeed: Int, fixture: Bool = true, recording: RunRecording<any Agent>? = nil,
                      firstRecordedEpisode: Int = 0) throws -> RunReport {
        var returns: [Double] = [], successes: [Bool] = [], times: [Double] = [], figures: [Double] = []
        var warnings: [String: Int] = [:]
        var trace: [String: [Double]] = ["angle": [], "torque": [], "freeEnergy": []]
        var action = [Double](repeating: 0, count: task.actionLower.count)
        let k = task.actionRepeat, traced = task.angleIndices.first ?? 0
        for episode in 0..<episodes {
            let seed = UInt64(firstSeed + episode)
            var state = try task.reset(seed: seed, fixture: fixture)
            agent.reset(seed: seed)
            recording?.recorder.beginEpisode(firstRecordedEpisode + episode, seed: seed)
            var total = 0.0, t = 0
            episodeLoop: while t < task.episodeSteps {
                let diagnostics = agent.step(state, action: &action)
                recording?.record(&agent, observation: state, action: action, diagnostics: diagnostics)
                times.append(diagnostics.computeTime)
                for (flag, name) in AgentWarnings.named where diagnostics.warnings.contains(flag) { warnings[name, default: 0] += 1 }
                for _ in 0..<k where t < task.episodeSteps {
                    let transition = try task.step(action, state: &state)
                    total += transition.reward
                    t += 1
                    if episode == 0 {
                        trace["angle"]!.append(task.angleIndices.isEmpty ? state[traced] : wrapAngle(state[traced]))
                        trace["torque"]!.append(action[0])
                        trace["freeEnergy"]!.append(diagnostics.freeEnergy)
                    }
                    if transition.terminated { break episodeLoop }
                }
            }
            returns.append(total)
            successes.append(task.succeeded)
            if let figure = task.episodeFigure { figures.append(figure.value) }
        }
        var report = RunReport(task: task.name, agent: agentName, initialStates: fixture ? task.initialStates : "PCKit RNG",
                               firstSeed: firstSeed,
                               statistics: EpisodeStatistics(returns: returns, successes: successes, stepTimes: times),
                               successCriterion: task.successCriterion, returns: returns, warnings: warnings, trace: trace,
                               traceTimeStep: task.environmentTimeStep)
        if let name = task.episodeFigure?.name, !figures.isEmpty {
            report.extra["mean." + name] = figures.reduce(0, +) / Double(figures.count)
            report.extra["worst." + name] = figures.max()!
        }
        return report
    }

    /// The learning agent's options for `task`: its goal prior, the robot's spaces and period, and
    /// the interaction defaults (overridden by the non-nil arguments).
    static func learningOptions(for task: any ControlTask, explorationSteps: Int?, hiddenSizes: [Int]?, seed: UInt64) throws -> LearningAgentOptions {
        let defaults = task.learning
        var options = try LearningAgentOptions(
            observationDimension: task.stateDimension, actionLower: task.actionLower, actionUpper: task.actionUpper,
            angleIndices: task.angleIndices, controlPeriod: task.controlPeriod,
            explorationSteps: explorationSteps ?? defaults.explorationSteps, explorationHoldSteps: defaults.holdSteps,
            seed: seed, hiddenSizes: hiddenSizes ?? defaults.hiddenSizes, planner: task.learnedPlanner(),
            batchesPerStep: defaults.batchesPerStep, swapInterval: defaults.swapInterval)
        options.learner.averagingDecay = defaults.averagingDecay
        options.learner.ensembleSize = defaults.ensembleSize
        options.disturbanceGain = defaults.disturbanceGain
        if defaults.modelLearningRate != 1e-3 { options.learner.learning.optimizer = .adam(learningRate: defaults.modelLearningRate) }
        if let samples = defaults.proposalSamples { options.planner.proposal.samples = samples }
        try options.validate()
        return options
    }

    /// Lets `agent` interact with `task` for exactly `budget` environment steps (episodes of
    /// `episodeSteps` from seeds 1,000,000 + k), learning as it goes.
    static func interact(_ agent: inout LearningAgent, with task: inout any ControlTask, budget: Int, episodeSteps: Int,
                         recording: RunRecording<LearningAgent>? = nil, log: (String) -> Void) throws -> Interaction {
        var summary = Interaction()
        var action = [Double](repeating: 0, count: task.actionLower.count)
        let k = task.actionRepeat
        let start = monotonicSeconds()
        while summary.environmentSteps < budget {
            let seed = 1_000_000 + UInt64(summary.episodes)
            var state = try task.reset(seed: seed, fixture: false)
            agent.reset(seed: seed)
            recording?.recorder.beginEpisode(summary.episodes, seed: seed)
            let wasControlling = agent.phase == .controlling
            var total = 0.0, t = 0
            let length = min(episodeSteps, task.episodeSteps)
            episodeLoop: while t < length && summary.environmentSteps < budget {
                let diagnostics = agent.step(state, action: &action)
                recording?.record(&agent, observation: state, action: action, diagnostics: diagnostics)
                summary.agentSteps += 1
                summary.maxStepLearningSeconds = max(summary.maxStepLearningSeconds, agent.lastStepLearningSeconds)
                for _ in 0..<k where t < length && summary.environmentSteps < budget {
                    let transition = try task.step(action, state: &state)
                    total += transition.reward
                    t += 1
                    summary.environmentSteps += 1
                    if transition.terminated { break episodeLoop }
                }
            }
            // The last state of the episode is a transition too: show it to the agent (it records
            // (o, u, o′) when it perceives o′) without acting on the environment again.
            agent.perceive(state)
            recording?.recorder.recordPerception(observation: state)
            summary.episodes += 1
            if wasControlling {
                summary.lastReturns.append(total)
                if summary.lastReturns.count > 5 { summary.lastReturns.removeFirst() }
            }
            if summary.episodes % 10 == 0 || summary.environmentSteps >= budget {
                log(String(format: "%d env steps, %d episodes, phase %@, model v%d, %d batches, last return %.1f, online RMS %@",
                           summary.environmentSteps, summary.episodes, agent.phase.rawValue, agent.modelVersion,
                           agent.batchesLearned, total, format(agent.onlinePredictionError.rootMeanSquare)))
            }
        }
        summary.explorationSteps = agent.explorationStepsTaken
        summary.modelVersion = agent.modelVersion
        summary.batches = agent.batchesLearned
        summary.onlineRMS = agent.onlinePredictionError.rootMeanSquare
        summary.learningSeconds = monotonicSeconds() - start
        return summary
    }
}
