import Foundation
import Testing
import PCAgents
import PCSims

/// Every file under Examples/configs decodes, validates and builds its agent.
@Suite struct ShippedConfigTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/configs")

    @Test func shippedConfigsBuildTheirAgents() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 10)
        for file in files {
            let configuration = try AgentConfiguration.load(path: Self.directory.appendingPathComponent(file).path)
            switch configuration.agent {
            case .predictiveController:
                let options = try #require(configuration.predictiveController)
                // Each predictive config names its task's model by state dimension.
                switch options.outcome.stateDimension {
                case 2: _ = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium), options: options)
                case 4: _ = try PredictiveController(model: FiniteDifferenceLinearization(ActionRepeat(CartPoleModel.swingUp, count: options.replanInterval)), options: options)
                default: _ = try PredictiveController(model: FiniteDifferenceLinearization(PlanarArm.reacher().model), options: options)
                }
            case .reflexController: _ = try ReflexController(options: try #require(configuration.reflexController))
            case .activeSensing: _ = try ActiveSensingAgent(options: try #require(configuration.activeSensing))
            case .kinematicHierarchy: _ = try KinematicHierarchy(options: try #require(configuration.kinematicHierarchy))
            case .learning: _ = try LearningAgent(options: try #require(configuration.learning))
            }
        }
    }
}
