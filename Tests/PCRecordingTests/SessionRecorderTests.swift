import Foundation
import Testing
import _PCAllocationCounter
@testable import PCRecording

@Suite struct SessionRecorderTests {
    static let layout = SessionLayout(observationDimension: 3, actionDimension: 2,
                                      beliefs: [BeliefField(name: "plan", count: 4, description: "test plan")], controlPeriod: 0.05)

    /// Values that stress a JSON round trip: −0, subnormals, extremes, non-finite, long mantissas.
    static let hard: [Double] = [-0.0, 5e-324, .leastNormalMagnitude, .greatestFiniteMagnitude, 0.1 + 0.2, .pi, 1e-7, -1e22,
                                 .nan, .infinity, -.infinity, 123456789.123456789]

    func record(_ path: String, steps: Int, capacity: Int? = nil) throws -> SessionRecorder.Summary {
        let recorder = try SessionRecorder(path: path, configuration: Array(#"{"task": "test"}"#.utf8),
                                           configurationSchema: #"{"type": "object"}"#, layout: Self.layout,
                                           warningNames: [(1, "invalidObservation"), (4, "notConverged")], capacity: capacity,
                                           library: "PCRecordingTests")
        recorder.beginEpisode(0, seed: 42)
        for t in 0..<steps {
            let h = Self.hard
            recorder.recordStep(observation: [h[t % h.count], h[(t + 1) % h.count], Double(t)], action: [h[(t + 2) % h.count], -Double(t)],
                                freeEnergy: h[(t + 3) % h.count], iterations: t, converged: t % 2 == 0, warnings: t % 2 == 0 ? 0 : 5,
                                computeTime: 1e-4) { beliefs in
                for k in 0..<4 { beliefs[k] = Double(10 * t + k) }
            }
            if t == 1 { recorder.recordPerception(observation: [7, 8, 9]) }
        }
        return try recorder.finish()
    }

    struct Vector: Decodable { var episode: Int; var step: Int; var acted: Bool?; var values: [Double?]; var bits: [String] }
    struct Diagnostics: Decodable { var step: Int; var freeEnergy: Double?; var iterations: Int; var converged: Bool; var warnings: [String]; var warningBits: Int }

    /// Every value comes back bit for bit from its `bits`, and from its JSON number when finite.
    @Test func valuesRoundTripExactly() throws {
        let path = MCAPFileTests.temporaryPath("session")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try record(path, steps: 50)
        #expect(summary.steps == 50 && summary.messages == 1 + 1 + 50 * 4 + 1 && summary.stalls == 0)
        let file = try MCAPFile(path: path)
        #expect(summary.bytes == (try MCAPFile.readFile(path, maximumSize: 1 << 24)).count)
        #expect(file.channels.count == 6 && file.schemas.values.allSatisfy { $0.encoding == "jsonschema" })
        #expect(file.channels.values.allSatisfy { $0.messageEncoding == "json" })
        let decoder = JSONDecoder()
        let actions = try file.messages(topic: SessionRecorder.Topic.action).map { try decoder.decode(Vector.self, from: Data($0.data)) }
        #expect(actions.count == 50)
        for (t, action) in actions.enumerated() {
            let expected = [Self.hard[(t + 2) % Self.hard.count], -Double(t)]
            #expect(action.step == t && action.bits.map { Double(bitPattern: UInt64($0, radix: 16)!).bitPattern } == expected.map(\.bitPattern))
            for (value, truth) in zip(action.values, expected) {
                if truth.isFinite { #expect(value?.bitPattern == truth.bitPattern, "step \(t): \(String(describing: value)) vs \(truth)") } else { #expect(value == nil) }
            }
        }
        let observations = try file.messages(topic: SessionRecorder.Topic.observation).map { try decoder.decode(Vector.self, from: Data($0.data)) }
        #expect(observations.count == 51 && observations[2].acted == false && observations[2].step == 1 && observations[2].values == [7, 8, 9])
        let diagnostics = try file.messages(topic: SessionRecorder.Topic.diagnostics).map { try decoder.decode(Diagnostics.self, from: Data($0.data)) }
        #expect(diagnostics[1].warnings == ["invalidObservation", "notConverged"] && diagnostics[1].warningBits == 5 && !diagnostics[1].converged)
        #expect(diagnostics[0].warnings.isEmpty && diagnostics[0].iterations == 0)
        // Log times are simulated: step k at k × 50 ms.
        #expect(file.messages(topic: SessionRecorder.Topic.beliefs).map(\.logTime) == (0..<50).map { UInt64($0) * 50_000_000 })
    }

    /// A writer far behind never loses a step: the control thread waits and counts the waits.
    @Test func fullRingWaitsInsteadOfDropping() throws {
        let path = MCAPFileTests.temporaryPath("small-ring")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try record(path, steps: 2_000, capacity: 2)
        #expect(summary.steps == 2_000)
        #expect(try MCAPFile(path: path).messages(topic: SessionRecorder.Topic.action).count == 2_000)
    }

    /// recordStep copies into the ring and allocates nothing on the calling thread.
    @Test func recordingAStepAllocatesNothing() throws {
        let path = MCAPFileTests.temporaryPath("allocations")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SessionRecorder(path: path, configuration: Array("{}".utf8), configurationSchema: "{}", layout: Self.layout,
                                           warningNames: [], library: "PCRecordingTests")
        let observation = [1.0, 2, 3], action = [4.0, 5]
        func steps(_ count: Int) {
            for t in 0..<count {
                recorder.recordStep(observation: observation, action: action, freeEnergy: 1, iterations: t, converged: true,
                                    warnings: 0, computeTime: 0) { beliefs in beliefs[0] = 1; beliefs[3] = 2 }
            }
        }
        recorder.beginEpisode(0, seed: 0)
        steps(10)
        #expect(pck_allocation_counter_active() != 0, "the allocation counter is not linked")
        let before = pck_thread_allocation_count()
        steps(1_000)
        recorder.beginEpisode(1, seed: 1)
        steps(1_000)
        #expect(pck_thread_allocation_count() - before == 0)
        try recorder.finish()
    }

    /// An event between steps is written on its own channel, after the step it follows.
    @Test func eventsFollowTheirStep() throws {
        let path = MCAPFileTests.temporaryPath("events")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SessionRecorder(path: path, configuration: Array("{}".utf8), configurationSchema: "{}", layout: Self.layout,
                                           warningNames: [], events: ["learningFrozen"], library: "PCRecordingTests")
        recorder.beginEpisode(0, seed: 0)
        for t in 0..<3 {
            recorder.recordStep(observation: [1, 2, 3], action: [Double(t), 0], freeEnergy: 0, iterations: 0, converged: true,
                                warnings: 0, computeTime: 0) { _ in }
        }
        recorder.recordEvent(0)
        recorder.recordStep(observation: [1, 2, 3], action: [9, 9], freeEnergy: 0, iterations: 0, converged: true,
                            warnings: 0, computeTime: 0) { _ in }
        try recorder.finish()
        let file = try MCAPFile(path: path)
        let topics = Dictionary(uniqueKeysWithValues: file.channels.values.map { ($0.id, $0.topic) })
        let order = file.messages.map { topics[$0.channelID]! }.filter { $0 == SessionRecorder.Topic.event || $0 == SessionRecorder.Topic.action }
        #expect(order == [SessionRecorder.Topic.action, SessionRecorder.Topic.action, SessionRecorder.Topic.action,
                          SessionRecorder.Topic.event, SessionRecorder.Topic.action])
        let event = try #require(file.messages(topic: SessionRecorder.Topic.event).first)
        #expect(String(decoding: event.data, as: UTF8.self) == #"{"episode": 0, "step": 2, "event": "learningFrozen"}"#)
    }

    @Test func badLayoutsAreRefusedByName() {
        #expect(throws: SessionRecordingError.self) {
            try SessionLayout(observationDimension: 0, actionDimension: 1, beliefs: [], controlPeriod: 1).validate()
        }
        #expect(throws: SessionRecordingError.self) {
            try SessionLayout(observationDimension: 1, actionDimension: 1, beliefs: [], controlPeriod: .nan).validate()
        }
        #expect(throws: SessionRecordingError.self) {
            try SessionLayout(observationDimension: 1, actionDimension: 1,
                              beliefs: [BeliefField(name: "step", count: 1, description: "")], controlPeriod: 1).validate()
        }
        #expect(throws: SessionRecordingError.self) {
            try SessionLayout(observationDimension: 1, actionDimension: 1,
                              beliefs: [BeliefField(name: "a\"b", count: 1, description: "")], controlPeriod: 1).validate()
        }
        #expect(throws: SessionRecordingError.invalidCapacity(1)) {
            try SessionRecorder(path: "/dev/null", configuration: [], configurationSchema: "{}", layout: Self.layout, warningNames: [],
                                capacity: 1, library: "t")
        }
        #expect(throws: MCAPError.self) {
            try SessionRecorder(path: "/nonexistent-directory/x.mcap", configuration: [], configurationSchema: "{}", layout: Self.layout,
                                warningNames: [], library: "t")
        }
    }
}
