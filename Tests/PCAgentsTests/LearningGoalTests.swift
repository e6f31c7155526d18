import Foundation
import Testing
@testable import PCAgents

/// A goal alone makes a learning agent: its planner's prior is the goal, its robot fields come
/// from the spaces; every field is strict and ranged.
@Suite struct LearningGoalTests {
    @Test func aGoalBuildsTheWholeAgent() throws {
        let data = Data(#"{"agent": "learning", "goal": {"target": [0.5, 0], "precision": [10, 0.1], "angleIndices": [1], "samples": 16}}"#.utf8)
        let configuration = try AgentConfiguration.decode(data)
        let goal = try #require(configuration.goal)
        let options = try LearningAgentOptions(goal: goal, actionLower: [-4], actionUpper: [2], controlPeriod: 0.05)
        #expect(options.observationDimension == 2 && options.angleIndices == [1] && options.controlPeriod == 0.05)
        #expect(options.planner.goal == [0.5, 0] && options.planner.goalPrecision == [10, 0.1])
        #expect(options.planner.outcome.angleIndices == [1])
        #expect(options.planner.controlPrior == [-1] && options.planner.controlPrecision == [0.01])
        #expect(options.planner.proposal.samples == 16 && options.planner.proposal.noiseScale == [3])
        #expect(options.explorationSteps == 1000 && options.planner.horizon == 20)
        #expect(options.learner.ensembleSize == 1)
        _ = try LearningAgent(options: options)
        let ensemble = try AgentConfiguration.decode(Data(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "ensembleSize": 3}}"#.utf8))
        let ensembleOptions = try LearningAgentOptions(goal: try #require(ensemble.goal), actionLower: [-1], actionUpper: [1], controlPeriod: 0.05)
        #expect(ensembleOptions.learner.ensembleSize == 3)
        #expect(try LearningAgent(options: ensembleOptions).options.learner.ensembleSize == 3)
    }

    @Test func goalFieldsAreStrictAndRanged() throws {
        func refusal(_ json: String) -> String {
            do { _ = try AgentConfiguration.decode(Data(json.utf8)); return "accepted" } catch { return "\(error)" }
        }
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precison": [1]}}"#).contains("precision"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0, 1], "precision": [1]}}"#).contains("goal.precision"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [-1]}}"#).contains("goal.precision"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "controlCost": 0}}"#).contains("goal.controlCost"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "angleIndices": [3]}}"#).contains("goal.angleIndices"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "horizon": 1e9}}"#).contains("horizon"))
        #expect(refusal(#"{"agent": "reflexController", "goal": {"target": [0], "precision": [1]}}"#).contains("reflexController"))
        #expect(refusal(#"{"agent": "learning"}"#).contains("goal"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "ensembleSize": 9}}"#).contains("goal.ensembleSize"))
        #expect(refusal(#"{"agent": "learning", "goal": {"target": [0], "precision": [1], "ensembleSise": 2}}"#).contains("ensembleSize"))
        let goal = try LearningGoal(target: [0], precision: [1])
        #expect(throws: AgentConfigurationError.self) {
            _ = try LearningAgentOptions(goal: goal, actionLower: [-Double.infinity], actionUpper: [1], controlPeriod: 0.05)
        }
    }
}
