import PCNumerics

/// Trains a ``PCNetwork`` one batch at a time with a ``LearningRule``: owns the batch's state,
/// workspace, gradients and the optimiser, all sized once.
///
/// ```swift
/// var learner = try PCLearner(for: network, batchSize: 64, options: LearningOptions(rule: .il))
/// let result = try learner.step(&network, input: batch, target: onehot)
/// ```
public struct PCLearner<Scalar: PCScalar>: Sendable {
    /// The options every step uses.
    public let options: LearningOptions
    /// The optimiser and its state.
    public var optimizer: Optimizer<Scalar>
    /// The state of the last batch (activities, predictions, errors). With `options.threads` > 1
    /// only its input and target are current (each thread settles its own shard).
    public var state: PCState<Scalar>
    /// Scratch memory.
    public var workspace: InferenceWorkspace<Scalar>
    /// The gradients of the last step.
    public var gradients: ParameterGradients<Scalar>
    /// Per-thread scratch when `options.threads` > 1 (reference storage, like `job` and
    /// `shardedAdam`: do not use copies of one learner from several threads).
    let shards: [BatchShard<Scalar>]
    /// The threads that settle the shards (nil for one thread).
    let job: ShardJob<Scalar>?
    /// Combine + Adam/AdamW on the same threads (nil for one thread).
    let shardedAdam: ShardedAdam<Scalar>?

    /// A learner for `network` and batches of exactly `batchSize` samples.
    /// - Throws: ``PCCoreError/unsupported(_:)`` for a free input with a rule other than IL or SeqIL.
    public init(for network: PCNetwork<Scalar>, batchSize: Int, options: LearningOptions) throws {
        if case .free = options.input, options.rule != .il, options.rule != .sequential {
            throw PCCoreError.unsupported("a free input (generative training) is implemented for IL and SeqIL")
        }
        self.options = options
        optimizer = try Optimizer(options.optimizer, for: network)
        state = try PCState(for: network, batchSize: batchSize)
        workspace = try InferenceWorkspace(for: network, batchSize: batchSize, traceCapacity: max(options.inference.maxIterations, 64))
        gradients = try ParameterGradients(for: network)
        let count = min(options.threads, batchSize)
        var shards: [BatchShard<Scalar>] = []
        if count > 1 {
            for k in 0..<count {
                let rows = (k * batchSize / count)..<((k + 1) * batchSize / count)
                shards.append(try BatchShard(network: network, rows: rows, traceCapacity: max(options.inference.maxIterations, 64)))
            }
        }
        self.shards = shards
        job = shards.isEmpty ? nil : ShardJob(shards: shards, pool: try WorkerPool(width: shards.count))
        shardedAdam = job.map { job in
            ShardedAdam(counts: network.layers.flatMap { [$0.weight.count] + ($0.bias.map { [$0.count] } ?? []) },
                         shardWeights: job.weights.map { Double($0) })
        }
    }

    /// One learning step on a batch.
    /// - Parameters:
    ///   - network: updated in place.
    ///   - input: x₀, (B × n₀).
    ///   - target: y, (B × n_L) (one-hot labels for classification).
    /// - Returns: energies and the inference outcome.
    @discardableResult
    public mutating func step<I: MatrixOperand, T: MatrixOperand>(_ network: inout PCNetwork<Scalar>, input: I, target: T) throws -> BatchResult
    where I.Scalar == Scalar, T.Scalar == Scalar {
        // The fused kernels and the optimiser index every buffer by the network's shapes: check
        // the network, state, workspace, gradients and optimiser against each other first (O(L)).
        try network.checkFit(state, workspace)
        try optimizer.checkFits(network, gradients)
        try state.setInput(input)
        try state.setOutput(target)
        switch options.rule {
        case .il: return try inferenceLearning(&network, method: options.inference.method)
        case .sequential: return try inferenceLearning(&network, method: .sequential)
        case .ipc: return try incremental(&network)
        case .zeroDivergence:
            let loss = try network.zeroDivergenceGradients(&state, workspace: &workspace, into: &gradients)
            try optimizer.step(&network, gradients: gradients)
            return BatchResult(energy: loss, finalEnergy: loss, iterations: network.depth, diverged: false)
        case .fixedPrediction(let iterations, let stepSize):
            let loss = try network.fixedPredictionGradients(&state, workspace: &workspace, into: &gradients,
                                                            iterations: iterations ?? network.depth, stepSize: stepSize)
            try optimizer.step(&network, gradients: gradients)
            return BatchResult(energy: loss, finalEnergy: loss, iterations: iterations ?? network.depth, diverged: false)
        case .backprop:
            let loss = try network.backpropGradients(&state, workspace: &workspace, into: &gradients)
            try optimizer.step(&network, gradients: gradients)
            return BatchResult(energy: loss, finalEnergy: loss, iterations: 0, diverged: false)
        }
    }

    /// IL and SeqIL: settle, then one optimiser step on ∂F_B/∂θ (<doc:LearningRules#Inference-learning>), with optional nudging (<doc:LearningRules#Output-nudging>).
    private mutating func inferenceLearning(_ network: inout PCNetwork<Scalar>, method: InferenceMethod) throws -> BatchResult {
        var inference = options.inference
        inference.method = method
        if !shards.isEmpty && options.outputNudging == nil {
            return try shardedInferenceLearning(&network, inference: inference)
        }
        var scale: Scalar = 1
        if let beta = options.outputNudging {
            // x_L = (1 − β) μ_L + β y, from the feedforward prediction, then held fixed.
            try network.feedforward(&state, workspace: &workspace)
            let L = network.depth
            let b = Scalar(beta)
            let n = state.activities[L].count
            let mu = state.predictions[L]
            mu.withUnsafeStorage { pm, _ in
                state.activities[L].withUnsafeMutableStorage { py, _ in
                    for i in 0..<n { py[i] = (1 - b) * pm[i] + b * py[i] }
                }
            }
            inference.initialization = .keep
            scale = 1 / b
        }
        let report = try network.settle(&state, workspace: &workspace, clamps: Clamps(input: options.input), options: inference)
        try network.parameterGradients(state, workspace: workspace, into: &gradients, scale: scale)
        try optimizer.step(&network, gradients: gradients)
        if options.precisionLearningRate > 0 { try network.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
        return BatchResult(energy: report.initialEnergy, finalEnergy: report.finalEnergy,
                           iterations: report.iterations, diverged: report.diverged)
    }

    /// IL on `shards.count` threads: each shard settles its rows, the gradients are combined with
    /// weights n_k/B into the batch mean, and one optimiser step follows.
    private mutating func shardedInferenceLearning(_ network: inout PCNetwork<Scalar>, inference: InferenceOptions) throws -> BatchResult {
        let B = state.batchSize
        for shard in shards {
            try shard.state.setInput(state.activities[0].rows(shard.rows))
            try shard.state.setOutput(state.activities[network.depth].rows(shard.rows))
        }
        job!.run(network, clamps: Clamps<Scalar>(input: options.input), options: inference)
        var energy = 0.0, finalEnergy = 0.0, iterations = 0, diverged = false
        for shard in shards {
            if let error = shard.error { throw error }
            let weight = Double(shard.rows.count) / Double(B)
            let summary = shard.summary!
            energy += weight * summary.initialEnergy
            finalEnergy += weight * summary.finalEnergy
            iterations = max(iterations, summary.iterations)
            diverged = diverged || summary.diverged
        }
        // The batch mean Σ_k (n_k/B) g_k and the update: for Adam/AdamW both on the threads, each
        // on its own slices (digits MLP, 2 threads: 39 µs serial → ~15 µs on each thread); otherwise here.
        let combinedOnThreads = shardedAdamStep(&network)
        if combinedOnThreads {
            for l in gradients.logVariances.indices { gradients.logVariances[l]?.fill(0) }
        } else {
            gradients.zero()
        }
        for (k, shard) in shards.enumerated() {
            let w = job!.weights[k]
            for l in gradients.weights.indices {
                if !combinedOnThreads {
                    try gradients.weights[l].add(shard.gradients.weights[l], scaledBy: w)
                    if let b = shard.gradients.biases[l] { try gradients.biases[l]!.add(b, scaledBy: w) }
                }
                if let s = shard.gradients.logVariances[l] { try gradients.logVariances[l]!.add(s, scaledBy: w) }
            }
        }
        if !combinedOnThreads { try optimizer.step(&network, gradients: gradients) }
        if options.precisionLearningRate > 0 { try network.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
        return BatchResult(energy: energy, finalEnergy: finalEnergy, iterations: iterations, diverged: diverged)
    }

    /// For Adam/AdamW: combines the shards' weight and bias gradients into ``gradients`` and applies
    /// the optimiser step on the pool's threads (PCNumerics' `ShardedAdam`), exactly as
    /// ``Optimizer/step(_:gradients:)`` would. Returns false, doing nothing, for other optimisers
    /// (or tensors whose sizes do not match the learner's).
    private mutating func shardedAdamStep(_ network: inout PCNetwork<Scalar>) -> Bool {
        guard let adam = shardedAdam, let job, optimizer.adamConstants != nil,
              optimizer.firstMoments.count == adam.tensors, optimizer.secondMoments.count == adam.tensors else { return false }
        let shards = self.shards
        var ran = false
        optimizer.stepCount += 1
        let c = optimizer.adamConstants!
        defer { if !ran { optimizer.stepCount -= 1 } }
        network.layers.withUnsafeMutableBufferPointer { layersBuffer in
            optimizer.firstMoments.withUnsafeMutableBufferPointer { firstsBuffer in
                optimizer.secondMoments.withUnsafeMutableBufferPointer { secondsBuffer in
                    gradients.weights.withUnsafeMutableBufferPointer { gwBuffer in
                        gradients.biases.withUnsafeMutableBufferPointer { gbBuffer in
                            let (layers, firsts, seconds, gw, gb) = (layersBuffer, firstsBuffer, secondsBuffer, gwBuffer, gbBuffer)
                            // Tensor t is layer l's weight (bias: false) or bias, in the optimiser's slot
                            // order; each level nests the closures that keep its addresses valid, and
                            // the run happens innermost, once every address is set.
                            func gather(_ t: Int, _ l: Int, bias: Bool) {
                                if l == layers.count {
                                    guard t == adam.tensors else { return }
                                    adam.run(on: job.pool, beta1: Double(c.beta1), beta2: Double(c.beta2), a: Double(c.a),
                                             c2: Double(c.c2), epsilon: Double(c.epsilon), decay: Double(c.decay))
                                    ran = true
                                    return
                                }
                                if bias && (layers[l].bias == nil || gb[l] == nil) { return gather(t, l + 1, bias: false) }
                                guard t < adam.tensors else { return }
                                firsts[t].withUnsafeMutableBufferPointer { m in
                                    seconds[t].withUnsafeMutableBufferPointer { v in
                                        func set(_ p: UnsafeMutablePointer<Scalar>, _ g: UnsafeMutablePointer<Scalar>, count: Int, gcount: Int) {
                                            guard count == m.count, count == v.count, count == gcount else { return }
                                            adam.setTensor(t, parameters: p, firstMoments: m.baseAddress!, secondMoments: v.baseAddress!, combined: g)
                                            shardGradients(0)
                                        }
                                        func shardGradients(_ k: Int) {
                                            if k == shards.count { return gather(t + 1, bias ? l + 1 : l, bias: !bias) }
                                            func finish(_ g: UnsafePointer<Scalar>) {
                                                adam.setShardGradient(k, tensor: t, g)
                                                shardGradients(k + 1)
                                            }
                                            if bias { shards[k].gradients.biases[l]!.withUnsafeBufferPointer { finish($0.baseAddress!) } }
                                            else { shards[k].gradients.weights[l].withUnsafeStorage { g, _ in finish(g) } }
                                        }
                                        if bias {
                                            layers[l].bias!.withUnsafeMutableBufferPointer { p in
                                                gb[l]!.withUnsafeMutableBufferPointer { g in set(p.baseAddress!, g.baseAddress!, count: p.count, gcount: g.count) }
                                            }
                                        } else {
                                            let (n, gn) = (layers[l].weight.count, gw[l].count)
                                            layers[l].weight.withUnsafeMutableStorage { p, _ in
                                                gw[l].withUnsafeMutableStorage { g, _ in set(p, g, count: n, gcount: gn) }
                                            }
                                        }
                                    }
                                }
                            }
                            gather(0, 0, bias: false)
                        }
                    }
                }
            }
        }
        return ran
    }

    /// iPC (<doc:LearningRules#Incremental-PC>): T joint steps, ∂F/∂x and ∂F/∂θ from one snapshot, then both applied.
    private mutating func incremental(_ network: inout PCNetwork<Scalar>) throws -> BatchResult {
        let L = network.depth
        let clamps = Clamps<Scalar>.supervised
        let gamma = Scalar(options.inference.stepSize)
        try network.feedforward(&state, workspace: &workspace)
        var first = 0.0, last = 0.0
        for t in 0...options.inference.maxIterations {
            let energy = try network.computeErrors(&state, &workspace, input: .clamped)
            if t == 0 { first = energy }
            last = energy
            if t == options.inference.maxIterations { break }
            try network.activityGradients(state, &workspace, clamps: clamps)
            try network.parameterGradients(state, workspace: workspace, into: &gradients)
            for l in 1..<L { try state.activities[l].add(workspace.buffers.gradients[l], scaledBy: -gamma) }
            try optimizer.step(&network, gradients: gradients)
            if options.precisionLearningRate > 0 { try network.updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
            // New weights: every prediction changes (μ₁ included).
            try network.refreshAll(&state, &workspace)
        }
        return BatchResult(energy: first, finalEnergy: last, iterations: options.inference.maxIterations, diverged: !last.isFinite)
    }
}

/// Runs the shards of a batch on a persistent ``WorkerPool`` (shard k on thread k, the caller
/// taking shard 0): one handshake per step and no allocation.
class ShardRunner: @unchecked Sendable {
    func run(_ index: Int) {}
}

final class ShardJob<Scalar: PCScalar>: ShardRunner, @unchecked Sendable {
    let shards: [BatchShard<Scalar>]
    let pool: WorkerPool
    /// n_k / B: each shard's weight in the batch mean.
    let weights: [Scalar]
    private var network: PCNetwork<Scalar>?
    private var clamps = Clamps<Scalar>.supervised
    private var options = InferenceOptions.standard

    init(shards: [BatchShard<Scalar>], pool: WorkerPool) {
        self.shards = shards
        self.pool = pool
        let batch = shards.reduce(0) { $0 + $1.rows.count }
        weights = shards.map { Scalar(Double($0.rows.count) / Double(batch)) }
    }

    /// Settles every shard against `network` and writes each shard's gradients.
    func run(_ network: PCNetwork<Scalar>, clamps: Clamps<Scalar>, options: InferenceOptions) {
        self.network = network
        self.clamps = clamps
        self.options = options
        pool.run({ context, index in
            Unmanaged<ShardRunner>.fromOpaque(context!).takeUnretainedValue().run(index)
        }, context: Unmanaged.passUnretained(self as ShardRunner).toOpaque(), count: shards.count)
        self.network = nil
    }

    override func run(_ index: Int) {
        shards[index].run(network!, clamps: clamps, options: options)
    }
}

/// One thread's part of a batch: its rows, state, workspace and gradients.
final class BatchShard<Scalar: PCScalar>: @unchecked Sendable {
    let rows: Range<Int>
    var state: PCState<Scalar>
    var workspace: InferenceWorkspace<Scalar>
    var gradients: ParameterGradients<Scalar>
    /// The last settle's outcome (a summary: keeping the report would hold on to the workspace's
    /// energy trace and make the next settle copy it).
    var summary: (initialEnergy: Double, finalEnergy: Double, iterations: Int, diverged: Bool)?
    var error: Error?

    init(network: PCNetwork<Scalar>, rows: Range<Int>, traceCapacity: Int) throws {
        self.rows = rows
        state = try PCState(for: network, batchSize: rows.count)
        workspace = try InferenceWorkspace(for: network, batchSize: rows.count, traceCapacity: traceCapacity)
        gradients = try ParameterGradients(for: network)
    }

    /// Settles this shard and writes its batch-mean gradients.
    func run(_ network: PCNetwork<Scalar>, clamps: Clamps<Scalar>, options: InferenceOptions) {
        do {
            error = nil
            summary = nil
            let report = try network.settle(&state, workspace: &workspace, clamps: clamps, options: options)
            summary = (report.initialEnergy, report.finalEnergy, report.iterations, report.diverged)
            try network.parameterGradients(state, workspace: workspace, into: &gradients)
        } catch {
            self.error = error
        }
    }
}
