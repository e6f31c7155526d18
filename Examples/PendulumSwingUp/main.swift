// Swing up and balance Gymnasium's pendulum by predictive coding over a 1 s horizon.
//
// The controller's latent variables are the next 20 controls; its "goal" is a prior that the
// future pendulum is upright and still. Each step it settles that free energy by gradient
// inference from the shifted previous plan and applies the first control.
import Foundation
import PCAgents
import PCSims

var agent = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium),
                                     options: .pendulumSwingUp)
var environment = Pendulum()
var observation = try environment.reset(state: GymnasiumInitialStates.pendulum[0])   // Gymnasium's seed 0
agent.reset(seed: 0)

var action = [0.0], total = 0.0
for step in 0..<Pendulum.episodeSteps {
    let diagnostics = agent.step(observation, action: &action)
    total += try environment.step(action, observation: &observation).reward
    if step % 20 == 0 {
        print("t = \(String(format: "%4.2f", Double(step) * 0.05)) s   θ = \(String(format: "%+.3f", wrapAngle(environment.angle))) rad   u = \(String(format: "%+.2f", action[0]))   F = \(String(format: "%8.3f", diagnostics.freeEnergy))")
    }
}
print("return over 200 steps: \(String(format: "%.1f", total))   upright: \(abs(wrapAngle(environment.angle)) < 0.1)")
