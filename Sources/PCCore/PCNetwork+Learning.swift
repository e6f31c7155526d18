import PCNumerics

// The dense PCNetwork's side of the one learner (PCLearner): its own settle (with the fused dense
// kernel), gradients and refreshes, a free input, MQ and IL on several threads. The workspace,
// gradients, optimiser step, iPC's descent, nudging's start and the exact rules' dispatch are the
// layered defaults (PCNetwork is a LayeredPCModel; its own Z-IL, FPA and backprop are the witnesses).

extension PCNetwork {
    /// Every rule; a free input (generative training) with IL and SeqIL only.
    public func checkLearning(_ options: LearningOptions) throws {
        if case .free = options.input, options.rule != .il, options.rule != .sequential {
            throw PCCoreError.unsupported("a free input (generative training) is implemented for IL and SeqIL")
        }
    }

    public func makeOptimizer(_ kind: OptimizerKind) throws -> Optimizer<Scalar> { try Optimizer(kind, for: self) }

    public func checkLearningFit(_ state: PCState<Scalar>, _ workspace: InferenceWorkspace<Scalar>, _ gradients: ParameterGradients<Scalar>,
                                 _ optimizer: Optimizer<Scalar>, _ clamps: Clamps<Scalar>) throws {
        try checkFit(state, workspace)
        try optimizer.checkFits(self, gradients)
    }

    public func learningGradients(_ state: PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>,
                                  into gradients: inout ParameterGradients<Scalar>, scale: Scalar) throws {
        try parameterGradients(state, workspace: workspace, into: &gradients, scale: scale)
    }

    /// The feedforward state, input and output clamped (iPC is supervised).
    public func startIncrementalInference(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>, clamps: Clamps<Scalar>,
                                          options: InferenceOptions) throws {
        try feedforward(&state, workspace: &workspace)
    }

    public func refreshedEnergy(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>) throws -> Double {
        try computeErrors(&state, &workspace, input: .clamped)
    }

    public func writeActivityGradients(_ state: PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>, clamps: Clamps<Scalar>) throws {
        try activityGradients(state, &workspace, clamps: .supervised)
    }

    public func refreshPredictions(_ state: inout PCState<Scalar>, workspace: inout InferenceWorkspace<Scalar>) throws {
        try refreshAll(&state, &workspace)
    }

    /// `min(options.threads, batchSize)` shards when that is more than one.
    public func makeParallelLearning(batchSize: Int, options: LearningOptions) throws -> ParallelLearning<Scalar>? {
        let count = min(options.threads, batchSize)
        guard count > 1 else { return nil }
        var shards: [BatchShard<Scalar>] = []
        for k in 0..<count {
            let rows = (k * batchSize / count)..<((k + 1) * batchSize / count)
            shards.append(try BatchShard(network: self, rows: rows, traceCapacity: max(options.inference.maxIterations, 64)))
        }
        let job = ShardJob(shards: shards, pool: try WorkerPool(width: shards.count))
        let adam = ShardedAdam<Scalar>(counts: layers.flatMap { [$0.weight.count] + ($0.bias.map { [$0.count] } ?? []) },
                                       shardWeights: job.weights.map { Double($0) })
        return ParallelLearning(shards: shards, job: job, shardedAdam: adam)
    }

    /// IL on `shards.count` threads: each shard settles its rows, the gradients are combined with
    /// weights n_k/B into the batch mean, and one optimiser step follows.
    public mutating func parallelLearningStep(_ parallel: ParallelLearning<Scalar>, state: PCState<Scalar>,
                                              gradients: inout ParameterGradients<Scalar>, optimizer: inout Optimizer<Scalar>,
                                              clamps: Clamps<Scalar>, options: LearningOptions,
                                              inference: InferenceOptions) throws -> BatchResult {
        let B = state.batchSize
        let (shards, job) = (parallel.shards, parallel.job)
        for shard in shards {
            try shard.state.setInput(state.activities[0].rows(shard.rows))
            try shard.state.setOutput(state.activities[depth].rows(shard.rows))
        }
        job.run(self, clamps: clamps, options: inference)
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
        let combinedOnThreads = Self.shardedAdamStep(parallel, &self, optimizer: &optimizer, gradients: &gradients)
        if combinedOnThreads {
            for l in gradients.logVariances.indices { gradients.logVariances[l]?.fill(0) }
        } else {
            gradients.zero()
        }
        for (k, shard) in shards.enumerated() {
            let w = job.weights[k]
            for l in gradients.weights.indices {
                if !combinedOnThreads {
                    try gradients.weights[l].add(shard.gradients.weights[l], scaledBy: w)
                    if let b = shard.gradients.biases[l] { try gradients.biases[l]!.add(b, scaledBy: w) }
                }
                if let s = shard.gradients.logVariances[l] { try gradients.logVariances[l]!.add(s, scaledBy: w) }
            }
        }
        if !combinedOnThreads { try optimizer.step(&self, gradients: gradients) }
        if options.precisionLearningRate > 0 { try updatePrecisions(gradients, learningRate: options.precisionLearningRate) }
        return BatchResult(energy: energy, finalEnergy: finalEnergy, iterations: iterations, diverged: diverged)
    }

    /// For Adam/AdamW: combines the shards' weight and bias gradients into ``gradients`` and applies
    /// the optimiser step on the pool's threads (PCNumerics' `ShardedAdam`), exactly as
    /// ``Optimizer/step(_:gradients:)`` would. Returns false, doing nothing, for other optimisers
    /// (or tensors whose sizes do not match the learner's).
    static func shardedAdamStep(_ parallel: ParallelLearning<Scalar>, _ network: inout PCNetwork<Scalar>, optimizer: inout Optimizer<Scalar>,
                                gradients: inout ParameterGradients<Scalar>) -> Bool {
        let (adam, job) = (parallel.shardedAdam, parallel.job)
        guard optimizer.adamConstants != nil,
              optimizer.firstMoments.count == adam.tensors, optimizer.secondMoments.count == adam.tensors else { return false }
        let shards = parallel.shards
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

}
