// Find a hidden target with a sensor that only sees well in a light strip (light-dark).
//
// The agent keeps an exact Bayes belief on an 81 × 81 grid and picks each move by expected free
// energy: go where the reading is expected to teach the most (epistemic) while staying near the
// believed target (pragmatic). The go-to-mean baseline ignores the first term.
import PCAgents
import PCSims

for policy in [ActiveSensingOptions.Policy.expectedFreeEnergy, .goToMean] {
    var agent = try ActiveSensingAgent(options: ActiveSensingOptions(policy: policy))
    var successes = 0
    var action = [0.0, 0.0]
    for seed in 0..<10 {
        var environment = LightDark()
        var observation = environment.reset(seed: UInt64(seed))
        agent.reset(seed: UInt64(seed))
        for _ in 0..<LightDark.episodeSteps {
            _ = agent.step(observation, action: &action)
            _ = try environment.step(action, observation: &observation)
        }
        agent.perceive(observation)
        let mean = agent.posteriorMean
        let error = ((mean.x - environment.target.x) * (mean.x - environment.target.x)
                     + (mean.y - environment.target.y) * (mean.y - environment.target.y)).squareRoot()
        if error < 0.25 { successes += 1 }
    }
    print("\(policy.rawValue): \(successes)/10 targets located within 0.25")
}
