#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PCCore

/// Why a ``LearningAgent`` file could not be written or read. Each kind of damage has its own case.
public enum LearningAgentFileError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with the magic bytes "PCLA" (it is some other file).
    case notALearningAgentFile(path: String)
    /// The format version is not one this build reads (it reads 1…`supported`).
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The file ends early: at least `expected` bytes are needed, the file has `got`.
    case truncated(expected: Int, got: Int)
    /// The stored checksum does not match the contents (a flipped or overwritten byte).
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// The file was saved for another robot: `field` is `expected` here but `found` in the file.
    case dimensionMismatch(field: String, expected: Int, found: Int)
    /// A field has an impossible value (described).
    case corrupt(String)
    /// ``LearningAgent/save(to:includeMemory:)`` before the agent has a model (it is still exploring).
    case nothingLearned
    /// The file system refused (path and reason).
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notALearningAgentFile(path): "\(path) is not a PCKit learning-agent file (its first bytes are not \"PCLA\")"
        case let .unsupportedVersion(found, supported):
            "learning-agent file format version \(found) is not supported (this build reads versions 1…\(supported))"
        case let .truncated(expected, got): "learning-agent file truncated: needs at least \(expected) bytes, has \(got)"
        case let .checksumMismatch(stored, computed):
            "learning-agent file corrupted: checksum \(String(stored, radix: 16)) stored, \(String(computed, radix: 16)) computed"
        case let .dimensionMismatch(field, expected, found):
            "learning-agent file is for another robot: \(field) is \(found) in the file, expected \(expected)"
        case let .corrupt(why): "learning-agent file corrupted: \(why)"
        case .nothingLearned: "nothing to save yet: the agent is still exploring (modelVersion 0); save once it controls"
        case let .io(path, reason): "\(path): \(reason)"
        }
    }
}

extension LearningAgent {
    /// The file's magic bytes, "PCLA".
    public static var fileMagic: [UInt8] { Array("PCLA".utf8) }
    /// The file format version this build writes: 2. It reads versions 1 and 2 (version 1 is
    /// version 2 without ensembles: one network).
    public static var fileVersion: UInt32 { 2 }

    /// What the agent has learned, as the bytes of a version-2 file (little-endian):
    /// ```text
    /// "PCLA" | u32 version | u32 flags (bit 0: transition memory included)
    /// u64 length | options (JSON, LearningAgentOptions)
    /// K × (u64 length | a network of the planner's model (PCCore Checkpoint, Double))
    /// u32 f | f64×f input offsets | f64×f input scales | u32 o | f64×o output offsets | f64×o output scales
    /// u64 modelVersion | u64 batchesLearned | u64 transitionCount | u64 explorationStepsTaken
    /// [training memory, held-out memory: u64 count | u64 cursor | f64 states (count·n) | actions (count·m) | Δ (count·o)]
    /// u64 FNV-1a checksum of everything before it
    /// ```
    /// n is the state dimension and o the predicted one (both the observation size unless the
    /// options' `history` stacks observations; options written without `history` load with 1);
    /// K is the options' `learner.ensembleSize` (1 unless the learner trains an ensemble).
    /// The networks are the ones the planner uses (the last swap), so a loaded agent acts as this one.
    /// - Parameter includeMemory: also write the transition memories, so the loaded agent learns on from them.
    /// - Throws: ``LearningAgentFileError/nothingLearned`` while exploring.
    public func encoded(includeMemory: Bool = false) throws -> [UInt8] {
        guard let network = plannerNetwork, let normalization = learner.normalization else {
            throw LearningAgentFileError.nothingLearned
        }
        var w = FileWriter()
        w.bytes(Self.fileMagic); w.u32(Self.fileVersion); w.u32(includeMemory ? 1 : 0)
        let json: [UInt8]
        do { json = Array(try JSONEncoder().encode(options)) } catch {
            throw LearningAgentFileError.corrupt("the options could not be encoded: \(error)")
        }
        w.u64(UInt64(json.count)); w.bytes(json)
        for member in [network] + plannerMembers {
            let checkpoint = Checkpoint(network: member).encoded()
            w.u64(UInt64(checkpoint.count)); w.bytes(checkpoint)
        }
        w.u32(UInt32(normalization.inputOffset.count))
        normalization.inputOffset.forEach { w.f64($0) }; normalization.inputScale.forEach { w.f64($0) }
        w.u32(UInt32(normalization.outputOffset.count))
        normalization.outputOffset.forEach { w.f64($0) }; normalization.outputScale.forEach { w.f64($0) }
        for v in [modelVersion, learner.batchesLearned, learner.transitionCount, explorationStepsTaken] { w.u64(UInt64(v)) }
        if includeMemory {
            for memory in [learner.training, learner.heldOut] {
                w.u64(UInt64(memory.count)); w.u64(UInt64(memory.cursor))
                memory.states.forEach { w.f64($0) }; memory.actions.forEach { w.f64($0) }; memory.deltas.forEach { w.f64($0) }
            }
        }
        w.u64(fileChecksum(w.data[...]))
        return w.data
    }

    /// Writes ``encoded(includeMemory:)`` atomically: to `path.tmp.<pid>`, then renamed over `path`
    /// (a reader never sees a half-written file).
    /// - Throws: ``LearningAgentFileError/nothingLearned`` while exploring; ``LearningAgentFileError/io(path:reason:)``.
    public func save(to path: String, includeMemory: Bool = false) throws {
        let bytes = try encoded(includeMemory: includeMemory)
        let temporary = "\(path).tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do { try Data(bytes).write(to: URL(fileURLWithPath: temporary)) } catch {
            throw LearningAgentFileError.io(path: temporary, reason: error.localizedDescription)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw LearningAgentFileError.io(path: path, reason: "rename failed: \(reason)")
        }
    }

    /// Reads an agent saved by ``save(to:includeMemory:)``: controlling, on the saved model, with the
    /// saved options, standardisation and counters (and transition memories, if saved). The
    /// learner's optimiser state is not saved: learning resumes with a fresh optimiser.
    /// - Parameters:
    ///   - observationDimension: when given, the file's must equal it.
    ///   - actionDimension: when given, the file's must equal it.
    /// - Throws: ``LearningAgentFileError``: a distinct case for a bad magic, a version, a truncated
    ///   file, a checksum mismatch, a dimension mismatch, a corrupt field, an unreadable file.
    public static func load(from path: String, observationDimension: Int? = nil, actionDimension: Int? = nil) throws -> LearningAgent {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LearningAgentFileError.io(path: path, reason: error.localizedDescription)
        }
        return try decode([UInt8](data), path: path, observationDimension: observationDimension, actionDimension: actionDimension)
    }

    /// Decodes the bytes of a file (see ``load(from:observationDimension:actionDimension:)``).
    public static func decode(_ bytes: [UInt8], path: String = "<bytes>", observationDimension: Int? = nil,
                              actionDimension: Int? = nil) throws -> LearningAgent {
        guard bytes.count >= 4 else { throw LearningAgentFileError.truncated(expected: 4, got: bytes.count) }
        guard Array(bytes[0..<4]) == fileMagic else { throw LearningAgentFileError.notALearningAgentFile(path: path) }
        var r = FileReader(bytes: bytes, offset: 4)
        let version = try r.u32()
        guard (1...fileVersion).contains(version) else {
            throw LearningAgentFileError.unsupportedVersion(found: version, supported: fileVersion)
        }
        let minimum = 4 + 4 + 4 + 8 + 8 + 4 + 4 + 32 + 8
        guard bytes.count >= minimum else { throw LearningAgentFileError.truncated(expected: minimum, got: bytes.count) }
        let body = bytes[0..<(bytes.count - 8)]
        var tail = FileReader(bytes: bytes, offset: bytes.count - 8)
        let stored = try tail.u64(), computed = fileChecksum(body)
        guard stored == computed else { throw LearningAgentFileError.checksumMismatch(stored: stored, computed: computed) }
        r.end = bytes.count - 8

        let flags = try r.u32()
        guard flags <= 1 else { throw LearningAgentFileError.corrupt("flags \(flags) (only bit 0 is defined)") }
        let json = try r.take(try r.length())
        let options: LearningAgentOptions
        do { options = try JSONDecoder().decode(LearningAgentOptions.self, from: Data(json)) } catch {
            throw LearningAgentFileError.corrupt("the options do not decode: \(error)")
        }
        if let expected = observationDimension, expected != options.observationDimension {
            throw LearningAgentFileError.dimensionMismatch(field: "observationDimension", expected: expected, found: options.observationDimension)
        }
        if let expected = actionDimension, expected != options.actionDimension {
            throw LearningAgentFileError.dimensionMismatch(field: "actionDimension", expected: expected, found: options.actionDimension)
        }
        let o = options.learner.predictedDimension
        let sizes = [options.learner.featureDimension] + options.learner.hiddenSizes + [o]
        let members = options.learner.ensembleSize
        guard version >= 2 || members == 1 else {
            throw LearningAgentFileError.corrupt("a version-1 file holds one network, but its options ask for an ensemble of \(members)")
        }
        var networks: [PCNetwork<Double>] = []
        for k in 0..<members {
            do {
                networks.append(try Checkpoint<Double>.decode(Array(try r.take(try r.length())), path: path, expectedSizes: sizes).network)
            } catch let error as CheckpointError {
                throw LearningAgentFileError.corrupt(members == 1 ? "the network: \(error)" : "network \(k + 1) of \(members): \(error)")
            }
        }
        let f = Int(try r.u32())
        guard f == options.learner.featureDimension else {
            throw LearningAgentFileError.corrupt("\(f) input offsets for \(options.learner.featureDimension) features")
        }
        let inputOffset = try r.f64s(f), inputScale = try r.f64s(f)
        let outputs = Int(try r.u32())
        guard outputs == o else {
            throw LearningAgentFileError.corrupt("\(outputs) output offsets for observationDimension \(options.observationDimension)")
        }
        let outputOffset = try r.f64s(o), outputScale = try r.f64s(o)
        for (name, values) in [("input scale", inputScale), ("output scale", outputScale)] where values.contains(where: { !($0.isFinite && $0 > 0) }) {
            throw LearningAgentFileError.corrupt("a \(name) is not finite and positive")
        }
        let counters = try (0..<4).map { _ in try r.count(maximum: Int(Int64.max)) }
        var memories: [TransitionMemory] = []
        if flags & 1 == 1 {
            let n = options.stateDimension, m = options.actionDimension, capacity = options.learner.capacity
            for _ in 0..<2 {
                var memory = TransitionMemory(stateDimension: n, actionDimension: m, capacity: capacity, deltaDimension: o)
                memory.count = try r.count(maximum: capacity)
                memory.cursor = try r.count(maximum: max(capacity - 1, 0))
                memory.states = try r.f64s(memory.count * n)
                memory.actions = try r.f64s(memory.count * m)
                memory.deltas = try r.f64s(memory.count * o)
                memories.append(memory)
            }
        }
        guard r.offset == r.end else { throw LearningAgentFileError.corrupt("\(r.end - r.offset) unexpected bytes after the fields") }

        var agent: LearningAgent
        do { agent = try LearningAgent(options: options) } catch {
            throw LearningAgentFileError.corrupt("the options are refused: \(error)")
        }
        agent.learner.restore(network: networks[0], members: Array(networks.dropFirst()),
                              normalization: .init(inputOffset: inputOffset, inputScale: inputScale,
                                                   outputOffset: outputOffset, outputScale: outputScale),
                              batchesLearned: counters[1], transitionCount: counters[2],
                              training: memories.first, heldOut: memories.last)
        agent.learner.reserveMemory()
        agent.explorationStepsTaken = counters[3]
        agent.startControlling()
        agent.modelVersion = counters[0]
        agent.lastStepSwappedModel = false
        return agent
    }
}

/// FNV-1a, 64-bit.
func fileChecksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return hash
}

struct FileWriter {
    var data: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
}

struct FileReader {
    let bytes: [UInt8]
    var offset: Int
    var end: Int

    init(bytes: [UInt8], offset: Int) { self.bytes = bytes; self.offset = offset; end = bytes.count }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - offset else { throw LearningAgentFileError.truncated(expected: offset + max(n, 0) + (bytes.count - end), got: bytes.count) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func u32() throws -> UInt32 {
        var v: UInt32 = 0
        for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64() throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    /// A byte length that must fit in what is left.
    mutating func length() throws -> Int {
        let v = try u64()
        guard v <= UInt64(end - offset) else { throw LearningAgentFileError.corrupt("a length of \(v) bytes exceeds the \(end - offset) left") }
        return Int(v)
    }
    /// A count of at most `maximum`.
    mutating func count(maximum: Int) throws -> Int {
        let v = try u64()
        guard v <= UInt64(maximum) else { throw LearningAgentFileError.corrupt("a count of \(v) exceeds its maximum \(maximum)") }
        return Int(v)
    }
    mutating func f64s(_ n: Int) throws -> [Double] {
        let slice = try take(8 * n)
        var values = [Double](repeating: 0, count: n)
        var k = slice.startIndex
        for i in 0..<n {
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(slice[k + b]) << (8 * UInt64(b)) }
            values[i] = Double(bitPattern: v)
            k += 8
        }
        return values
    }
}
