import Testing
import PCAgents
import PCEnvironment
import PCSims
import _PCAllocationCounter
import _PCTestSupport

/// Kinematic inference (PCAgents article KinematicReaching) on the 4-link reference arm of PCSims article Tasks, section Kinematic arm (the sims' `KinematicArm.priorelliReference`).
@Suite struct KinematicHierarchyTests {
    struct Score { var reached: Int; var meanSteps: Double; var meanFinalError: Double }

    /// 100 reachable targets (the environment draws joint angles within the limits, then applies
    /// forward kinematics); every trial starts from the reference start angles; reached = error
    /// < 1% of the 230 px reach within 500 steps.
    static func score(_ options: KinematicHierarchyOptions, trials: Int = 100) throws -> Score {
        var environment = KinematicArm.priorelliReference(seed: 7)
        let tolerance = 0.01 * environment.model.reach
        var reached = 0, steps = 0.0, finalError = 0.0
        var agent = try KinematicHierarchy(options: options)
        var action = [Double](repeating: 0, count: 4)
        for trial in 0..<trials {
            var observation = environment.reset(seed: UInt64(trial))
            agent.reset(seed: UInt64(trial))
            var first: Int? = nil
            for step in 1...500 {
                _ = agent.step(observation, action: &action)
                _ = try environment.step(action, observation: &observation)
                if first == nil && environment.distance < tolerance { first = step }
            }
            if let first { reached += 1; steps += Double(first) }
            finalError += environment.distance
        }
        return Score(reached: reached, meanSteps: steps / Double(max(reached, 1)), meanFinalError: finalError / Double(trials))
    }

    @Test func reachesRandomReachableTargets() throws {
        // Issue 6: ≥ 95% of 100 random reachable targets within 1% of the arm's length in ≤ 500 steps.
        let score = try Self.score(.referenceArm)
        #expect(score.reached >= 95, "reached \(score.reached) of 100 (mean steps \(score.meanSteps))")
        #expect(score.meanFinalError < 2.3)
    }

    @Test func stepAllocatesNothing() throws {
        var agent = try KinematicHierarchy(options: .referenceArm)
        agent.reset(seed: 0)
        var action = [0.0, 0, 0, 0]
        let observation = [0.0, 0.3, 0.6, 0.5, 120, 90, 150, 100]
        for _ in 0..<3 { _ = agent.step(observation, action: &action) }
        let before = pck_thread_allocation_count()
        for _ in 0..<20 { _ = agent.step(observation, action: &action) }
        #expect(pck_thread_allocation_count() - before == 0)
        // A NaN observation is a warning and a zero velocity, not a crash.
        let bad = agent.step([.nan, 0, 0, 0, 1, 1, 0, 0], action: &action)
        #expect(bad.warnings.contains(.invalidObservation) && action == [0, 0, 0, 0])
    }
}
