import Foundation
import PCAgents
import PCBridge
import PCRecording

/// Why a file is not a session `pcctl replay` or `pcctl export` can read.
enum RecordedSessionError: Error, CustomStringConvertible {
    /// The MCAP container is unreadable (truncated, corrupt, too large…).
    case unreadable(path: String, MCAPError)
    /// The MCAP file holds no pcctl session (no `/pckit/config`, another format…).
    case notASession(path: String, reason: String)
    /// A message does not hold what its channel promises.
    case badMessage(path: String, topic: String, offset: Int, reason: String)

    var description: String {
        switch self {
        case let .unreadable(path, error):
            // Its I/O and size errors name the file already.
            switch error {
            case .io, .fileTooLarge: return "\(error)"
            default: return "\(path): \(error)"
            }
        case let .notASession(path, reason): return "\(path) is not a pcctl session recording: \(reason)"
        case let .badMessage(path, topic, offset, reason): return "\(path): message on \(topic) at offset \(offset): \(reason)"
        }
    }
}

/// One agent call of a recorded session, in the order the agent saw them.
enum RecordedEvent {
    /// The agent was reset with `seed` at the start of `episode`.
    case reset(episode: Int, seed: UInt64)
    /// The agent stepped on `observation` and wrote `action`.
    case step(episode: Int, step: Int, observation: [Double], action: [Double])
    /// The agent perceived `observation` outside a step.
    case perceive(observation: [Double])
    /// Something was done to the agent between steps (`learningFrozen`: its learning switched off).
    case event(String)
}

/// A session recorded by `pcctl run --record`, read back: its configuration and its agent calls.
struct RecordedSessionFile {
    /// What recorded the session.
    enum Origin {
        /// `pcctl run --record`.
        case run(RecordedSession)
        /// `pcctl serve --record`.
        case served(ServedSessionRecording)
    }

    let path: String
    let file: MCAPFile
    let origin: Origin
    let layout: SessionLayout
    let events: [RecordedEvent]
    /// Each recorded step's diagnostics warning bits, in step order.
    let stepWarnings: [UInt32]

    private struct Probe: Decodable { var format: String }
    private struct DiagnosticsMessage: Decodable { var warningBits: UInt32 }
    private struct EpisodeMessage: Decodable { var episode: Int; var seed: UInt64 }
    private struct EventMessage: Decodable { var event: String }
    private struct VectorMessage: Decodable { var episode: Int; var step: Int; var acted: Bool?; var bits: [String] }

    init(path: String) throws {
        self.path = path
        do { file = try MCAPFile(path: path) } catch let error as MCAPError { throw RecordedSessionError.unreadable(path: path, error) }
        guard let config = file.messages(topic: SessionRecorder.Topic.config).first else {
            throw RecordedSessionError.notASession(path: path, reason: "no message on \(SessionRecorder.Topic.config)")
        }
        do {
            let format = try JSONDecoder().decode(Probe.self, from: Data(config.data)).format
            switch format {
            case RecordedSession.currentFormat:
                let session = try JSONDecoder().decode(RecordedSession.self, from: Data(config.data))
                origin = .run(session)
                layout = session.layout
            case ServedSessionRecording.currentFormat:
                let served = try JSONDecoder().decode(ServedSessionRecording.self, from: Data(config.data))
                origin = .served(served)
                layout = served.layout
            default:
                throw RecordedSessionError.notASession(
                    path: path, reason: "format \(format); this pcctl reads \(RecordedSession.currentFormat) and \(ServedSessionRecording.currentFormat)")
            }
        } catch let error as RecordedSessionError {
            throw error
        } catch {
            throw RecordedSessionError.badMessage(path: path, topic: SessionRecorder.Topic.config, offset: config.offset, reason: "\(error)")
        }
        events = try Self.events(of: file, layout: layout, path: path)
        let diagnosticsChannel = file.channel(topic: SessionRecorder.Topic.diagnostics)?.id
        stepWarnings = try file.messages.filter { $0.channelID == diagnosticsChannel }.map { message in
            do { return try JSONDecoder().decode(DiagnosticsMessage.self, from: Data(message.data)).warningBits } catch {
                throw RecordedSessionError.badMessage(path: path, topic: SessionRecorder.Topic.diagnostics, offset: message.offset, reason: "\(error)")
            }
        }
    }

    /// The kernel path the session ran on, if recorded.
    var kernels: String? {
        switch origin {
        case let .run(session): session.kernels
        case let .served(served): served.kernels
        }
    }

    /// The task (run) or `served` and the robot's name (serve).
    var taskDescription: String {
        switch origin {
        case let .run(session): session.task
        case let .served(served): "served session \(served.session) of \(served.robot)"
        }
    }

    /// The agent calls, in file order (the recorder writes each step's observation before its action).
    private static func events(of file: MCAPFile, layout: SessionLayout, path: String) throws -> [RecordedEvent] {
        let topics = Dictionary(uniqueKeysWithValues: file.channels.values.map { ($0.id, $0.topic) })
        let decoder = JSONDecoder()
        var events: [RecordedEvent] = []
        var pending: (episode: Int, step: Int, observation: [Double])?
        for message in file.messages {
            let topic = topics[message.channelID] ?? ""
            func bad(_ reason: String) -> RecordedSessionError { .badMessage(path: path, topic: topic, offset: message.offset, reason: reason) }
            func decode<T: Decodable>(_ type: T.Type) throws -> T {
                do { return try decoder.decode(type, from: Data(message.data)) } catch { throw bad("\(error)") }
            }
            func values(_ bits: [String], _ count: Int) throws -> [Double] {
                guard bits.count == count else { throw bad("\(bits.count) values, the session's layout says \(count)") }
                return try bits.map { hex in
                    guard hex.utf8.count == 16, let pattern = UInt64(hex, radix: 16) else { throw bad("bit pattern `\(hex)` is not 16 hex digits") }
                    return Double(bitPattern: pattern)
                }
            }
            switch topic {
            case SessionRecorder.Topic.episode:
                guard pending == nil else { throw bad("episode starts before step \(pending!.step)'s action") }
                let episode = try decode(EpisodeMessage.self)
                events.append(.reset(episode: episode.episode, seed: episode.seed))
            case SessionRecorder.Topic.observation:
                let observation = try decode(VectorMessage.self)
                let values = try values(observation.bits, layout.observationDimension)
                if observation.acted == false {
                    events.append(.perceive(observation: values))
                } else {
                    guard pending == nil else { throw bad("a second observation before step \(pending!.step)'s action") }
                    pending = (observation.episode, observation.step, values)
                }
            case SessionRecorder.Topic.event:
                guard pending == nil else { throw bad("an event before step \(pending!.step)'s action") }
                events.append(.event(try decode(EventMessage.self).event))
            case SessionRecorder.Topic.action:
                let action = try decode(VectorMessage.self)
                guard let observed = pending, observed.episode == action.episode, observed.step == action.step else {
                    throw bad("action of episode \(action.episode) step \(action.step) without its observation")
                }
                events.append(.step(episode: action.episode, step: action.step, observation: observed.observation,
                                    action: try values(action.bits, layout.actionDimension)))
                pending = nil
            default:
                continue
            }
        }
        return events
    }
}
