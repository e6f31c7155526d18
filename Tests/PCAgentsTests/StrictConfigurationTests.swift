import Foundation
import Testing
import PCAgents

/// Unknown keys in agent configurations are errors that name the key's path and the closest known key.
@Suite struct StrictConfigurationTests {
    /// The pendulum preset as a JSON object, edited by `change` and decoded.
    static func decodeEdited(_ change: (inout [String: Any]) -> Void) throws -> AgentConfiguration {
        let data = try AgentConfiguration(predictiveController: .pendulumSwingUp).encoded()
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&object)
        return try AgentConfiguration.decode(try JSONSerialization.data(withJSONObject: object))
    }

    static func unknownKey(_ change: (inout [String: Any]) -> Void) throws -> (path: String, suggestion: String?, known: [String], text: String) {
        do {
            _ = try decodeEdited(change)
        } catch let error as AgentConfigurationError {
            guard case let .unknownKey(path, suggestion, known) = error else {
                Issue.record("expected unknownKey, got \(error)")
                return ("", nil, [], "")
            }
            return (path, suggestion, known, error.description)
        }
        Issue.record("decoding should fail")
        return ("", nil, [], "")
    }

    @Test func topLevelTypoSuggestsTheKey() throws {
        let error = try Self.unknownKey { object in
            object["predictiveControler"] = object.removeValue(forKey: "predictiveController")
        }
        #expect(error.path == "predictiveControler")
        #expect(error.suggestion == "predictiveController")
        #expect(error.known == ["agent", "task", "parameters", "predictiveController", "reflexController", "activeSensing", "kinematicHierarchy", "learning", "goal"])
    }

    @Test func topLevelAcceptsTaskAndRefusesOtherKeys() throws {
        let configuration = try Self.decodeEdited { $0["task"] = "pendulum" }
        #expect(configuration.task == "pendulum")
        #expect(configuration.predictiveController == .pendulumSwingUp)
        let error = try Self.unknownKey { $0["mass"] = 1.3 }
        #expect(error.path == "mass")
    }

    @Test func nestedTypoNamesTheFullPath() throws {
        let error = try Self.unknownKey { object in
            var block = object["predictiveController"] as! [String: Any]
            block["horizn"] = 5
            object["predictiveController"] = block
        }
        #expect(error.path == "predictiveController.horizn")
        #expect(error.suggestion == "horizon")
        #expect(error.text.hasPrefix("unknown key `predictiveController.horizn`: did you mean `horizon`? (known keys: horizon, iterations,"))
    }

    @Test func doublyNestedTypoNamesTheFullPath() throws {
        let error = try Self.unknownKey { object in
            var block = object["predictiveController"] as! [String: Any]
            block["proposal"] = ["sample": 64]
            object["predictiveController"] = block
        }
        #expect(error.path == "predictiveController.proposal.sample")
        #expect(error.suggestion == "samples")
        #expect(error.text == "unknown key `predictiveController.proposal.sample`: did you mean `samples`? (known keys: samples, noiseScale, temperature)")
    }

    @Test func keyWithNoCloseMatchListsTheKnownKeys() throws {
        let error = try Self.unknownKey { object in
            var block = object["predictiveController"] as! [String: Any]
            var outcome = block["outcome"] as! [String: Any]
            outcome["wobbleFrequencyHz"] = 3
            block["outcome"] = outcome
            object["predictiveController"] = block
        }
        #expect(error.path == "predictiveController.outcome.wobbleFrequencyHz")
        #expect(error.suggestion == nil)
        #expect(error.text == "unknown key `predictiveController.outcome.wobbleFrequencyHz` (known keys: stateDimension, matrix, angleIndices, reach)")
    }

    @Test func everyOptionsTypeRefusesUnknownKeys() throws {
        let cases: [(json: String, path: String, suggestion: String?)] = [
            (#"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "perceptionGian": 5}}"#,
             "reflexController.perceptionGian", "perceptionGain"),
            (#"{"agent": "activeSensing", "activeSensing": {"gridsize": 21}}"#, "activeSensing.gridsize", "gridSize"),
            (#"{"agent": "activeSensing", "activeSensing": {"noise": {"distance": {"base": 0.1, "slop": 0.5}}}}"#,
             "activeSensing.noise.distance.slop", "slope"),
            (#"{"agent": "kinematicHierarchy", "kinematicHierarchy": {"lengths": [1, 1], "timestep": 0.1}}"#,
             "kinematicHierarchy.timestep", "timeStep"),
            (#"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "observation": {"stateDimension": 2, "angleIndex": [0]}}}"#,
             "reflexController.observation.angleIndex", "angleIndices"),
            (#"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "observation": {"observationDimension": 2, "sources": [{"value": {"_0": 0}}, {"angle": {"cos": 0, "sine": 1}}]}}}"#,
             "reflexController.observation.sources[1].angle.sine", "sin"),
        ]
        for c in cases {
            do {
                _ = try AgentConfiguration.decode(Data(c.json.utf8))
            } catch let AgentConfigurationError.unknownKey(path, suggestion, _) {
                #expect(path == c.path)
                #expect(suggestion == c.suggestion)
            } catch {
                Issue.record("\(c.path): expected unknownKey, got \(error)")
            }
        }
    }

    @Test func modelLearnerOptionsRefuseUnknownKeys() throws {
        let options = try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                              actionLower: [-2], actionUpper: [2], hiddenSizes: [8])
        var object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(options)) as? [String: Any])
        #expect(try JSONDecoder().decode(ModelLearnerOptions.self, from: try JSONSerialization.data(withJSONObject: object)) == options)
        object["hiddenSize"] = [8]
        #expect(throws: AgentConfigurationError.unknownKey(path: "hiddenSize", suggestion: "hiddenSizes", known: [
            "stateDimension", "actionDimension", "timeStep", "angleIndices", "actionLower", "actionUpper", "observation",
            "hiddenSizes", "activation", "learning", "batchSize", "heldOutEvery", "capacity", "seed", "history", "averagingDecay", "ensembleSize"])) {
            try JSONDecoder().decode(ModelLearnerOptions.self, from: try JSONSerialization.data(withJSONObject: object))
        }
    }

    @Test func shippedConfigsRoundTripThroughTheStrictDecoder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ShippedConfigTests.directory.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 10)
        for file in files {
            let configuration = try AgentConfiguration.load(path: ShippedConfigTests.directory.appendingPathComponent(file).path)
            // What this build encodes, it reads back.
            #expect(try AgentConfiguration.decode(try configuration.encoded()) == configuration, "\(file)")
        }
    }
}
