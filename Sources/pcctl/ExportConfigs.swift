import ArgumentParser
import Foundation
import PCAgents

/// `pcctl configs <dir>`: writes the shipped agent configurations (the presets) as JSON files, so
/// `Examples/configs/` is generated from the code and cannot drift from it.
struct ExportConfigs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configs", abstract: "Write every agent preset as a JSON config file into a directory.")

    @Argument(help: "Output directory.")
    var directory: String = "Examples/configs"

    func run() throws {
        var pendulumSeeded = PredictiveControllerOptions.pendulumSwingUp
        pendulumSeeded.proposal = .init(samples: 64, noiseScale: [1], temperature: 0.1)
        var collocation = PredictiveControllerOptions.pendulumSwingUp
        collocation.mode = .collocation
        collocation.iterations = 10
        collocation.stateStepSize = 0.5
        collocation.controlStepSize = 0.5
        collocation.proposal = .init(samples: 256, noiseScale: [1], temperature: 0.1)
        let files: [(String, AgentConfiguration)] = [
            ("pendulum-predictive.json", .init(predictiveController: .pendulumSwingUp)),
            ("pendulum-predictive-mppi-seeded.json", .init(predictiveController: pendulumSeeded)),
            ("pendulum-collocation-mppi-seeded.json", .init(predictiveController: collocation)),
            ("cartpole-swingup-predictive.json", .init(predictiveController: .cartPoleSwingUp)),
            ("reacher-predictive.json", .init(predictiveController: .reacher)),
            ("pendulum-reflex-uaic.json", .init(reflexController: .pendulumHold(variant: .unbiased))),
            ("pendulum-reflex-aic.json", .init(reflexController: .pendulumHold(variant: .aic))),
            ("arm2-reflex-aic.json", .init(reflexController: .twoLinkArm(variant: .aic))),
            ("arm2-reflex-uaic.json", .init(reflexController: .twoLinkArm(variant: .unbiased))),
            ("lightdark-efe.json", .init(activeSensing: ActiveSensingOptions(policy: .expectedFreeEnergy))),
            ("lightdark-counter-efe.json", .init(activeSensing: .counterCheck(policy: .expectedFreeEnergy))),
            ("kinematic-arm-hierarchy.json", .init(kinematicHierarchy: .referenceArm)),
        ]
        var all = files
        // Every generic task: the true-model planner on state observations, and the learning agent
        // with the task's goal prior (`pcctl run <task> --agent <file>`).
        for name in ControlTasks.names {
            let task = try ControlTasks.make(name, parameters: TaskParameters(task: name, pairs: []))
            if ["mountaincar", "inverted-pendulum", "acrobot-continuous"].contains(name) {
                all.append(("\(name)-predictive.json", .init(predictiveController: try task.learnedPlanner())))
            }
            all.append(("\(name)-learning.json", .init(learning: try ControlTaskRun.learningOptions(
                for: task, explorationSteps: nil, hiddenSizes: nil, seed: 0))))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, configuration) in all {
            let path = (directory as NSString).appendingPathComponent(name)
            try configuration.encoded().write(to: URL(fileURLWithPath: path))
            // Every written file must load back to the same configuration.
            guard try AgentConfiguration.load(path: path) == configuration else {
                throw ValidationError("\(path) does not round-trip")
            }
            print(path)
        }
    }
}
