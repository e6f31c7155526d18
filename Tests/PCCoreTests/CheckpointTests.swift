import Foundation
import Testing
import PCCore
import PCNumerics

/// Checkpoints: bit-exact round trip, and a distinct error for each kind of damage.
struct CheckpointTests {
    func trainedCheckpoint() throws -> Checkpoint<Float> {
        var rng = Xoshiro256(seed: 1)
        var network = try PCNetwork<Float>(sizes: [5, 7, 3], activation: .tanh,
                                           precisions: [.learnedLogVariance(initial: 0.2), .scalar(2)], using: &rng)
        var learner = try PCLearner(for: network, batchSize: 4, options: LearningOptions(rule: .il, optimizer: .adam()))
        let x = try Matrix<Float>(rows: 4, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        let y = try Matrix<Float>(rows: 4, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
        for _ in 0..<3 { try learner.step(&network, input: x, target: y) }
        return Checkpoint(network: network, optimizer: learner.optimizer)
    }

    func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "pccore-\(ProcessInfo.processInfo.processIdentifier)-\(name).ckpt"
    }

    @Test func roundTripIsBitExact() throws {
        let checkpoint = try trainedCheckpoint()
        let path = temporaryPath("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try checkpoint.write(to: path)
        let loaded = try Checkpoint<Float>.read(from: path, expectedSizes: [5, 7, 3])
        #expect(loaded == checkpoint)
        #expect(loaded.encoded() == checkpoint.encoded())
        #expect(loaded.optimizer?.stepCount == 3)
        // No temporary file is left behind by the atomic write.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("pccore-\(ProcessInfo.processInfo.processIdentifier)-roundtrip.ckpt.tmp") }
        #expect(leftovers.isEmpty)
        // Every optimiser kind survives the trip.
        for kind in [OptimizerKind.sgd(learningRate: 0.1), .momentum(learningRate: 0.1, momentum: 0.9), .adamW(), .mq(alpha: 1e-3, warmUpSteps: 5)] {
            let c = Checkpoint(network: checkpoint.network, optimizer: try Optimizer(kind, for: checkpoint.network))
            #expect(try Checkpoint<Float>.decode(c.encoded()) == c)
        }
    }

    @Test func truncatedFileIsReportedAsTruncated() throws {
        let bytes = try trainedCheckpoint().encoded()
        for cut in [2, 30, bytes.count / 2, bytes.count - 1] {
            #expect(throws: CheckpointError.self) { try Checkpoint<Float>.decode(Array(bytes[..<cut])) }
            do { _ = try Checkpoint<Float>.decode(Array(bytes[..<cut])) } catch let error as CheckpointError {
                guard case .truncated(let expected, let got) = error else { Issue.record("cut at \(cut): \(error)"); continue }
                #expect(got == cut && expected > cut)
            }
        }
    }

    @Test func flippedByteIsReportedAsAChecksumMismatch() throws {
        var bytes = try trainedCheckpoint().encoded()
        bytes[bytes.count - 40] ^= 0x10  // inside the optimiser state
        #expect { try Checkpoint<Float>.decode(bytes) } throws: { error in
            if case CheckpointError.checksumMismatch = error { return true } else { return false }
        }
        var weights = try trainedCheckpoint().encoded()
        weights[120] ^= 0x01  // inside the weights
        #expect { try Checkpoint<Float>.decode(weights) } throws: { error in
            if case CheckpointError.checksumMismatch = error { return true } else { return false }
        }
    }

    @Test func wrongShapeIsReportedAsAnArchitectureMismatch() throws {
        let bytes = try trainedCheckpoint().encoded()
        #expect(throws: CheckpointError.architectureMismatch(expected: [5, 8, 3], found: [5, 7, 3])) {
            try Checkpoint<Float>.decode(bytes, expectedSizes: [5, 8, 3])
        }
        #expect(throws: CheckpointError.scalarTypeMismatch(expectedBytes: 8, foundBytes: 4)) {
            try Checkpoint<Double>.decode(bytes)
        }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(throws: CheckpointError.notACheckpoint(path: "<bytes>")) { try Checkpoint<Float>.decode(magic) }
    }
}

/// Format version 2: the feature preprocessing and class names travel with the network, are checked
/// against it, and version-1 files still read.
struct CheckpointPreprocessingTests {
    /// FNV-1a 64 written out again, so the tests can re-seal bytes they edit.
    func sealed(_ body: [UInt8]) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in body { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return body + (0..<8).map { UInt8(truncatingIfNeeded: hash >> (8 * UInt64($0))) }
    }

    func network() throws -> PCNetwork<Float> {
        var rng = Xoshiro256(seed: 3)
        return try PCNetwork<Float>(sizes: [4, 6, 3], activation: .relu, using: &rng)
    }

    func standardization(_ n: Int) throws -> FeatureStandardization {
        try FeatureStandardization(means: (0..<n).map { Double($0) - 1.5 }, standardDeviations: (0..<n).map { 0.25 * Double($0 + 1) })
    }

    /// The byte offset of the preprocessing kind: after a header with `depth` layers and an
    /// optimiser of `hyperParameters` values (0: none saved).
    func preprocessingOffset(depth: Int, hyperParameters: Int = 0) -> Int { 4 + 4 + 1 + 1 + 4 + depth * 19 + 1 + 4 + 8 * hyperParameters + 8 }

    @Test func preprocessingAndClassNamesRoundTrip() throws {
        let net = try network()
        for preprocessing in [FeaturePreprocessing.standardization(try standardization(4)), .scale(0.0625), nil] {
            let checkpoint = try Checkpoint(network: net, preprocessing: preprocessing, classNames: ["barolo", "grignolino", "barbëra"])
            let decoded = try Checkpoint<Float>.decode(checkpoint.encoded())
            #expect(decoded == checkpoint)
            #expect(decoded.preprocessing == preprocessing)
            #expect(decoded.classNames == ["barolo", "grignolino", "barbëra"])
        }
        #expect(try Checkpoint<Float>.decode(Checkpoint(network: net).encoded()).classNames == nil)
    }

    @Test func countsThatDoNotFitTheNetworkAreTypedErrors() throws {
        let net = try network()
        #expect(throws: CheckpointError.preprocessingMismatch(features: 5, networkInputs: 4)) {
            try Checkpoint(network: net, preprocessing: .standardization(try standardization(5)), classNames: nil)
        }
        #expect(throws: CheckpointError.classNamesMismatch(names: 2, networkOutputs: 3)) {
            try Checkpoint(network: net, preprocessing: nil, classNames: ["a", "b"])
        }
        #expect(throws: CheckpointError.invalidClassName(index: 2, reason: "'a' names an earlier class too")) {
            try Checkpoint(network: net, preprocessing: nil, classNames: ["a", "b", "a"])
        }
        // A file (checksum intact) whose standardisation has 5 features for a 4-input network.
        let good = try Checkpoint(network: net, preprocessing: .standardization(try standardization(4)), classNames: nil).encoded()
        let at = preprocessingOffset(depth: 2)
        #expect(good[at] == 2 && good[at + 1] == 4)
        let five = try standardization(5)
        var body = Array(good[..<(at + 1)])
        body += [5, 0, 0, 0]
        for v in five.means + five.standardDeviations { body += (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) } }
        body += good[(at + 5 + 8 * 8)..<(good.count - 8)]
        #expect(throws: CheckpointError.preprocessingMismatch(features: 5, networkInputs: 4)) { try Checkpoint<Float>.decode(sealed(body)) }
        // A preprocessing code this build does not know.
        var unknown = Array(good[..<(good.count - 8)])
        unknown[at] = 7
        #expect { try Checkpoint<Float>.decode(sealed(unknown)) } throws: { error in
            if case CheckpointError.corrupt(let why) = error { return why == "feature preprocessing code 7" } else { return false }
        }
    }

    @Test func versionOneFilesStillRead() throws {
        let checkpoint = try CheckpointTests().trainedCheckpoint()
        let v2 = checkpoint.encoded()
        #expect(v2[4] == 2)
        // Version 1 is version 2 without the preprocessing kind (u8 0) and class-name count (u32 0).
        let at = preprocessingOffset(depth: 2, hyperParameters: 4)  // Adam
        #expect(Array(v2[at..<(at + 5)]) == [0, 0, 0, 0, 0])
        var body = Array(v2[..<at]) + Array(v2[(at + 5)..<(v2.count - 8)])
        body[4] = 1
        let v1 = try Checkpoint<Float>.decode(sealed(body))
        #expect(v1 == checkpoint)
        body[4] = 3
        #expect(throws: CheckpointError.unsupportedVersion(found: 3, supported: 2)) { try Checkpoint<Float>.decode(sealed(body)) }
    }
}
