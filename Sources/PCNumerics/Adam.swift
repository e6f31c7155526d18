import _PCKernels

/// Adam / AdamW over `n` parameters in one vectorised kernel pass:
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − a·m/(√(c₂v) + ε) − decay·p,
/// with the bias corrections folded into a = α/(1−β₁ᵗ) and c₂ = 1/(1−β₂ᵗ).
/// - Parameters: `p`, `g`, `m`, `v`: n values each (p, m, v updated in place).
package func adamUpdate<Scalar: PCScalar>(
    _ n: Int, _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ m: UnsafeMutablePointer<Scalar>,
    _ v: UnsafeMutablePointer<Scalar>, beta1: Scalar, beta2: Scalar, a: Scalar, c2: Scalar, epsilon: Scalar, decay: Scalar
) {
    switch Scalar.kernelPrecision {
    case .single: _ = pck_adam_f32(n, p.f32, g.f32, m.f32, v.f32, beta1.f32, beta2.f32, a.f32, c2.f32, epsilon.f32, decay.f32)
    case .double: _ = pck_adam_f64(n, p.f64, g.f64, m.f64, v.f64, beta1.f64, beta2.f64, a.f64, c2.f64, epsilon.f64, decay.f64)
    }
}

/// Adam / AdamW on a ``WorkerPool`` for parameters whose gradient is the weighted mean of the
/// gradients of K batch shards: pool thread i combines g = Σ_k w_k g_k and applies the
/// `adamUpdate` update on its own cache-line-aligned slice of every tensor, so each core keeps
/// writing the same slices of p, m and v.
///
/// An implementation detail of PCCore's sharded learner (package access): the tables hold raw
/// addresses that the caller sets before each ``run(on:beta1:beta2:a:c2:epsilon:decay:)`` and
/// that must stay valid during it. Allocates its tables once; a run allocates nothing.
package final class ShardedAdam<Scalar: PCScalar>: @unchecked Sendable {
    /// Parameter tensors and shards.
    package let tensors: Int, shards: Int
    private let counts: UnsafeMutablePointer<Int>
    private let parameters, firstMoments, secondMoments, combined: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let shardGradients: UnsafeMutablePointer<UnsafeRawPointer?>
    private let weights: UnsafeMutablePointer<Double>
    private let job: UnsafeMutablePointer<pck_adam_job>

    /// Tables for tensors of `counts` values and shards weighted by `shardWeights` (n_k / B).
    package init(counts: [Int], shardWeights: [Double]) {
        tensors = counts.count
        shards = shardWeights.count
        self.counts = .allocate(capacity: max(tensors, 1))
        self.counts.initialize(from: counts, count: tensors)
        func table() -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
            let t = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(counts.count, 1))
            t.initialize(repeating: nil, count: max(counts.count, 1))
            return t
        }
        parameters = table(); firstMoments = table(); secondMoments = table(); combined = table()
        shardGradients = .allocate(capacity: max(tensors * shards, 1))
        shardGradients.initialize(repeating: nil, count: max(tensors * shards, 1))
        weights = .allocate(capacity: max(shards, 1))
        weights.initialize(from: shardWeights, count: shards)
        job = .allocate(capacity: 1)
        job.initialize(to: pck_adam_job())
    }

    deinit {
        for t in [parameters, firstMoments, secondMoments, combined] { t.deallocate() }
        counts.deallocate(); shardGradients.deallocate(); weights.deallocate(); job.deallocate()
    }

    /// Sets tensor `t`: its parameters, Adam moments and the buffer for the combined gradient
    /// (`counts[t]` values each, `counts` as given to `init`).
    package func setTensor(_ t: Int, parameters p: UnsafeMutablePointer<Scalar>, firstMoments m: UnsafeMutablePointer<Scalar>,
                          secondMoments v: UnsafeMutablePointer<Scalar>, combined g: UnsafeMutablePointer<Scalar>) {
        parameters[t] = UnsafeMutableRawPointer(p)
        firstMoments[t] = UnsafeMutableRawPointer(m)
        secondMoments[t] = UnsafeMutableRawPointer(v)
        combined[t] = UnsafeMutableRawPointer(g)
    }

    /// Sets shard `k`'s gradient of tensor `t`.
    package func setShardGradient(_ k: Int, tensor t: Int, _ g: UnsafePointer<Scalar>) {
        shardGradients[k * tensors + t] = UnsafeRawPointer(g)
    }

    /// Combines and updates every tensor on `pool` (one part per thread, at most ``WorkerPool/width``).
    /// Every address set with ``setTensor(_:parameters:firstMoments:secondMoments:combined:)`` and
    /// ``setShardGradient(_:tensor:_:)`` must be valid during the call.
    package func run(on pool: WorkerPool, beta1: Double, beta2: Double, a: Double, c2: Double, epsilon: Double, decay: Double) {
        let parts = pool.width
        job.pointee = pck_adam_job(
            tensors: tensors, shards: shards, parts: parts, counts: counts,
            parameters: UnsafePointer(parameters), first_moments: UnsafePointer(firstMoments),
            second_moments: UnsafePointer(secondMoments), combined: UnsafePointer(combined),
            shard_gradients: UnsafePointer(shardGradients), weights: weights,
            beta1: beta1, beta2: beta2, a: a, c2: c2, epsilon: epsilon, decay: decay)
        switch Scalar.kernelPrecision {
        case .single: pool.run(pck_adam_job_run_f32, context: UnsafeMutableRawPointer(job), count: parts)
        case .double: pool.run(pck_adam_job_run_f64, context: UnsafeMutableRawPointer(job), count: parts)
        }
    }
}
