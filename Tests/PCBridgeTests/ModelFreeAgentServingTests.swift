import Foundation
import Testing
import PCAgents
import PCEnvironment
import PCWire
@testable import PCBridge

/// Reflex, active-sensing and kinematic-hierarchy agents are served from their options block
/// alone (the same JSON as Examples/configs), with their dimensions checked against the hello.
@Suite struct ModelFreeAgentServingTests {
    static let configURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples/configs/arm2-reflex-uaic.json").standardizedFileURL

    func request(observations: Int, actions: Int, agent: JSONValue) throws -> SessionRequest {
        SessionRequest(robot: "arm", observationSpace: try BoxSpace(dimension: observations, low: -10, high: 10),
                       actionSpace: try BoxSpace(dimension: actions, low: -100, high: 100), controlPeriod: 0.001,
                       agentConfiguration: agent)
    }

    @Test func reflexControllerIsServedAndActsLikeTheInProcessController() throws {
        let data = try Data(contentsOf: Self.configURL)
        let hello = try JSONDecoder().decode(JSONValue.self, from: data)
        let served = try PCAgentFactory(models: [:]).makeAgent(for: try request(observations: 4, actions: 2, agent: hello))
        var local = try ReflexController(options: try AgentConfiguration.decode(data, path: "config").reflexController!)
        try served.reset(seed: 3)
        local.reset(seed: 3)
        let observation = [-1.5, 0.1, 0.2, -0.3]
        var servedAction = [0.0, 0.0], localAction = [0.0, 0.0]
        for _ in 0..<50 {
            _ = observation.withUnsafeBufferPointer { o in
                servedAction.withUnsafeMutableBufferPointer { a in served.step(observation: o, action: a) }
            }
            _ = local.step(observation, action: &localAction)
            #expect(servedAction == localAction)
        }
        #expect(servedAction.contains { $0 != 0 }, "the controller must act on a state away from its goal")
    }

    @Test func wrongDimensionsAndMissingOptionsAreRefusedByName() throws {
        let hello = try JSONDecoder().decode(JSONValue.self, from: try Data(contentsOf: Self.configURL))
        let factory = PCAgentFactory(models: [:])
        #expect(throws: AgentRequestError.observationDimension(expected: 4, got: 3)) {
            _ = try factory.makeAgent(for: try request(observations: 3, actions: 2, agent: hello))
        }
        #expect(throws: AgentRequestError.actionDimension(expected: 2, got: 1)) {
            _ = try factory.makeAgent(for: try request(observations: 4, actions: 1, agent: hello))
        }
        #expect(throws: AgentRequestError.missingOptions(agent: "reflexController", task: "(none)")) {
            _ = try factory.makeAgent(for: try request(observations: 4, actions: 2, agent: ["agent": "reflexController"]))
        }
    }
}
