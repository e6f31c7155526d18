import Foundation
import PCNumerics

// The optimiser step of a batch split across threads (LearningOptions.threads > 1): for Adam and
// AdamW, combining the shards' gradients into the batch mean and the update are one pass, and
// every parameter tensor is split across the pool's threads. Other optimisers combine, then step.

extension Optimizer {
    /// Whether ``shardedStep(_:shards:weights:into:pool:)`` runs in parallel for this optimiser.
    var stepsShardsInParallel: Bool {
        switch kind {
        case .adam, .adamW: true
        default: false
        }
    }

    /// g = Σ_k w_k g_k (the shards' gradients) into `gradients`, then one update of `network`.
    /// Adam and AdamW split each tensor across `pool`; other optimisers run the serial step.
    mutating func shardedStep(_ network: inout PCNetwork<Scalar>, shards: [BatchShard<Scalar>], weights: [Scalar],
                              into gradients: inout ParameterGradients<Scalar>, pool: WorkerPool) throws {
        guard stepsShardsInParallel, shards.count <= pool.width else {
            gradients.zero()
            for (k, shard) in shards.enumerated() {
                for l in gradients.weights.indices {
                    try gradients.weights[l].add(shard.gradients.weights[l], scaledBy: weights[k])
                    if let b = shard.gradients.biases[l] { try gradients.biases[l]!.add(b, scaledBy: weights[k]) }
                }
            }
            step(&network, gradients: gradients)
            return
        }
        stepCount += 1
        var lr = 0.0, b1 = 0.0, b2 = 0.0, eps = 0.0, decay = 0.0
        switch kind {
        case .adam(let l, let x, let y, let e): (lr, b1, b2, eps) = (l, x, y, e)
        case .adamW(let l, let x, let y, let e, let wd): (lr, b1, b2, eps, decay) = (l, x, y, e, l * wd)
        default: break
        }
        let t = Double(stepCount)
        // The same Scalar constants as the serial step.
        let a = Scalar(lr) * Scalar(1 / (1 - pow(b1, t))), c2 = Scalar(1 / (1 - pow(b2, t)))
        let count = shards.count
        withUnsafeTemporaryAllocation(of: UnsafePointer<Scalar>?.self, capacity: count) { parts in
            weights.withUnsafeBufferPointer { w in
                var slot = 0
                for l in network.layers.indices {
                    // Weight tensor.
                    let weightCount = gradients.weights[l].count
                    network.layers[l].weight.withUnsafeMutableStorage { p, _ in
                        gradients.weights[l].withUnsafeMutableStorage { g, _ in
                            withShardStorages(shards, 0, parts.baseAddress!, { $0.gradients.weights[l] }) {
                                update(slot: slot, count: weightCount, shards: count, p: p, g: g, parts: parts.baseAddress!,
                                       weights: w.baseAddress!, a: a, c2: c2, b1: b1, b2: b2, eps: eps, decay: decay, pool: pool)
                            }
                        }
                    }
                    slot += 1
                    if network.layers[l].bias != nil, gradients.biases[l] != nil {
                        network.layers[l].bias!.withUnsafeMutableBufferPointer { p in
                            gradients.biases[l]!.withUnsafeMutableBufferPointer { g in
                                withShardBiases(shards, 0, l, parts.baseAddress!) {
                                    update(slot: slot, count: g.count, shards: count, p: p.baseAddress!, g: g.baseAddress!, parts: parts.baseAddress!,
                                           weights: w.baseAddress!, a: a, c2: c2, b1: b1, b2: b2, eps: eps, decay: decay, pool: pool)
                                }
                            }
                        }
                        slot += 1
                    }
                }
            }
        }
    }

    private mutating func update(slot: Int, count: Int, shards shardCount: Int, p: UnsafeMutablePointer<Scalar>, g: UnsafeMutablePointer<Scalar>,
                                 parts: UnsafeMutablePointer<UnsafePointer<Scalar>?>, weights: UnsafePointer<Scalar>,
                                 a: Scalar, c2: Scalar, b1: Double, b2: Double, eps: Double, decay: Double, pool: WorkerPool) {
        firstMoments[slot].withUnsafeMutableBufferPointer { m in
            secondMoments[slot].withUnsafeMutableBufferPointer { v in
                var task = _AdamCombineTask(
                    count: count, parts: shardCount, isFloat: Scalar.self == Float.self, p: UnsafeMutableRawPointer(p),
                    g: UnsafeMutableRawPointer(g), m: UnsafeMutableRawPointer(m.baseAddress!), v: UnsafeMutableRawPointer(v.baseAddress!),
                    partPointers: UnsafeRawPointer(parts), partWeights: UnsafeRawPointer(weights),
                    beta1: Double(Scalar(b1)), beta2: Double(Scalar(b2)), a: Double(a), c2: Double(c2),
                    epsilon: Double(Scalar(eps)), decay: Double(Scalar(decay)))
                task.run(on: pool)
            }
        }
    }
}

/// Writes each shard's `select` storage address to `table[k…]` and calls `body` with all valid.
private func withShardStorages<Scalar: PCScalar>(_ shards: [BatchShard<Scalar>], _ k: Int,
                                                 _ table: UnsafeMutablePointer<UnsafePointer<Scalar>?>,
                                                 _ select: (BatchShard<Scalar>) -> Matrix<Scalar>, _ body: () -> Void) {
    if k == shards.count { return body() }
    select(shards[k]).withUnsafeStorage { pointer, _ in
        table[k] = pointer
        withShardStorages(shards, k + 1, table, select, body)
    }
}

private func withShardBiases<Scalar: PCScalar>(_ shards: [BatchShard<Scalar>], _ k: Int, _ l: Int,
                                               _ table: UnsafeMutablePointer<UnsafePointer<Scalar>?>, _ body: () -> Void) {
    if k == shards.count { return body() }
    shards[k].gradients.biases[l]!.withUnsafeBufferPointer { pointer in
        table[k] = pointer.baseAddress!
        withShardBiases(shards, k + 1, l, table, body)
    }
}
