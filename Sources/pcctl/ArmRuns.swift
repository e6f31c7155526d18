import PCAgents
import PCEnvironment
import PCSims

/// `pcctl run kinematic-arm`: the KinematicHierarchy on the 4-link reference arm (PCSims article Tasks, section Kinematic arm).
struct ReachingRun {
    var options: KinematicHierarchyOptions
    var trials: Int
    var firstSeed: Int
    /// Records every step when set (`--record`).
    var recording: RunRecording<KinematicHierarchy>? = nil

    struct Report: Codable {
        var task = "kinematic-arm"
        var trials: Int
        var tolerance: Double
        /// Fraction of trials within 1% of the reach at some step ≤ 500.
        var reachedFraction: Double
        /// Fraction within the reference reach distance (7.5 px) at the last step.
        var referenceAccuracy: Double
        var meanStepsToReach: Double
        var meanFinalError: Double
        var medianStepTime: Double
        var p99StepTime: Double

        func printSummary() {
            print("pcctl run kinematic-arm — KinematicHierarchy, 4-link reference arm, \(trials) random reachable targets")
            print(String(format: "  reached within %.1f px (1%% of reach) in ≤ 500 steps: %.0f%%   mean steps %.1f",
                         tolerance, 100 * reachedFraction, meanStepsToReach))
            print(String(format: "  final error %.3f px   accuracy (final < 7.5 px) %.0f%%", meanFinalError, 100 * referenceAccuracy))
            print(String(format: "  compute  median %.1f µs/step   p99 %.1f µs/step", 1e6 * medianStepTime, 1e6 * p99StepTime))
        }
    }

    func run() throws -> Report {
        var environment = KinematicArm.priorelliReference(seed: UInt64(firstSeed))
        let tolerance = 0.01 * environment.model.reach
        var agent = try KinematicHierarchy(options: options)
        var action = [Double](repeating: 0, count: agent.actionDimension)
        var reached = 0, steps = 0.0, final = 0.0, accurate = 0, times: [Double] = []
        for trial in 0..<trials {
            var observation = environment.reset(seed: UInt64(firstSeed + trial))
            agent.reset(seed: UInt64(firstSeed + trial))
            recording?.recorder.beginEpisode(trial, seed: UInt64(firstSeed + trial))
            var first: Int? = nil
            for step in 1...environment.episodeSteps {
                let diagnostics = agent.step(observation, action: &action)
                times.append(diagnostics.computeTime)
                recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
                _ = try environment.step(action, observation: &observation)
                if first == nil && environment.distance < tolerance { first = step }
            }
            if let first { reached += 1; steps += Double(first) }
            final += environment.distance
            if environment.distance < environment.reachDistance { accurate += 1 }
        }
        times.sort()
        return Report(trials: trials, tolerance: tolerance, reachedFraction: Double(reached) / Double(trials),
                      referenceAccuracy: Double(accurate) / Double(trials),
                      meanStepsToReach: steps / Double(max(1, reached)), meanFinalError: final / Double(trials),
                      medianStepTime: EpisodeStatistics.median(times), p99StepTime: EpisodeStatistics.quantile(times, 0.99))
    }
}

/// `pcctl run arm-uaic`: a step in the joint targets on the unbiased-AIC 2-link plant (PCSims article Tasks, section Two-link test plant).
struct ReflexArmRun {
    var options: ReflexControllerOptions
    /// Records every step when set (`--record`).
    var recording: RunRecording<ReflexController>? = nil

    struct Report: Codable {
        var task = "arm-uaic"
        var variant: String
        var errorAt2s: Double
        var errorAt10s: Double
        var settlingTime: Double
        var overshoot: Double
        var estimationBiasAtRest: Double
        var medianStepTime: Double
        var p99StepTime: Double

        func printSummary() {
            print("pcctl run arm-uaic — ReflexController (\(variant)), step from (−π/2, 0) to (−0.2, 0.3), 10 s at 1 kHz")
            print(String(format: "  |q − μ_d| at 2 s %.2e rad, at 10 s %.2e rad; settling (< 0.01 rad) %.3f s; overshoot %.4f rad",
                         errorAt2s, errorAt10s, settlingTime, overshoot))
            print(String(format: "  estimation bias |μ − q| at 10 s %.2e rad", estimationBiasAtRest))
            print(String(format: "  compute  median %.0f ns/step   p99 %.0f ns/step", 1e9 * medianStepTime, 1e9 * p99StepTime))
        }
    }

    func run() throws -> Report {
        var agent = try ReflexController(options: options)
        var arm = PlanarArm.unbiasedAICPlant()
        var observation = arm.reset(seed: 0)
        agent.reset(seed: 0)
        recording?.recorder.beginEpisode(0, seed: 0)
        var action = [0.0, 0.0], times: [Double] = []
        var lastOutside = 0.0, overshoot = 0.0, at2 = 0.0
        let goal = options.goal
        for k in 1...10_000 {
            let diagnostics = agent.step(observation, action: &action)
            times.append(diagnostics.computeTime)
            recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
            _ = try arm.step(action, observation: &observation)
            let error = max(abs(observation[0] - goal[0]), abs(observation[1] - goal[1]))
            if error >= 0.01 { lastOutside = Double(k) * 0.001 }
            if k == 2000 { at2 = error }
            overshoot = max(overshoot, observation[0] - goal[0], observation[1] - goal[1])
        }
        times.sort()
        return Report(variant: options.variant.rawValue, errorAt2s: at2,
                      errorAt10s: max(abs(observation[0] - goal[0]), abs(observation[1] - goal[1])),
                      settlingTime: lastOutside, overshoot: overshoot,
                      estimationBiasAtRest: max(abs(agent.position[0] - observation[0]), abs(agent.position[1] - observation[1])),
                      medianStepTime: EpisodeStatistics.median(times), p99StepTime: EpisodeStatistics.quantile(times, 0.99))
    }
}
