import PCCore
import PCNumerics

/// `pcctl bench pc` entries of the 128-layer μPC residual network (64-[64×128]-10 ReLU, Float) in
/// its training configuration (batch 16, T = 32, GD γ = 0.2, Adam 0.1): ms per IL batch (gather
/// included), ms per settle, and allocations per inference iteration (settles of 40 and 20
/// iterations, difference / 20).
func residualPCBenchmarks(repeats: Int) throws -> [BenchResult] {
    let (train, _) = try Digits.split(as: Float.self)
    var results: [BenchResult] = []
    var generator = Xoshiro256(seed: 0)
    let config = try ResidualNetworkConfiguration(inputSize: 64, width: 64, hiddenLayers: 128, outputSize: 10)
    let initial = try ResidualNetwork<Float>(config, using: &generator)
    let B = 16
    let batches = train.count / B
    var inputs = try Matrix<Float>(rows: B, columns: 64)
    var targets = try Matrix<Float>(rows: B, columns: 10)
    var order = Array(0..<train.count)
    generator.shuffle(&order)

    // One IL training step on the next batch.
    var graph = initial.graph
    let clamps = initial.supervisedClamps
    var learner = try PCLearner(for: graph, batchSize: B,
                                     options: LearningOptions(rule: .il, inference: InferenceOptions(stepSize: 0.2, maxIterations: 32),
                                                              optimizer: .adam(learningRate: 0.1)))
    var batch = 0
    func step() {
        if batch == batches { batch = 0 }
        try! train.batch(order[(batch * B)..<((batch + 1) * B)], inputs: &inputs, targets: &targets)
        try! learner.state.setActivity(initial.inputNode, inputs)
        try! learner.state.setActivity(initial.outputNode, targets)
        try! learner.step(&graph, clamps: clamps)
        batch += 1
    }
    let samples = measureNanosecondsPerCall(iterations: calibrateIterations(targetSeconds: 0.5, step), repeats: repeats, step)
    let ms = median(samples) / 1e6
    results.append(BenchResult(name: "mupc128_il_ms_per_batch", value: ms, unit: "ms/batch",
                               details: ["min": samples[0] / 1e6, "p90": quantile(samples, 0.9) / 1e6, "ms_per_epoch": ms * Double(batches),
                                         "batch": Double(B), "T": 32]))
    if let allocations = allocationsPerCall(calls: 10, { try! learner.step(&graph, clamps: clamps) }) {
        results.append(BenchResult(name: "mupc128_il_allocations_per_step", value: allocations, unit: "allocations/step"))
    }

    // Inference alone (GD, then SeqIL's sweep over the 130 nodes in reverse topological order),
    // and its allocations per iteration.
    var state = try PCGraphState(for: initial.graph, batchSize: B)
    var workspace = try PCGraphWorkspace(for: initial.graph, batchSize: B)
    try state.setActivity(initial.inputNode, train.features.rows(0..<B))
    try state.setActivity(initial.outputNode, train.targets.rows(0..<B))
    for (label, method) in [("", InferenceMethod.gradientDescent), ("seqil_", .sequential)] {
        let short = try InferenceOptions(stepSize: 0.2, maxIterations: 20, method: method)
        let long = try InferenceOptions(stepSize: 0.2, maxIterations: 40, method: method)
        func settle(_ options: InferenceOptions) { _ = try! initial.graph.settle(&state, workspace: &workspace, clamps: clamps, options: options) }
        let settleSamples = measureNanosecondsPerCall(iterations: calibrateIterations(targetSeconds: 0.2) { settle(short) },
                                                      repeats: repeats) { settle(short) }
        results.append(BenchResult(name: "mupc128_\(label)settle_T20_ms", value: median(settleSamples) / 1e6, unit: "ms"))
        if let a20 = allocationsPerCall(calls: 10, { settle(short) }), let a40 = allocationsPerCall(calls: 10, { settle(long) }) {
            results.append(BenchResult(name: "mupc128_\(label)allocations_per_inference_iteration", value: (a40 - a20) / 20,
                                       unit: "allocations/iteration", details: ["per_settle_T20": a20]))
        }
    }
    return results
}
