import Foundation
import Synchronization

/// Records an agent's session to an MCAP file without allocating or writing on the control thread.
///
/// The control thread copies each step's raw values (observation, action, diagnostics, beliefs)
/// into the next fixed-size slot of a ring buffer allocated once; a writer thread turns the slots
/// into JSON messages and appends them to the file. A step therefore costs a copy of a few hundred
/// numbers. When the writer falls `capacity` steps behind, the control thread waits for a free slot
/// (a recording is never lossy) and ``Summary/stalls`` counts those waits. Each recorder has its
/// own writer thread, which sleeps 1 ms whenever it has nothing to write.
///
/// Channels (every message is JSON with a JSON schema, so Foxglove and the `mcap` tools read them
/// without plugins): `/pckit/config` (one message: the caller's configuration), `/pckit/episode`
/// (episode index and seed at each reset), and per step `/pckit/observation`, `/pckit/action`,
/// `/pckit/diagnostics` and `/pckit/beliefs`. Observations and actions carry each value twice: as a
/// JSON number printed with the shortest digits that round-trip, and as the 16 hex digits of its
/// IEEE-754 bit pattern (`bits`), so a replay compares actions bit for bit, NaN and −0 included.
///
/// ```swift
/// let recorder = try SessionRecorder(path: "s.mcap", configuration: configJSON, configurationSchema: schemaJSON,
///                                    layout: layout, warningNames: [(1, "invalidObservation")], library: "pckit")
/// recorder.beginEpisode(0, seed: 0)
/// recorder.recordStep(observation: o, action: a, freeEnergy: e, iterations: 10, converged: true,
///                     warnings: 0, computeTime: 1e-4) { beliefs in … }
/// let summary = try recorder.finish()
/// ```
public final class SessionRecorder: @unchecked Sendable {
    /// What a finished recording holds.
    public struct Summary: Sendable, Equatable {
        /// Agent steps recorded.
        public var steps: Int
        /// MCAP messages written (all channels).
        public var messages: Int
        /// Size of the file, in bytes.
        public var bytes: Int
        /// Times the control thread waited because every slot was full.
        public var stalls: Int
    }

    /// The default ring capacity: as many steps as fit in 64 MiB, at most 65,536 (at least 2).
    public static func defaultCapacity(for layout: SessionLayout) -> Int {
        let stride = headerWords + layout.observationDimension + layout.actionDimension + layout.beliefDimension
        return min(65_536, max(2, (64 << 20) / (8 * stride)))
    }

    /// The file being written.
    public let path: String
    /// The shape of each step.
    public let layout: SessionLayout
    let warningNames: [(bit: UInt32, name: String)]
    /// Names of the events ``recordEvent(_:)`` records, by index.
    let eventNames: [String]
    /// The layout's sizes, stored so that a step reads them without calling into the layout.
    @usableFromInline let observationDimension: Int, actionDimension: Int, beliefDimension: Int
    @usableFromInline let capacity: Int
    /// Doubles per slot: `headerWords` then observation, action and beliefs.
    @usableFromInline let stride: Int
    @usableFromInline static let headerWords = 9
    /// `capacity × stride` doubles, allocated once.
    @usableFromInline let slots: UnsafeMutablePointer<Double>
    /// Slots published by the control thread.
    @usableFromInline let head = Atomic<Int>(0)
    // head and tail on separate cache lines: each thread writes one, and sharing a line would make
    // every step of the control thread wait for the line the writer thread just wrote.
    private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// Slots consumed by the writer thread.
    @usableFromInline let tail = Atomic<Int>(0)
    private let padding2: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    let closing = Atomic<Bool>(false)
    let writerDone = DispatchSemaphore(value: 0)
    /// Steps recorded so far (control thread).
    public var stepsRecorded: Int { control.pointee.globalStep }
    /// Episodes begun so far (control thread).
    public private(set) var episodesBegun = 0
    /// The control thread's state, behind a pointer: the inlined step (``recordStep(observation:action:freeEnergy:iterations:converged:warnings:computeTime:beliefs:)-([Double],_,_,_,_,_,_,_)``)
    /// reads and writes it in the caller's module, where a class's stored `var` would cost a
    /// dynamic exclusivity check per access.
    @usableFromInline let control: UnsafeMutablePointer<ControlState>

    /// What only the control thread reads and writes.
    @usableFromInline struct ControlState {
        /// The last reading of `tail` (reread only when the ring looks full).
        @usableFromInline var knownTail = 0
        /// Published slots (the value last stored in `head`).
        @usableFromInline var published = 0
        /// The next slot, `published % capacity` kept by wrapping (no division per step).
        @usableFromInline var nextSlot = 0
        @usableFromInline var episode = 0
        @usableFromInline var stepInEpisode = 0
        @usableFromInline var globalStep = 0
        /// Times the ring was full.
        @usableFromInline var stallCount = 0
    }
    private var finished = false
    // Writer-thread state.
    let writer: MCAPWriter
    var channels = Channels()
    var sequences = [UInt32](repeating: 0, count: 7)
    var messageCount = 0
    var writeError: MCAPError?

    struct Channels { var config: UInt16 = 0, episode: UInt16 = 0, observation: UInt16 = 0, action: UInt16 = 0, diagnostics: UInt16 = 0, beliefs: UInt16 = 0, event: UInt16 = 0 }

    /// Creates the file, writes the schemas, the channels and the configuration message, and starts the writer thread.
    /// - Parameters:
    ///   - path: the MCAP file to write.
    ///   - configuration: one JSON object describing the session (agent, seed, task…), written once on `/pckit/config`.
    ///   - configurationSchema: the JSON schema of `configuration`.
    ///   - layout: the sizes of each step's vectors.
    ///   - warningNames: the agent's warning bits and their names, for `/pckit/diagnostics`.
    ///   - events: names of the agent-level events ``recordEvent(_:)`` may record (on `/pckit/event`,
    ///     a channel added only when there are some), e.g. `learningFrozen`.
    ///   - capacity: ring slots (steps the writer may fall behind), 2…1,048,576; nil: ``defaultCapacity(for:)``.
    ///   - library: the writing program's name and version (the MCAP header's `library`).
    /// - Throws: ``SessionRecordingError`` for a bad layout or capacity, ``MCAPError`` when the file cannot be written.
    public init(path: String, configuration: [UInt8], configurationSchema: String, layout: SessionLayout,
                warningNames: [(bit: UInt32, name: String)], events: [String] = [], capacity: Int? = nil,
                library: String) throws {
        try layout.validate()
        let capacity = capacity ?? Self.defaultCapacity(for: layout)
        guard (2...1_048_576).contains(capacity) else { throw SessionRecordingError.invalidCapacity(capacity) }
        self.path = path
        self.layout = layout
        self.warningNames = warningNames
        self.eventNames = events
        self.capacity = capacity
        observationDimension = layout.observationDimension
        actionDimension = layout.actionDimension
        beliefDimension = layout.beliefDimension
        stride = Self.headerWords + layout.observationDimension + layout.actionDimension + layout.beliefDimension
        writer = try MCAPWriter(path: path, library: library)
        slots = .allocate(capacity: capacity * stride)
        slots.initialize(repeating: 0, count: capacity * stride)
        control = .allocate(capacity: 1)
        control.initialize(to: ControlState())
        try addChannels(configurationSchema: configurationSchema)
        try writer.writeMessage(channel: channels.config, sequence: 0, logTime: 0, data: configuration)
        messageCount += 1
        let thread = Thread { [self] in drain() }
        thread.name = "pckit.recorder"
        thread.start()
    }

    deinit {
        if !finished {
            closing.store(true, ordering: .releasing)
            writerDone.wait()
        }
        slots.deallocate()
        control.deallocate()
    }

    /// Starts episode `episode` (messages on `/pckit/episode`); later steps count from 0.
    /// - Parameters:
    ///   - episode: the episode's index in the session.
    ///   - seed: the seed the agent was reset with.
    public func beginEpisode(_ episode: Int, seed: UInt64) {
        control.pointee.episode = episode
        episodesBegun += 1
        control.pointee.stepInEpisode = 0
        let slot = acquireSlot()
        slot[0] = Double(bitPattern: 0)
        slot[1] = Double(bitPattern: UInt64(bitPattern: Int64(control.pointee.episode)))
        slot[2] = Double(bitPattern: seed)
        slot[8] = Double(bitPattern: UInt64(control.pointee.globalStep))
        publish()
    }

    /// Records one agent step: the observation it saw, the action it wrote, its diagnostics and its beliefs.
    ///
    /// Allocates nothing; waits only when every slot is full. Inlinable, so that a caller's loop
    /// writes the slot without a call into this module per step.
    /// - Parameters:
    ///   - observation: the observation given to the agent, (observationDimension).
    ///   - action: the action the agent wrote, (actionDimension).
    ///   - freeEnergy: the step's free energy, in nats.
    ///   - iterations: inference iterations of the step.
    ///   - converged: whether inference met its stopping rule.
    ///   - warnings: the step's warning bits.
    ///   - computeTime: the step's wall time, in seconds.
    ///   - beliefs: writes the layout's belief fields, (beliefDimension) values in order.
    @inlinable
    public func recordStep(observation: [Double], action: [Double], freeEnergy: Double, iterations: Int, converged: Bool,
                           warnings: UInt32, computeTime: Double,
                           beliefs: (UnsafeMutableBufferPointer<Double>) -> Void) {
        observation.withUnsafeBufferPointer { o in
            action.withUnsafeBufferPointer { a in
                recordStep(observation: o, action: a, freeEnergy: freeEnergy, iterations: iterations, converged: converged,
                           warnings: warnings, computeTime: computeTime, beliefs: beliefs)
            }
        }
    }

    /// As ``recordStep(observation:action:freeEnergy:iterations:converged:warnings:computeTime:beliefs:)-([Double],_,_,_,_,_,_,_)``,
    /// for values held in buffers (a bridge session's).
    @inlinable
    public func recordStep(observation: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>, freeEnergy: Double,
                           iterations: Int, converged: Bool, warnings: UInt32, computeTime: Double,
                           beliefs: (UnsafeMutableBufferPointer<Double>) -> Void) {
        let n = observationDimension, m = actionDimension, b = beliefDimension
        precondition(observation.count == n && action.count == m,
                     "SessionRecorder.recordStep: observation \(observation.count) and action \(action.count) values, layout \(n) and \(m)")
        let slot = acquireSlot()
        slot[0] = Double(bitPattern: 1)
        slot[1] = Double(bitPattern: UInt64(bitPattern: Int64(control.pointee.episode)))
        slot[2] = Double(bitPattern: UInt64(control.pointee.stepInEpisode))
        slot[3] = Double(bitPattern: UInt64(bitPattern: Int64(iterations)))
        slot[4] = converged ? 1 : 0
        slot[5] = Double(bitPattern: UInt64(warnings))
        slot[6] = freeEnergy
        slot[7] = computeTime
        slot[8] = Double(bitPattern: UInt64(control.pointee.globalStep))
        let values = slot + Self.headerWords
        for i in 0..<n { values[i] = observation[i] }
        for j in 0..<m { values[n + j] = action[j] }
        beliefs(UnsafeMutableBufferPointer(start: values + n + m, count: b))
        publish()
        control.pointee.stepInEpisode += 1
        control.pointee.globalStep += 1
    }

    /// Records an observation the agent perceived outside a step (e.g. to score its belief), so that
    /// a replay feeds it too; it is written on `/pckit/observation` with `acted: false` and the
    /// index of the step it follows.
    /// - Parameter observation: the observation given to `perceive`, (observationDimension).
    public func recordPerception(observation: [Double]) {
        let n = observationDimension
        precondition(observation.count == n, "SessionRecorder.recordPerception: \(observation.count) values, layout \(n)")
        let slot = acquireSlot()
        slot[0] = Double(bitPattern: 2)
        slot[1] = Double(bitPattern: UInt64(bitPattern: Int64(control.pointee.episode)))
        slot[2] = Double(bitPattern: UInt64(max(0, control.pointee.stepInEpisode - 1)))
        slot[8] = Double(bitPattern: UInt64(max(0, control.pointee.globalStep - 1)))
        for i in 0..<n { slot[Self.headerWords + i] = observation[i] }
        publish()
    }

    /// Records an agent-level event between steps (e.g. learning switched off), so a replay does
    /// the same at the same point; written on `/pckit/event` with the index of the step it follows.
    /// - Parameter index: the event's index in the `events` given at `init`.
    public func recordEvent(_ index: Int) {
        precondition(eventNames.indices.contains(index), "SessionRecorder.recordEvent: no event \(index) (events: \(eventNames))")
        let slot = acquireSlot()
        slot[0] = Double(bitPattern: 3)
        slot[1] = Double(bitPattern: UInt64(bitPattern: Int64(control.pointee.episode)))
        slot[2] = Double(bitPattern: UInt64(max(0, control.pointee.stepInEpisode - 1)))
        slot[3] = Double(bitPattern: UInt64(index))
        slot[8] = Double(bitPattern: UInt64(max(0, control.pointee.globalStep - 1)))
        publish()
    }

    /// Waits for the writer thread to write every slot, then closes the file.
    /// - Returns: what was recorded.
    /// - Throws: ``SessionRecordingError/writeFailed(_:)`` when a write failed.
    @discardableResult
    public func finish() throws -> Summary {
        precondition(!finished, "SessionRecorder.finish called twice")
        finished = true
        closing.store(true, ordering: .releasing)
        writerDone.wait()
        if let writeError { throw SessionRecordingError.writeFailed(writeError) }
        do { try writer.finish() } catch let error as MCAPError { throw SessionRecordingError.writeFailed(error) }
        return Summary(steps: control.pointee.globalStep, messages: messageCount, bytes: writer.bytesWritten, stalls: control.pointee.stallCount)
    }

    /// The next free slot; waits (counting a stall) while the writer has every slot.
    @inlinable
    func acquireSlot() -> UnsafeMutablePointer<Double> {
        if control.pointee.published - control.pointee.knownTail >= capacity { waitForSlot() }
        return slots + control.pointee.nextSlot * stride
    }

    /// The ring looks full: rereads the writer's `tail`, and waits (counted as a stall) until a slot is free.
    @usableFromInline
    func waitForSlot() {
        let position = control.pointee.published
        control.pointee.knownTail = tail.load(ordering: .acquiring)
        if position - control.pointee.knownTail >= capacity {
            control.pointee.stallCount += 1
            while position - control.pointee.knownTail >= capacity {
                usleep(50)
                control.pointee.knownTail = tail.load(ordering: .acquiring)
            }
        }
    }

    @inlinable
    func publish() {
        // One producer: a releasing store (a plain move on x86-64) instead of a read-modify-write.
        control.pointee.published += 1
        control.pointee.nextSlot = control.pointee.nextSlot + 1 == capacity ? 0 : control.pointee.nextSlot + 1
        head.store(control.pointee.published, ordering: .releasing)
    }

    /// The writer thread: turns published slots into messages until closed and drained.
    private func drain() {
        var json: [UInt8] = []
        json.reserveCapacity(64 * 1024)
        while true {
            let closed = closing.load(ordering: .acquiring)
            let published = head.load(ordering: .acquiring)
            var consumed = tail.load(ordering: .relaxed)
            if consumed == published {
                if closed { break }
                // Idle: wake 1,000 times a second at most (the ring holds far more than a millisecond of steps).
                usleep(1000)
                continue
            }
            while consumed < published {
                if writeError == nil {
                    do { try write(slot: slots + (consumed % capacity) * stride, json: &json) } catch let error as MCAPError {
                        writeError = error
                    } catch { writeError = .io(path: path, reason: "\(error)") }
                }
                consumed += 1
                // Free slots in batches of 64: one store per batch keeps the counter's line quiet.
                if consumed % 64 == 0 || consumed == published { tail.store(consumed, ordering: .releasing) }
            }
        }
        writerDone.signal()
    }
}
