import ArgumentParser
import PCCore
import PCNumerics

/// `pcctl inspect <checkpoint>`: prints what a checkpoint holds, or the typed reason it cannot be read.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a PCKit checkpoint (network, optimiser, preprocessing, classes) after checking it.")

    @Argument(help: "A checkpoint written by `pcctl train --checkpoint`.")
    var checkpoint: String

    func run() throws {
        // Training writes Float checkpoints; a Double one is reported by the scalar-type check.
        let loaded: Checkpoint<Float>
        do { loaded = try Checkpoint<Float>.read(from: checkpoint) } catch CheckpointError.scalarTypeMismatch {
            let double = try Checkpoint<Double>.read(from: checkpoint)
            describe(double, scalar: "Double")
            return
        }
        describe(loaded, scalar: "Float")
    }

    /// A feature preprocessing in a few words (also used by `pcctl evaluate`).
    static func describe(_ preprocessing: FeaturePreprocessing) -> String {
        switch preprocessing {
        case .scale(let c): "features × \(c)"
        case .standardization(let s): "standardisation of \(s.featureCount) features"
        }
    }

    private func describe<S: PCScalar>(_ saved: Checkpoint<S>, scalar: String) {
        let network = saved.network, optimizer = saved.optimizer
        print("checkpoint \(checkpoint): checksum ok (this build reads format versions 1 to \(Checkpoint<S>.version))")
        print("  network: sizes \(network.sizes.map(String.init).joined(separator: "-")), \(scalar), output \(network.outputEnergy), \(network.parameterCount) parameters")
        for (i, layer) in network.layers.enumerated() {
            let norm = layer.weight.elements.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let precision = layer.precision.isLearned ? "learned log-variance" : (layer.precision.isIdentity ? "identity" : "fixed")
            print("  layer \(i + 1): \(layer.inputSize) → \(layer.outputSize), φ = \(layer.inputActivation), bias \(layer.bias != nil), precision \(precision), ‖W‖ = \(String(format: "%.4f", norm))")
        }
        if let optimizer { print("  optimizer: \(optimizer.kind), \(optimizer.stepCount) steps") } else { print("  optimizer: none saved") }
        print("  preprocessing: \(saved.preprocessing.map(Self.describe) ?? "none")")
        print("  classes: \(saved.classNames.map { $0.joined(separator: ", ") } ?? "integers 0…\(network.sizes[network.depth] - 1)")")
    }
}
