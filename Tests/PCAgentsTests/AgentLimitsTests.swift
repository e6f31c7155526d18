import Foundation
import Testing
@testable import PCAgents

/// Every count a configuration sets has a documented maximum, checked before anything is allocated.
@Suite struct AgentLimitsTests {
    /// Decodes the pendulum preset with `key` of the block at `path` set to the raw JSON number `number`.
    static func decodePredictive(setting key: String, in path: [String] = [], to number: String) throws -> AgentConfiguration {
        let data = try AgentConfiguration(predictiveController: .pendulumSwingUp).encoded()
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var block = object["predictiveController"] as! [String: Any]
        if let nested = path.first {
            var inner = block[nested] as! [String: Any]
            inner[key] = 7_777_777
            block[nested] = inner
        } else {
            block[key] = 7_777_777
        }
        object["predictiveController"] = block
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            .replacingOccurrences(of: "7777777", with: number)
        return try AgentConfiguration.decode(Data(text.utf8))
    }

    @Test(arguments: [("horizon", [String](), 1000), ("iterations", [], 100_000), ("replanInterval", [], 1000),
                      ("samples", ["proposal"], 4096)])
    func hugeCountsAreRefusedWithTheirMaximum(key: String, path: [String], maximum: Int) throws {
        let field = (path + [key]).joined(separator: ".")
        for number in ["1000000000", "4611686018427387904", "1e9"] {
            #expect(throws: AgentConfigurationError.invalidValue(field: field, value: "\(Int(Double(number)!))",
                                                                 requirement: "must be at most \(maximum)")) {
                try Self.decodePredictive(setting: key, in: path, to: number)
            }
        }
        // A number no Int holds is refused by its full path and maximum (the decoder alone says "not valid JSON").
        for (number, value) in [("1e20", "1e+20"), ("18446744073709551616", "1.8446744073709552e+19"), ("1.5", "1.5")] {
            #expect(throws: AgentConfigurationError.invalidValue(field: "predictiveController.\(field)", value: value,
                                                                 requirement: "must be a whole number at most \(maximum)")) {
                try Self.decodePredictive(setting: key, in: path, to: number)
            }
        }
    }

    @Test func messageNamesTheOptionAndItsMaximum() throws {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.horizon = 100_000_000
        do {
            try options.validate(stateDimension: 2, actionDimension: 1)
            Issue.record("horizon 1e8 should be refused")
        } catch {
            #expect("\(error)" == "field `horizon`: must be at most 1000 (got 100000000)")
        }
        options = .pendulumSwingUp
        options.controlStepSize = 1e300
        #expect(throws: AgentConfigurationError.invalidValue(field: "controlStepSize", value: "1e+300", requirement: "must be at most 1000000.0")) {
            try options.validate(stateDimension: 2, actionDimension: 1)
        }
        options = .pendulumSwingUp
        options.goalPrecision = [2, 1e20]
        #expect(throws: AgentConfigurationError.invalidValue(field: "goalPrecision[1]", value: "1e+20", requirement: "must be at most 1000000000000.0")) {
            try options.validate(stateDimension: 2, actionDimension: 1)
        }
    }

    @Test func hugeSizesInEveryAgentAreRefusedBeforeAllocation() throws {
        let huge = "4611686018427387904"
        let cases: [(json: String, field: String, maximum: Int)] = [
            (#"{"agent": "reflexController", "reflexController": {"jointCount": \#(huge), "goal": [0]}}"#, "jointCount", 512),
            (#"{"agent": "activeSensing", "activeSensing": {"gridSize": \#(huge)}}"#, "gridSize", 1024),
            (#"{"agent": "activeSensing", "activeSensing": {"samples": 1000000000}}"#, "samples", 4096),
            (#"{"agent": "kinematicHierarchy", "kinematicHierarchy": {"lengths": [1], "inferenceSteps": \#(huge)}}"#, "inferenceSteps", 100_000),
            (#"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "observation": {"stateDimension": \#(huge)}}}"#,
             "observation.stateDimension", 1024),
            (#"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "observation": {"observationDimension": \#(huge), "sources": [{"value": {"_0": 0}}]}}}"#,
             "observation.observationDimension", 2048),
        ]
        for c in cases {
            do {
                _ = try AgentConfiguration.decode(Data(c.json.utf8))
                Issue.record("\(c.field) should be refused")
            } catch {
                #expect("\(error)".hasPrefix("field `\(c.field)`: must be at most \(c.maximum) (got "), "\(error)")
            }
        }
        // Index arrays too.
        let indices = #"{"agent": "reflexController", "reflexController": {"jointCount": 1, "goal": [0], "observation": {"stateDimension": 2, "angleIndices": [1e30]}}}"#
        #expect(throws: AgentConfigurationError.invalidValue(field: "reflexController.observation.angleIndices", value: "[1e+30]",
                                                             requirement: "must be whole numbers from \(Int.min) to \(Int.max)")) {
            try AgentConfiguration.decode(Data(indices.utf8))
        }
        // Angles are wrapped on every evaluation: a list longer than the state is refused.
        #expect(throws: AgentConfigurationError.invalidValue(field: "outcome.angleIndices.count", value: "3", requirement: "must be at most 2")) {
            try OutcomeMap(stateDimension: 2, matrix: [1, 0, 0, 1], angleIndices: [0, 0, 0])
        }
        // An angle index near Int.max must not overflow the range check.
        #expect(throws: AgentConfigurationError.self) {
            try OutcomeMap(stateDimension: 2, matrix: [1, 0], reach: .init(lengths: [1], firstAngleIndex: Int.max, targetIndices: [0, 1]))
        }
        #expect(throws: AgentConfigurationError.invalidValue(field: "outcome.stateDimension", value: huge, requirement: "must be at most 1024")) {
            try OutcomeMap(stateDimension: Int(huge)!, matrix: [1])
        }
        #expect(throws: AgentConfigurationError.invalidValue(field: "capacity", value: huge, requirement: "must be at most 1000000")) {
            try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, actionLower: [-1], actionUpper: [1],
                                    capacity: Int(huge)!)
        }
        #expect(throws: AgentConfigurationError.invalidValue(field: "hiddenSizes[0]", value: "1000000000", requirement: "must be at most 4096")) {
            try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, actionLower: [-1], actionUpper: [1],
                                    hiddenSizes: [1_000_000_000])
        }
    }

    /// The pendulum preset resized; the model is NonlinearPlant (n = 2, m = 1).
    static func pendulum(horizon: Int, samples: Int) -> PredictiveControllerOptions {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.horizon = horizon
        options.proposal.samples = samples
        return options
    }

    @Test(arguments: [(1, 0), (20, 0), (20, 64), (1000, 4096)])
    func predictiveEstimateBoundsTheWorkspace(horizon: Int, samples: Int) throws {
        let options = Self.pendulum(horizon: horizon, samples: samples)
        let agent = try PredictiveController(model: FiniteDifferenceLinearization(NonlinearPlant()), options: options)
        // The workspace arena dominates what construction allocates (the rest is O(m) plus headers).
        let allocated = 8 * agent.workspace.count + 8 * agent.actionDimension
        let estimate = options.estimatedMemoryBytes(stateDimension: 2, actionDimension: 1)
        #expect(estimate >= allocated)
        #expect(estimate <= 4 * allocated)
        #expect(options.estimatedMemoryBytes(stateDimension: 2, actionDimension: 1)
                    < Self.pendulum(horizon: horizon + 1, samples: samples).estimatedMemoryBytes(stateDimension: 2, actionDimension: 1))
        #expect(options.estimatedMemoryBytes(stateDimension: 2, actionDimension: 1)
                    < Self.pendulum(horizon: horizon, samples: samples + 1).estimatedMemoryBytes(stateDimension: 2, actionDimension: 1))
    }

    @Test func predictiveWorkspaceAboveTheBudgetIsRefused() throws {
        let n = 1024
        var options = PredictiveControllerOptions(
            modelPrecision: [Double](repeating: 1, count: n), goal: [0], goalPrecision: [1],
            controlPrior: [0], controlPrecision: [1], controlLower: [-1], controlUpper: [1],
            outcome: try OutcomeMap(stateDimension: n, matrix: [Double](repeating: 1, count: n)),
            observation: try ObservationLayout(stateDimension: n))
        options.horizon = 1000
        // H·n² Jacobian entries alone are 8 GB.
        #expect(options.estimatedMemoryBytes(stateDimension: n, actionDimension: 1) > AgentLimits.maximumMemoryBytes)
        do {
            try options.validate(stateDimension: n, actionDimension: 1)
            Issue.record("an 8 GB workspace should be refused")
        } catch let AgentConfigurationError.invalidValue(field, _, requirement) {
            #expect(field == "horizon, proposal.samples")
            #expect(requirement.contains("\(AgentLimits.maximumMemoryBytes) bytes"))
        }
        options.horizon = 10
        try options.validate(stateDimension: n, actionDimension: 1)
        // Unvalidated absurd sizes give a huge estimate, not a trap.
        options.horizon = Int.max
        #expect(options.estimatedMemoryBytes(stateDimension: Int.max, actionDimension: Int.max) == Int.max)
    }

    @Test func otherAgentsEstimatesBoundTheirBuffers() throws {
        for joints in [1, 7, 64] {
            let options = ReflexControllerOptions(jointCount: joints, goal: [Double](repeating: 0, count: joints))
            let agent = try ReflexController(options: options)
            let buffers = 8 * (agent.position.count + agent.velocity.count + agent.acceleration.count + agent.torque.count
                               + agent.integral.count + agent.sensors.count)
            #expect(options.estimatedMemoryBytes() >= buffers)
            #expect(options.estimatedMemoryBytes() < ReflexControllerOptions(jointCount: joints + 1, goal: []).estimatedMemoryBytes())
        }
        for size in [11, 81, 301] {
            var options = ActiveSensingOptions()
            options.gridSize = size
            let agent = try ActiveSensingAgent(options: options)
            // The belief and its cumulative sums: 2 N² Doubles, the bulk of the agent.
            let grid = 8 * (2 * agent.belief.logProbability.count + agent.belief.coordinates.count)
            #expect(options.estimatedMemoryBytes() >= grid)
            if size > 11 { #expect(options.estimatedMemoryBytes() <= 4 * grid) }
        }
        for links in [1, 4, 100] {
            let options = KinematicHierarchyOptions(lengths: [Double](repeating: 1, count: links))
            let agent = try KinematicHierarchy(options: options)
            let buffers = 8 * (6 * agent.angles.count + 4 * agent.extrinsic.count)
            #expect(options.estimatedMemoryBytes() >= buffers)
        }
        func learner(hidden: [Int], capacity: Int) throws -> ModelLearnerOptions {
            try ModelLearnerOptions(stateDimension: 2, actionDimension: 1, timeStep: 0.05, angleIndices: [0],
                                    actionLower: [-2], actionUpper: [2], hiddenSizes: hidden, capacity: capacity)
        }
        let small = try learner(hidden: [16], capacity: 1000)
        let network = try ModelLearner(options: small).network.parameterCount
        // Both transition memories when full, and the weights.
        #expect(small.estimatedMemoryBytes() >= 8 * (2 * 1000 * 5 + network))
        #expect(try learner(hidden: [16], capacity: 2000).estimatedMemoryBytes() > small.estimatedMemoryBytes())
        #expect(try learner(hidden: [32], capacity: 1000).estimatedMemoryBytes() > small.estimatedMemoryBytes())
        #expect(try learner(hidden: [16, 16], capacity: 1000).estimatedMemoryBytes() > small.estimatedMemoryBytes())
    }
}
