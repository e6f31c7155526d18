// Reach ten random targets with a 4-link arm by hierarchical kinematic inference.
//
// The agent believes in joint angles (intrinsic) and in joint positions (extrinsic), linked by
// forward kinematics. An intention pulls the believed hand toward the target; the beliefs settle,
// and a reflex moves the real joints to where the agent believes they are.
import Foundation
import PCAgents
import PCSims

var agent = try KinematicHierarchy(options: .referenceArm)
var arm = KinematicArm.priorelliReference(seed: 1)
var action = [Double](repeating: 0, count: 4)
for trial in 0..<10 {
    var observation = arm.reset(seed: UInt64(trial))
    agent.reset(seed: UInt64(trial))
    var steps = 0
    while arm.distance >= 2.3 && steps < 500 {
        _ = agent.step(observation, action: &action)
        _ = try arm.step(action, observation: &observation)
        steps += 1
    }
    print("target \(trial): (\(Int(arm.target.x)), \(Int(arm.target.y))) px reached to \(String(format: "%.2f", arm.distance)) px in \(steps) steps")
}
