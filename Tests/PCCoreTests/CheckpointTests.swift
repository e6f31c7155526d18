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
