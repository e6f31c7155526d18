import PCCore
import PCNumerics

/// `pcctl bench pc` entries of the convolutional and recurrent digits networks (Float, batch 64,
/// T = 20, GD γ = 0.1, Adam): ms per IL, SeqIL, iPC, Z-IL and backprop training batch, ms per settle, and allocations per
/// inference iteration (settles of 40 and 20 iterations, difference / 20).
func structuredPCBenchmarks(repeats: Int) throws -> [BenchResult] {
    let (train, _) = try Digits.split(as: Float.self)
    var results: [BenchResult] = []
    var generator = Xoshiro256(seed: 0)
    let cnn = try ConvolutionalNetwork<Float>.digits(using: &generator)
    results += try benchmark(cnn, name: "cnn", train: train, repeats: repeats)
    let rnn = try RecurrentNetwork<Float>(steps: 8, inputSize: 8, hiddenSize: 128, outputSize: 10, outputEnergy: .crossEntropy, using: &generator)
    results += try benchmark(rnn, name: "rnn", train: train, repeats: repeats)
    return results
}

/// ms per IL, SeqIL and iPC batch (gather included), ms per Z-IL and backprop batch, ms per settle (T = 20), and
/// allocations per inference iteration for one layered model.
private func benchmark<Model: LayeredPCModel>(_ initial: Model, name: String, train: Dataset<Float>, repeats: Int) throws -> [BenchResult]
where Model.Scalar == Float {
    let B = 64
    var results: [BenchResult] = []
    var inputs = try Matrix<Float>(rows: B, columns: 64)
    var targets = try Matrix<Float>(rows: B, columns: 10)
    var order = Array(0..<train.count)
    var generator = Xoshiro256(seed: 1)
    generator.shuffle(&order)
    let batches = train.count / B
    for (rule, label) in [(LearningRule.il, "il"), (.sequential, "seqil"), (.ipc, "ipc"), (.zeroDivergence, "zil"), (.backprop, "backprop")] {
        var model = initial
        var learner = try PCLearner(for: model, batchSize: B, options: LearningOptions(rule: rule))
        var batch = 0
        // One training step on the next batch (gather included).
        func step() {
            if batch == batches { batch = 0 }
            try! train.batch(order[(batch * B)..<((batch + 1) * B)], inputs: &inputs, targets: &targets)
            try! learner.step(&model, input: inputs, target: targets)
            batch += 1
        }
        let samples = measureNanosecondsPerCall(iterations: calibrateIterations(targetSeconds: 0.3, step), repeats: repeats, step)
        let ms = median(samples) / 1e6
        results.append(BenchResult(name: "\(name)_\(label)_ms_per_batch", value: ms, unit: "ms/batch",
                                   details: ["min": samples[0] / 1e6, "p90": quantile(samples, 0.9) / 1e6, "ms_per_epoch": ms * Double(batches)]))
        if let allocations = allocationsPerCall({ try! learner.step(&model, input: inputs, target: targets) }) {
            results.append(BenchResult(name: "\(name)_\(label)_allocations_per_step", value: allocations, unit: "allocations/step"))
        }
    }
    // Inference alone and its allocations per iteration.
    var state = try PCState(for: initial, batchSize: B)
    var workspace = try LayeredWorkspace(for: initial, batchSize: B)
    try state.setInput(train.features.rows(0..<B))
    try state.setOutput(train.targets.rows(0..<B))
    let short = try InferenceOptions(maxIterations: 20), long = try InferenceOptions(maxIterations: 40)
    let settleSamples = measureNanosecondsPerCall(iterations: calibrateIterations(targetSeconds: 0.2) {
        _ = try! initial.settle(&state, workspace: &workspace, options: short)
    }, repeats: repeats) { _ = try! initial.settle(&state, workspace: &workspace, options: short) }
    results.append(BenchResult(name: "\(name)_settle_T20_ms", value: median(settleSamples) / 1e6, unit: "ms"))
    if let a20 = allocationsPerCall({ _ = try! initial.settle(&state, workspace: &workspace, options: short) }),
       let a40 = allocationsPerCall({ _ = try! initial.settle(&state, workspace: &workspace, options: long) }) {
        results.append(BenchResult(name: "\(name)_allocations_per_inference_iteration", value: (a40 - a20) / 20,
                                   unit: "allocations/iteration", details: ["per_settle_T20": a20]))
    }
    return results
}
