// μPC at depth: a residual PC network with 128 hidden layers trained on the digits, once with the
// μPC parameterisation and once with the standard one, from the same seed and the same batches.
//
//   swift run -c release MuPCDepth [hiddenLayers] [epochs]
//
// μPC (PCCore article GraphsAndMuPC, section Residual parameterisation) draws W ~ N(0, 1) and scales the input by 1/√D, each residual branch by
// 1/√(N·L) and the output by 1/N, so activations stay O(1) at any depth. The standard
// parameterisation (every scale 1, He init) lets the residual stream grow with depth, and stalls.
import PCCore
import PCNumerics

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let hiddenLayers = arguments.first ?? 128
let epochs = arguments.dropFirst().first ?? 5
let (train, test) = try Digits.split(as: Float.self)

for parameterization in [Parameterization.muPC, .standard] {
    // 1. The network x → z₁ → … → z_H → ŷ: width 64, ReLU, identity skips; a PCGraph underneath.
    let config = try ResidualNetworkConfiguration(inputSize: 64, width: 64, hiddenLayers: hiddenLayers, outputSize: 10,
                                                  parameterization: parameterization)
    var generator = Xoshiro256(seed: 0)
    var network = try ResidualNetwork<Float>(config, using: &generator)

    // 2. At initialisation: how large is the deepest hidden layer?
    let z = try network.hiddenActivities(train.features.rows(0..<64))
    let rms = (Double(z[hiddenLayers - 1].sumOfSquares) / Double(z[hiddenLayers - 1].count)).squareRoot()
    print("\(parameterization): \(hiddenLayers) hidden layers of 64, RMS(z_\(hiddenLayers)) at init = \(rms)")

    // 3. IL: input and one-hot label clamped; T = 32 GD steps of 0.2 on the hidden layers; Adam 0.1 on W.
    let learning = try LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.2, maxIterations: 32),
                                       optimizer: .adam(learningRate: 0.1))
    let options = try TrainingOptions(epochs: epochs, batchSize: 16, seed: 0, learning: learning)
    _ = try Trainer.train(&network.graph, input: network.inputNode, output: network.outputNode, on: train, test: test,
                          options: options) { event in
        if case .epoch(let m) = event {
            print("  epoch \(m.epoch): energy \(m.meanFinalEnergy), test accuracy \(100 * (m.testAccuracy ?? 0))%")
        }
    }
}
