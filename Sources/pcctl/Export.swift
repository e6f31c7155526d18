import ArgumentParser
import Foundation
import PCRecording
import PCWire

/// `pcctl export FILE.mcap --format npz`: one NumPy array per channel field of a recorded session.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a recorded session as NumPy arrays (.npz), one array per channel field.",
        discussion: """
        Arrays are named <channel>.<field>: observation.values (steps × observationDimension), observation.episode, \
        observation.step, observation.acted, action.values, diagnostics.freeEnergy, diagnostics.iterations, \
        diagnostics.converged, diagnostics.warningBits, diagnostics.computeTime, beliefs.<field> (steps × size), \
        episode.episode, episode.seed, and config (the session's configuration as JSON text). Observation and action \
        values come from their recorded bit patterns, so they are exactly the recorded doubles (NaN and ±∞ included); \
        other non-finite numbers (recorded as null) become NaN. Warning names are left out: diagnostics.warningBits \
        holds them (bit order of AgentWarnings: invalidObservation, divergence, notConverged, warmStartReset, \
        refinementRejected, deadlineExceeded). Load with numpy: `np.load("session.npz")["action.values"]`.
        """)

    @Argument(help: "A session recorded by `pcctl run --record`.")
    var file: String

    @Option(name: .long, help: "Output format: npz (NumPy).")
    var format: String = "npz"

    @Option(name: [.short, .long], help: "The output file (default: FILE with the extension .npz).")
    var output: String?

    private struct EpisodeMessage: Decodable { var episode: Int; var seed: UInt64 }

    func run() throws {
        guard format == "npz" else { throw ValidationError("--format \(format): pcctl export writes npz (NumPy arrays); no other format yet") }
        let recording = try RecordedSessionFile(path: file)
        let destination = output ?? (file.hasSuffix(".mcap") ? String(file.dropLast(5)) : file) + ".npz"
        var arrays: [(name: String, array: NumpyArray)] = []
        let config = recording.file.messages(topic: SessionRecorder.Topic.config)[0]
        arrays.append(("config", NumpyArray(text: String(decoding: config.data, as: UTF8.self))))
        // Episodes: seeds are UInt64, decoded exactly.
        let episodes = try recording.file.messages(topic: SessionRecorder.Topic.episode).map { message in
            do { return try JSONDecoder().decode(EpisodeMessage.self, from: Data(message.data)) } catch {
                throw RecordedSessionError.badMessage(path: file, topic: SessionRecorder.Topic.episode, offset: message.offset, reason: "\(error)")
            }
        }
        arrays.append(("episode.episode", NumpyArray(integers: episodes.map { Int64($0.episode) })))
        arrays.append(("episode.seed", NumpyArray(unsigned: episodes.map(\.seed))))
        for (topic, prefix) in [(SessionRecorder.Topic.observation, "observation"), (SessionRecorder.Topic.action, "action"),
                                (SessionRecorder.Topic.diagnostics, "diagnostics"), (SessionRecorder.Topic.beliefs, "beliefs")] {
            arrays += try columns(of: recording.file.messages(topic: topic), topic: topic, prefix: prefix)
        }
        try writeNumpyArchive(arrays, to: destination)
        print("exported \(file) → \(destination): \(arrays.count) arrays, \(recording.events.count) recorded agent calls (resets, steps, perceptions)")
    }

    /// One array per field of a channel's messages.
    func columns(of messages: [MCAPMessage], topic: String, prefix: String) throws -> [(name: String, array: NumpyArray)] {
        guard !messages.isEmpty else { return [] }
        let decoder = JSONDecoder()
        var rows: [[String: JSONValue]] = []
        rows.reserveCapacity(messages.count)
        for message in messages {
            guard let row = try? decoder.decode([String: JSONValue].self, from: Data(message.data)) else {
                throw RecordedSessionError.badMessage(path: file, topic: topic, offset: message.offset, reason: "not a JSON object")
            }
            rows.append(row)
        }
        func bad(_ index: Int, _ reason: String) -> RecordedSessionError {
            .badMessage(path: file, topic: topic, offset: messages[index].offset, reason: reason)
        }
        let integers: Set<String> = ["episode", "step", "iterations", "warningBits"]
        var result: [(name: String, array: NumpyArray)] = []
        let keys = rows[0].keys.sorted()
        // Warning names are left out: diagnostics.warningBits holds the same bits.
        for key in keys where key != "warnings" && !(key == "values" && keys.contains("bits")) {
            var doubles: [Double] = [], whole: [Int64] = [], flags: [Bool] = []
            var width: Int?
            for (index, row) in rows.enumerated() {
                guard let value = row[key] else { throw bad(index, "no field `\(key)`, which the channel's first message has") }
                switch value {
                case let .number(x) where integers.contains(key):
                    guard x == x.rounded(), abs(x) < 9.0e15 else { throw bad(index, "`\(key)` is \(x), not a whole number") }
                    whole.append(Int64(x))
                case let .number(x): doubles.append(x)
                case .null: doubles.append(.nan)
                case let .bool(b): flags.append(b)
                case let .array(items):
                    if width == nil { width = items.count }
                    guard items.count == width else { throw bad(index, "`\(key)` holds \(items.count) values, earlier messages \(width!)") }
                    for item in items {
                        switch item {
                        case let .number(x): doubles.append(x)
                        case .null: doubles.append(.nan)
                        case let .string(hex) where key == "bits":
                            guard hex.utf8.count == 16, let pattern = UInt64(hex, radix: 16) else { throw bad(index, "bit pattern `\(hex)` is not 16 hex digits") }
                            doubles.append(Double(bitPattern: pattern))
                        default: throw bad(index, "`\(key)` holds a value that is neither a number nor null")
                        }
                    }
                default:
                    throw bad(index, "`\(key)` is a \(value); export handles numbers, booleans and arrays of numbers")
                }
            }
            let name = prefix + "." + (key == "bits" ? "values" : key)
            if !whole.isEmpty {
                result.append((name, NumpyArray(integers: whole)))
            } else if !flags.isEmpty {
                result.append((name, NumpyArray(booleans: flags)))
            } else if let width {
                result.append((name, NumpyArray(doubles: doubles, shape: [rows.count, width])))
            } else {
                result.append((name, NumpyArray(doubles: doubles, shape: [rows.count])))
            }
        }
        return result
    }
}
