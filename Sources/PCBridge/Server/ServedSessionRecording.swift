import Foundation
import PCEnvironment
import PCNumerics
import PCRecording
import PCWire

/// What `/pckit/config` holds in a served session's recording (``BridgeServerConfiguration/recordDirectory``):
/// the hello as the server accepted it, so `pcctl replay` can build the same agent.
public struct ServedSessionRecording: Codable, Sendable, Equatable {
    /// The recording format; readers refuse another.
    public var format = ServedSessionRecording.currentFormat
    /// The robot's name from the hello.
    public var robot: String
    /// The session's ID on the server that recorded it.
    public var session: UInt64
    /// The hello's observation bounds, (observationDimension) each; null: unbounded (−∞ low, +∞ high), as on the wire.
    public var observationLow: [Double?], observationHigh: [Double?]
    /// The hello's action bounds, (actionDimension) each.
    public var actionLow: [Double?], actionHigh: [Double?]
    /// Seconds between steps.
    public var controlPeriod: Double
    /// Seconds of compute each step was given; a step that stopped at it (diagnostics bit 2) may not replay bit for bit.
    public var computeDeadline: Double
    /// The hello's `agent` object, untouched.
    public var agent: JSONValue
    /// The model version restored from the server's model directory at the hello (nil: none); a
    /// session that resumed a saved model cannot be replayed from its hello alone.
    public var resumedModelVersion: Int?
    /// The recorded vectors' sizes.
    public var layout: SessionLayout
    /// The kernel path the server ran (``PCNumerics/KernelPath``): another path rounds differently,
    /// so a replay selects this one when the CPU has it.
    public var kernels: String?

    /// The format string of this version.
    public static let currentFormat = "pckit-served-session/1"

    /// The diagnostics' warning bits of a served session.
    public static let warningNames: [(bit: UInt32, name: String)] = [(1, "warning"), (2, "deadlineExceeded"), (4, "late")]

    /// The session's request, as the factory saw it.
    public var request: SessionRequest {
        get throws {
            SessionRequest(robot: robot,
                           observationSpace: try BoxSpace(low: observationLow.map { $0 ?? -.infinity }, high: observationHigh.map { $0 ?? .infinity }),
                           actionSpace: try BoxSpace(low: actionLow.map { $0 ?? -.infinity }, high: actionHigh.map { $0 ?? .infinity }),
                           controlPeriod: controlPeriod,
                           agentConfiguration: agent)
        }
    }

    /// The JSON schema of the configuration message.
    public static let schema = """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
         "description": "A session served by pcctl serve: the hello as accepted; pcctl replay rebuilds the agent from it.",
         "properties": {"format": {"const": "\(currentFormat)"}, "robot": {"type": "string"}, "session": {"type": "integer", "minimum": 0},
           "observationLow": {"type": "array"}, "observationHigh": {"type": "array"}, "actionLow": {"type": "array"}, "actionHigh": {"type": "array"},
           "controlPeriod": {"type": "number"}, "computeDeadline": {"type": "number"}, "agent": {"type": "object"},
           "resumedModelVersion": {"type": "integer"}, "layout": {"type": "object"}, "kernels": {"type": "string"}},
         "required": ["format", "robot", "session", "observationLow", "observationHigh", "actionLow", "actionHigh", "controlPeriod", "computeDeadline", "agent", "layout"]}
        """
}

extension ServerCore {
    /// Starts recording a session whose agent was just built (worker thread, at the hello).
    static func startRecording(_ session: Session, request: SessionRequest, agent: any BridgeAgent, resumedModelVersion: Int?,
                               directory: String) throws -> SessionRecorder {
        let layout = SessionLayout(observationDimension: session.observationSpace.dimension, actionDimension: session.actionSpace.dimension,
                                   beliefs: agent.recordedBeliefs, controlPeriod: request.controlPeriod)
        func finite(_ values: [Double]) -> [Double?] { values.map { $0.isFinite ? $0 : nil } }
        let config = ServedSessionRecording(robot: request.robot, session: session.id,
                                            observationLow: finite(request.observationSpace.low), observationHigh: finite(request.observationSpace.high),
                                            actionLow: finite(request.actionSpace.low), actionHigh: finite(request.actionSpace.high),
                                            controlPeriod: request.controlPeriod, computeDeadline: session.computeDeadline,
                                            agent: request.agentConfiguration, resumedModelVersion: resumedModelVersion, layout: layout,
                                            kernels: KernelPath.current.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let safeRobot = String(request.robot.unicodeScalars.prefix(64).map {
            (("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "-" || $0 == "_" || $0 == ".") ? Character($0) : "_"
        })
        let path = (directory as NSString).appendingPathComponent("session-\(session.id)-\(safeRobot).mcap")
        return try SessionRecorder(path: path, configuration: Array(try encoder.encode(config)), configurationSchema: ServedSessionRecording.schema,
                                   layout: layout, warningNames: ServedSessionRecording.warningNames, library: "pcctl serve")
    }

    /// Closes a session's recording (at most once), logging what it holds or why it failed.
    static func finishRecording(of session: Session, why: String, log: (@Sendable (String) -> Void)?) {
        guard let recorder = session.recorder else { return }
        session.recorder = nil
        do {
            let summary = try recorder.finish()
            log?("session \(session.id) (\(session.robot)) recorded to \(recorder.path) (\(why)): \(summary.steps) steps, \(summary.bytes) bytes"
                 + (summary.stalls > 0 ? ", waited for the writer \(summary.stalls) times" : ""))
        } catch {
            log?("session \(session.id) (\(session.robot)) recording \(recorder.path) failed (\(why)): \(error)")
        }
    }
}
