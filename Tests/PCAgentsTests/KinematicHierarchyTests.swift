import Testing
import PCAgents
import PCNumerics
import PCSims
import _PCAllocationCounter
import _PCTestSupport

/// B6 on the 4-link reference arm of TASKS.md §7, driven kinematically (q ← clamp(q + dt·a)).
@Suite struct KinematicHierarchyTests {
    static let degree = Double.pi / 180
    static let chain = try! PlanarChain(links: zip([50.0, 70, 90, 20], zip([-5.0, -5, -5, -90], [10.0, 130, 130, 90])).map {
        PlanarLink(length: $0.0, mass: 1, lowerLimit: $0.1.0 * degree, upperLimit: $0.1.1 * degree)
    }, gravity: 0)

    struct Score { var reached: Int; var meanSteps: Double; var meanFinalError: Double }

    /// 100 reachable targets (joint angles uniform within the limits, then forward kinematics);
    /// each trial starts from (0°, 20°, 40°, 30°); reached = error < 1% of 230 px within 500 steps.
    static func score(_ options: KinematicHierarchyOptions, trials: Int = 100) throws -> Score {
        var generator = Xoshiro256(seed: 7)
        let low = options.lowerLimits!, high = options.upperLimits!
        var reached = 0, steps = 0.0, finalError = 0.0
        var agent = try KinematicHierarchy(options: options)
        var action = [Double](repeating: 0, count: 4)
        for trial in 0..<trials {
            let goal = (0..<4).map { generator.uniform(low[$0], high[$0]) }
            let target = chain.endEffector(q: goal)
            var q = [0.0, 20, 40, 30].map { $0 * degree }
            agent.reset(seed: UInt64(trial))
            var first: Int? = nil
            var error = 0.0
            for step in 1...500 {
                _ = agent.step(q + [target.x, target.y], action: &action)
                for i in 0..<4 { q[i] = min(max(q[i] + options.timeStep * action[i], low[i]), high[i]) }
                let tip = chain.endEffector(q: q)
                error = ((tip.x - target.x) * (tip.x - target.x) + (tip.y - target.y) * (tip.y - target.y)).squareRoot()
                if first == nil && error < 2.3 { first = step }
            }
            if let first { reached += 1; steps += Double(first) }
            finalError += error
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
        let observation = [0.0, 0.3, 0.6, 0.5, 120, 90]
        for _ in 0..<3 { _ = agent.step(observation, action: &action) }
        let before = pck_thread_allocation_count()
        for _ in 0..<20 { _ = agent.step(observation, action: &action) }
        #expect(pck_thread_allocation_count() - before == 0)
        // A NaN observation is a warning and a zero velocity, not a crash.
        let bad = agent.step([.nan, 0, 0, 0, 1, 1], action: &action)
        #expect(bad.warnings.contains(.invalidObservation) && action == [0, 0, 0, 0])
    }
}
