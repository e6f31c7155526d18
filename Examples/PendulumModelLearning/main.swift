// Learn the pendulum's dynamics with a predictive-coding network, then swing it up by planning on
// what was learned.
//
// 1. Motor babbling: 1,000 steps of random torque from random starts. Each transition
//    (observation, torque, next observation) goes to the ModelLearner.
// 2. Learning: the PC network predicts the state change from (cos θ, sin θ, θ̇, u); each batch
//    settles its hidden activities on the prediction errors, then updates the weights (IL).
// 3. Planning: the PredictiveController plans on the learned model exactly as on the true one.
import Foundation
import PCAgents
import PCSims

let options = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                      actionLower: [-2], actionUpper: [2], hiddenSizes: [32])
var learner = try ModelLearner(options: options)
var babbling = try MotorBabbling(lower: [-2], upper: [2], holdSteps: 2, seed: 0)
var environment = Pendulum()
var observation = [0.0, 0, 0], next = observation, action = [0.0]
for step in 0..<1_000 {
    if step % 50 == 0 { observation = environment.reset(seed: 1_000 + UInt64(step / 50)) }   // not a scored start
    babbling.action(into: &action)
    _ = try environment.step(action, observation: &next)
    try learner.record(observation: observation, action: action, nextObservation: next)
    observation = next
}
let report = try learner.train(batches: 3_000)
let heldOut = learner.predictionError(heldOut: true)!.rootMeanSquare
print("learned from \(learner.transitionCount) transitions: energy \(String(format: "%.4f", report.initialEnergy)) → \(String(format: "%.4f", report.finalEnergy)),"
      + " held-out error θ \(String(format: "%.4f", heldOut[0])) rad, θ̇ \(String(format: "%.4f", heldOut[1])) rad/s")

var agent = try PredictiveController(model: learner.dynamics!, options: .pendulumSwingUp)
observation = try environment.reset(state: GymnasiumInitialStates.pendulum[0])   // Gymnasium's seed 0
agent.reset(seed: 0)
var total = 0.0
for step in 0..<Pendulum.episodeSteps {
    _ = agent.step(observation, action: &action)
    total += try environment.step(action, observation: &observation).reward
    if step % 40 == 0 {
        print("t = \(String(format: "%4.2f", Double(step) * 0.05)) s   θ = \(String(format: "%+.3f", wrapAngle(environment.angle))) rad   u = \(String(format: "%+.2f", action[0]))")
    }
}
print("return over 200 steps on the learned model: \(String(format: "%.1f", total))   upright: \(abs(wrapAngle(environment.angle)) < 0.1)")
