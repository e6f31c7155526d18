// A Swift robot program: a simulated pendulum asks a PCKit agent, hosted by `pcctl serve`, for
// every torque, and the agent swings it up and balances it.
//
//   pcctl serve --bind tcp://127.0.0.1:5555 &
//   swift run pendulum-robot tcp://127.0.0.1:5555
//
// Your robot replaces `Pendulum`: send what its sensors read, apply the torque that comes back.
import Foundation
import PCKit

let endpoint = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "tcp://127.0.0.1:5555"
var pendulum = Pendulum()

// Ask for a session: our spaces, our control period, and the agent we want.
let client = try BridgeClient(endpoint: endpoint)
try client.hello(Hello(robot: "swift-pendulum",
                       observationSpace: WireSpace(pendulum.observationSpace),
                       actionSpace: WireSpace(pendulum.actionSpace),
                       controlPeriod: pendulum.model.timeStep, scalar: .float64,
                       agent: ["agent": "predictiveController", "task": "pendulum"]))

// One episode: observe, ask, act.
var observation = pendulum.reset(seed: 7)
try client.reset(seed: 7)
var total = 0.0
for _ in 0..<Pendulum.episodeSteps {
    let torque = try client.step(observation)
    total += try pendulum.step(torque, observation: &observation).reward
}
try client.bye()

let angle = wrapAngle(pendulum.angle)
print("return \(String(format: "%.1f", total)) final-angle \(String(format: "%.3f", angle)) upright \(abs(angle) < 0.1)")
