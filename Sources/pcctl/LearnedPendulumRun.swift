import PCAgents
import PCEnvironment
import PCSims

/// Learn-then-plan on Pendulum-v1 (issue 6, ModelLearner): a ``ModelLearner`` learns the dynamics
/// from at most `learningSteps` environment steps, then a ``PredictiveController`` plans on the
/// learned model (frozen) for the scored episodes.
///
/// Interaction, all on PCKit's own seeded starts (never the scored fixture):
/// 1. **babbling**: `babblingSteps` steps of uniform random torque held for `holdSteps`, from a
///    fresh random start (seeds 1,000,000 + k) every `babblingEpisodeSteps`; then `initialBatches`.
/// 2. **on-policy**: episodes of up to 200 steps (seeds 2,000,000 + k) controlled by the planner on
///    the model so far, every transition recorded; `batchesPerEpisode` after each episode.
/// The run stops interacting at exactly `learningSteps` steps.
struct LearnedPendulumRun {
    var learningSteps = 5_000
    var babblingSteps = 2_000
    var babblingEpisodeSteps = 50
    var holdSteps = 2
    var initialBatches = 3_000
    var batchesPerEpisode = 1_000
    var learnerOptions: ModelLearnerOptions
    var controllerOptions: PredictiveControllerOptions
    /// The pendulum the learner interacts with (default Pendulum-v1; `--param` changes it).
    var model: PendulumModel = .gymnasium

    /// What the learning phase did.
    struct Summary: Codable {
        var interactionSteps = 0
        var babblingSteps = 0
        var onPolicySteps = 0
        var onPolicyEpisodes = 0
        var onPolicyReturns: [Double] = []
        var batches = 0
        var learningSeconds = 0.0
        var trainingError: [Double] = []
        var heldOutError: [Double] = []
        var onlineError: [Double] = []
        var onlineCount = 0
    }

    static func defaultLearnerOptions() throws -> ModelLearnerOptions {
        try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: PendulumModel.gymnasium.timeStep,
                                angleIndices: [0], actionLower: [-2], actionUpper: [2], hiddenSizes: [32])
    }

    /// Runs the interaction and the learning; returns the learner and what happened.
    func learn(log: (String) -> Void = { _ in }) throws -> (ModelLearner, Summary) {
        precondition(babblingSteps <= learningSteps && babblingSteps >= learnerOptions.batchSize,
                     "LearnedPendulumRun: need batchSize ≤ babblingSteps ≤ learningSteps")
        let start = monotonicNanoseconds()
        var learner = try ModelLearner(options: learnerOptions)
        var summary = Summary()
        var environment = Pendulum(model: model)
        var babbling = try MotorBabbling(lower: [-2], upper: [2], holdSteps: holdSteps, seed: learnerOptions.seed)
        var observation = [0.0, 0.0, 0.0], next = observation, action = [0.0]

        // 1. Motor babbling from random starts.
        for t in 0..<babblingSteps {
            if t % babblingEpisodeSteps == 0 { observation = environment.reset(seed: 1_000_000 + UInt64(t / babblingEpisodeSteps)) }
            babbling.action(into: &action)
            _ = try environment.step(action, observation: &next)
            try learner.record(observation: observation, action: action, nextObservation: next)
            observation = next
        }
        summary.babblingSteps = babblingSteps
        var report = try learner.train(batches: initialBatches)
        log(String(format: "babbling: %d steps, %d batches, F %.4f → %.4f, held-out RMS %@",
                   babblingSteps, initialBatches, report.initialEnergy, report.finalEnergy,
                   format(learner.predictionError(heldOut: true)?.rootMeanSquare ?? [])))

        // 2. On-policy episodes with the planner on the model so far.
        var steps = babblingSteps
        while steps < learningSteps {
            var controller = try PredictiveController(model: learner.dynamics!, options: controllerOptions)
            let episode = summary.onPolicyEpisodes
            observation = environment.reset(seed: 2_000_000 + UInt64(episode))
            controller.reset(seed: UInt64(episode))
            var total = 0.0
            for _ in 0..<min(Pendulum.episodeSteps, learningSteps - steps) {
                _ = controller.step(observation, action: &action)
                let transition = try environment.step(action, observation: &next)
                total += transition.reward
                try learner.record(observation: observation, action: action, nextObservation: next)
                observation = next
                steps += 1
                summary.onPolicySteps += 1
            }
            summary.onPolicyEpisodes += 1
            summary.onPolicyReturns.append(total)
            report = try learner.train(batches: batchesPerEpisode)
            log(String(format: "on-policy episode %d: return %.1f, %d steps so far, F %.4f → %.4f, held-out RMS %@",
                       episode, total, steps, report.initialEnergy, report.finalEnergy,
                       format(learner.predictionError(heldOut: true)?.rootMeanSquare ?? [])))
        }
        summary.interactionSteps = steps
        summary.batches = learner.batchesLearned
        summary.trainingError = learner.predictionError(heldOut: false)?.rootMeanSquare ?? []
        summary.heldOutError = learner.predictionError(heldOut: true)?.rootMeanSquare ?? []
        summary.onlineError = learner.onlineError.rootMeanSquare
        summary.onlineCount = learner.onlineError.count
        summary.learningSeconds = Double(monotonicNanoseconds() - start) * 1e-9
        return (learner, summary)
    }

    /// The planner on the learned model, for the scored episodes.
    func controller(for learner: ModelLearner) throws -> PredictiveController<LearnedDynamics> {
        try PredictiveController(model: learner.dynamics!, options: controllerOptions)
    }
}

func format(_ values: [Double]) -> String {
    "(" + values.map { String(format: "%.2e", $0) }.joined(separator: ", ") + ")"
}
