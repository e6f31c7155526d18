import ArgumentParser
import PCCore
import PCNumerics

/// `pcctl inspect <checkpoint>`: prints what a checkpoint holds, or the typed reason it cannot be read.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a PCKit checkpoint (network, optimiser) after checking it.")

    @Argument(help: "A checkpoint written by `pcctl train --checkpoint`.")
    var checkpoint: String

    func run() throws {
        // Training writes Float checkpoints; a Double one is reported by the scalar-type check.
        let loaded: Checkpoint<Float>
        do { loaded = try Checkpoint<Float>.read(from: checkpoint) } catch CheckpointError.scalarTypeMismatch {
            let double = try Checkpoint<Double>.read(from: checkpoint)
            describe(double.network, double.optimizer, scalar: "Double")
            return
        }
        describe(loaded.network, loaded.optimizer, scalar: "Float")
    }

    private func describe<S: PCScalar>(_ network: PCNetwork<S>, _ optimizer: Optimizer<S>?, scalar: String) {
        print("checkpoint \(checkpoint): format version \(Checkpoint<S>.version), checksum ok")
        print("  network: sizes \(network.sizes.map(String.init).joined(separator: "-")), \(scalar), output \(network.outputEnergy), \(network.parameterCount) parameters")
        for (i, layer) in network.layers.enumerated() {
            let norm = layer.weight.elements.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let precision = layer.precision.isLearned ? "learned log-variance" : (layer.precision.isIdentity ? "identity" : "fixed")
            print("  layer \(i + 1): \(layer.inputSize) → \(layer.outputSize), φ = \(layer.inputActivation), bias \(layer.bias != nil), precision \(precision), ‖W‖ = \(String(format: "%.4f", norm))")
        }
        if let optimizer { print("  optimizer: \(optimizer.kind), \(optimizer.stepCount) steps") } else { print("  optimizer: none saved") }
    }
}
