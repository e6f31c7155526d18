import Foundation
import PCAgents
import PCNumerics
import PCRecording

/// What `/pckit/config` holds: everything `pcctl replay` needs to rebuild the agent of a recorded
/// `pcctl run`, and to say what it was.
struct RecordedSession: Codable, Equatable {
    /// The recording format; `pcctl replay` refuses another.
    var format = RecordedSession.currentFormat
    var pckitVersion: String = PCCTLVersion.string
    /// The task run (pendulum, arm-uaic, lightdark, lightdark-counter).
    var task: String
    /// The agent exactly as built (its options after defaults and presets).
    var agent: AgentConfiguration
    /// The task's physical parameters (`--param`), by name.
    var parameters: [String: Double]
    /// Episode k used seed firstSeed + k.
    var firstSeed: Int
    var episodes: Int
    /// Pendulum: initial states from PCKit's generator instead of Gymnasium's fixture.
    var ownRandomStarts: Bool
    /// The recorded vectors' sizes and the control period.
    var layout: SessionLayout
    /// The kernel path the run used (another path rounds differently; replay selects this one).
    var kernels: String? = KernelPath.current.rawValue

    static let currentFormat = "pckit-session/1"

    /// The JSON schema of the configuration message.
    static let schema = """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
         "description": "A recorded pcctl run: the agent as built, the task, its parameters and seeds; pcctl replay rebuilds the agent from it.",
         "properties": {
           "format": {"const": "\(currentFormat)"}, "pckitVersion": {"type": "string"}, "task": {"type": "string"},
           "agent": {"type": "object", "required": ["agent"], "description": "an agent configuration file (Examples/configs/)"},
           "parameters": {"type": "object", "additionalProperties": {"type": "number"}},
           "firstSeed": {"type": "integer", "minimum": 0}, "episodes": {"type": "integer", "minimum": 1},
           "ownRandomStarts": {"type": "boolean"}, "kernels": {"type": "string"},
           "layout": {"type": "object", "required": ["observationDimension", "actionDimension", "beliefs", "controlPeriod"]}},
         "required": ["format", "pckitVersion", "task", "agent", "parameters", "firstSeed", "episodes", "ownRandomStarts", "layout"],
         "additionalProperties": false}
        """

    /// Starts a recorder writing this session to `path`.
    func startRecorder(path: String, events: [String] = []) throws -> SessionRecorder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try SessionRecorder(path: path, configuration: Array(try encoder.encode(self)), configurationSchema: Self.schema,
                                   layout: layout, warningNames: AgentWarnings.named.map { ($0.0.rawValue, $0.1) }, events: events,
                                   library: "pcctl \(PCCTLVersion.string)")
    }
}

/// pcctl's version for recordings (the same string as `pcctl --version` starts with).
enum PCCTLVersion {
    static let string = pckitVersion
}

/// A run loop's recorder and how to read its agent's beliefs (`A`: the agent's type, or `any Agent`).
struct RunRecording<A> {
    let recorder: SessionRecorder
    /// Writes the agent's beliefs, (layout.beliefDimension) values, without allocating. It reads the
    /// agent through a pointer: an agent passed by value through this closure is copied at every
    /// reabstraction (three 264-byte copies of a reflex controller, most of its recording cost).
    let beliefs: (UnsafePointer<A>, UnsafeMutableBufferPointer<Double>) -> Void

    /// Records one step (allocation-free: copies into the recorder's ring). `agent` is `inout` only so
    /// that its beliefs are read in place; it is not changed.
    func record(_ agent: inout A, observation: [Double], action: [Double], diagnostics: StepDiagnostics) {
        withUnsafePointer(to: &agent) { agent in
            recorder.recordStep(observation: observation, action: action, freeEnergy: diagnostics.freeEnergy,
                                iterations: diagnostics.iterations, converged: diagnostics.converged,
                                warnings: diagnostics.warnings.rawValue, computeTime: diagnostics.computeTime) { buffer in
                beliefs(agent, buffer)
            }
        }
    }
}

/// A predictive controller seen through `any Agent`: its options and its plan.
protocol RecordablePlan: Agent {
    var options: PredictiveControllerOptions { get }
    var planDimensions: (states: Int, controls: Int) { get }
    func writePlan(states: UnsafeMutableBufferPointer<Double>, controls: UnsafeMutableBufferPointer<Double>)
}

extension PredictiveController: RecordablePlan {}

extension RecordedSession {
    /// The session of a predictive controller: its options as the agent, its plan as the beliefs.
    static func plan<P: RecordablePlan>(task: String, controller: P, parameters: [String: Double] = [:], firstSeed: Int,
                                        episodes: Int, ownRandomStarts: Bool = false, controlPeriod: Double) -> RecordedSession {
        RecordedSession(task: task, agent: AgentConfiguration(predictiveController: controller.options), parameters: parameters,
                        firstSeed: firstSeed, episodes: episodes, ownRandomStarts: ownRandomStarts,
                        layout: SessionLayout(observationDimension: controller.observationDimension, actionDimension: controller.actionDimension,
                                              beliefs: AgentBeliefs.predictive(controller), controlPeriod: controlPeriod))
    }
}

/// The belief fields each agent records, and how to write them.
enum AgentBeliefs {
    /// A writer of the plan of an agent held as `any Agent` whose concrete type is `plan`'s.
    static func planWriter<P: RecordablePlan>(for plan: P) -> (UnsafePointer<any Agent>, UnsafeMutableBufferPointer<Double>) -> Void {
        { agent, buffer in
            let plan = agent.pointee as! P
            withUnsafePointer(to: plan) { writePredictive($0, buffer) }
        }
    }

    /// A recording of `controller`'s session, its plan as beliefs.
    static func planRecording<P: RecordablePlan>(_ controller: P, session: RecordedSession, path: String) throws -> RunRecording<P> {
        RunRecording(recorder: try session.startRecorder(path: path), beliefs: { agent, buffer in writePredictive(agent, buffer) })
    }

    static func predictive<P: RecordablePlan>(_ controller: P) -> [BeliefField] {
        let (states, controls) = controller.planDimensions
        return [BeliefField(name: "plannedStates", count: states,
                            description: "the plan's states x₀…x_H, time-major, (horizon + 1)·stateDimension, in the model's state units"),
                BeliefField(name: "plannedControls", count: controls,
                            description: "the plan's controls u₀…u_{H−1}, time-major, horizon·actionDimension; u₀ is the executed action")]
    }

    static func writePredictive<P: RecordablePlan>(_ controller: UnsafePointer<P>, _ buffer: UnsafeMutableBufferPointer<Double>) {
        let states = controller.pointee.planDimensions.states
        controller.pointee.writePlan(states: UnsafeMutableBufferPointer(rebasing: buffer[0..<states]),
                             controls: UnsafeMutableBufferPointer(rebasing: buffer[states...]))
    }

    static func learning(_ agent: LearningAgent) -> [BeliefField] {
        [BeliefField(name: "phase", count: 1, description: "0 while exploring (motor babbling), 1 while controlling on the learned model"),
         BeliefField(name: "modelVersion", count: 1, description: "the version of the model the planner uses (0 while exploring, +1 per swap)"),
         BeliefField(name: "predictionError", count: agent.observationDimension,
                     description: "online root-mean-square prediction error of the model in use, per state; NaN before any measurement")]
    }

    static func writeLearning(_ agent: UnsafePointer<LearningAgent>, _ buffer: UnsafeMutableBufferPointer<Double>) {
        buffer[0] = agent.pointee.phase == .controlling ? 1 : 0
        buffer[1] = Double(agent.pointee.modelVersion)
        let error = agent.pointee.onlinePredictionError.rootMeanSquare
        for i in 0..<agent.pointee.observationDimension { buffer[2 + i] = i < error.count ? error[i] : .nan }
    }

    /// The events a learning run records: its learning switched off before it is scored.
    static let learningEvents = ["learningFrozen"]

    static func hierarchy(_ agent: KinematicHierarchy) -> [BeliefField] {
        [BeliefField(name: "believedEndEffector", count: 2, description: "the end effector's believed position (x, y), in the arm's units")]
    }

    static func writeHierarchy(_ agent: UnsafePointer<KinematicHierarchy>, _ buffer: UnsafeMutableBufferPointer<Double>) {
        let tip = agent.pointee.believedEndEffector
        buffer[0] = tip.x
        buffer[1] = tip.y
    }

    static func reflex(_ controller: ReflexController) -> [BeliefField] {
        let j = controller.actionDimension
        return [BeliefField(name: "position", count: j, description: "believed joint angles μ, rad, (jointCount)"),
                BeliefField(name: "velocity", count: j, description: "believed joint velocities μ′, rad/s, (jointCount)"),
                BeliefField(name: "acceleration", count: j, description: "believed joint accelerations μ″, rad/s², (jointCount)"),
                BeliefField(name: "integral", count: j, description: "the unbiased AIC's integral I (0 for the aic variant), (jointCount)")]
    }

    static func writeReflex(_ controller: UnsafePointer<ReflexController>, _ buffer: UnsafeMutableBufferPointer<Double>) {
        let j = controller.pointee.actionDimension
        for i in 0..<j {
            buffer[i] = controller.pointee.position[i]
            buffer[j + i] = controller.pointee.velocity[i]
            buffer[2 * j + i] = controller.pointee.acceleration[i]
            buffer[3 * j + i] = controller.pointee.integral[i]
        }
    }

    static let sensing = [
        BeliefField(name: "posteriorMean", count: 2, description: "posterior mean of the target's position (x, y)"),
        BeliefField(name: "posteriorStandardDeviation", count: 1, description: "posterior standard deviation of the target's position"),
        BeliefField(name: "posteriorPrecision", count: 1, description: "1 / posterior variance"),
    ]

    static func writeSensing(_ agent: UnsafePointer<ActiveSensingAgent>, _ buffer: UnsafeMutableBufferPointer<Double>) {
        let mean = agent.pointee.posteriorMean, sd = agent.pointee.posteriorStandardDeviation
        buffer[0] = mean.x
        buffer[1] = mean.y
        buffer[2] = sd
        buffer[3] = 1 / (sd * sd)
    }
}
