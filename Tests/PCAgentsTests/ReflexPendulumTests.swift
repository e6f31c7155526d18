import Testing
import PCAgents
import PCEnvironment
import PCNumerics
import PCSims

/// Issue 6 (PCAgents article ReflexControl, section Limits): the reflex controller holds Pendulum-v1 upright from |θ| < 0.3.
@Suite struct ReflexPendulumTests {
    /// 100 episodes from θ ~ U(−0.3, 0.3), θ̇ = 0 (seeded); held = |wrap θ| < 0.1 at every one of the last 50 steps.
    static func heldEpisodes(_ options: ReflexControllerOptions) throws -> Int {
        var generator = Xoshiro256(seed: 2024)
        var held = 0
        for seed in 0..<100 {
            var agent = try ReflexController(options: options)
            var environment = Pendulum()
            var observation = try environment.reset(state: [generator.uniform(-0.3, 0.3), 0])
            agent.reset(seed: UInt64(seed))
            var action = [0.0], upright = 0
            for t in 0..<Pendulum.episodeSteps {
                _ = agent.step(observation, action: &action)
                _ = try environment.step(action, observation: &observation)
                if t >= 150 && abs(wrapAngle(environment.angle)) < 0.1 { upright += 1 }
            }
            if upright == 50 { held += 1 }
        }
        return held
    }

    @Test(arguments: [ReflexControllerOptions.Variant.aic, .unbiased])
    func holdsUprightFromSmallTilts(variant: ReflexControllerOptions.Variant) throws {
        #expect(try Self.heldEpisodes(.pendulumHold(variant: variant)) == 100)
    }

    @Test func cannotSwingUp() throws {
        // Counter-check (PCSims article Tasks, section Pendulum): from hanging down the torque limit defeats a reflex.
        var agent = try ReflexController(options: .pendulumHold(variant: .unbiased))
        var environment = Pendulum()
        var observation = try environment.reset(state: [3.0, 0])
        agent.reset(seed: 0)
        var action = [0.0]
        for _ in 0..<Pendulum.episodeSteps {
            _ = agent.step(observation, action: &action)
            _ = try environment.step(action, observation: &observation)
        }
        #expect(abs(wrapAngle(environment.angle)) > 1)
    }
}
