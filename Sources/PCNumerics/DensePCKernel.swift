import _PCKernels

/// Raw entry to the fused settle kernel of a dense predictive-coding network
/// (`pck_pc_dense_settle_*`, synchronous gradient descent with the input and output clamped).
///
/// An implementation detail of PCCore: the pointer tables are not checked against any Swift
/// value. Use `PCNetwork.settle` instead.
public enum _DensePCKernel {
    /// Buffer roles, in the order of the `buffers` table (each role has L + 1 entries).
    public static let roles = Int(PCK_PC_ROLES)

    /// The outcome of one kernel call.
    public struct Outcome: Sendable {
        /// Kernel status (0 = success).
        public var status: Int32
        /// Updates applied.
        public var iterations: Int
        /// Energies written to the trace.
        public var traceCount: Int
        /// Iteration of the lowest energy.
        public var bestIteration: Int
        /// F_B of the returned state.
        public var finalEnergy: Double
        /// 0: budget, 1: converged, 2: diverged.
        public var stop: Int32

        /// An empty outcome (status 0, nothing run).
        public init() { status = 0; iterations = 0; traceCount = 0; bestIteration = 0; finalEnergy = 0; stop = 0 }

        init(status: Int32, iterations: Int, traceCount: Int, bestIteration: Int, finalEnergy: Double, stop: Int32) {
            self.status = status; self.iterations = iterations; self.traceCount = traceCount
            self.bestIteration = bestIteration; self.finalEnergy = finalEnergy; self.stop = stop
        }
    }

    /// Runs the settle loop.
    /// - Parameters:
    ///   - scalar: Float or Double (the element type behind every pointer).
    ///   - depth: L.
    ///   - batch: B.
    ///   - sizes: n₀…n_L.
    ///   - activations: L kernel activation codes and `slopes` their leaky slopes.
    ///   - energyOffsets: L constants added to Σ_i F_i, or `nil`.
    ///   - parameters: 3L pointers: W_ℓ, b_ℓ (or nil), π_ℓ (or nil).
    ///   - buffers: ``roles`` × (L + 1) pointers, role-major.
    ///   - sequential: SeqIL's top-down sweep (step γ/(1 + t)) instead of synchronous gradient descent.
    ///   - trace: at least `maxIterations + 1` energies.
    ///   - inAlternate: L + 1 flags: the final activities of layer ℓ are in buffer 1.
    public static func settle<Scalar: PCScalar>(
        _ scalar: Scalar.Type, depth: Int, batch: Int, sizes: UnsafePointer<Int>, activations: UnsafePointer<Int32>,
        slopes: UnsafePointer<Double>, energyOffsets: UnsafePointer<Double>?,
        parameters: UnsafePointer<UnsafeRawPointer?>, buffers: UnsafePointer<UnsafeMutableRawPointer?>,
        stepSize: Double, maxIterations: Int, tolerance: Double, divergenceThreshold: Double, feedforward: Bool,
        sequential: Bool = false, trace: UnsafeMutablePointer<Double>, traceCapacity: Int, inAlternate: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        var net = pck_pc_dense(depth: depth, batch: batch, sizes: sizes, activations: activations, slopes: slopes,
                               energy_offsets: energyOffsets, parameters: parameters,
                               buffers: UnsafeRawPointer(buffers).assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
        var options = pck_pc_settle_options(step_size: stepSize, max_iterations: maxIterations, tolerance: tolerance,
                                            divergence_threshold: divergenceThreshold, feedforward: feedforward ? 1 : 0,
                                            sequential: sequential ? 1 : 0)
        var result = pck_pc_settle_result()
        let status = Scalar.self == Float.self
            ? pck_pc_dense_settle_f32(&net, &options, trace, traceCapacity, inAlternate, &result)
            : pck_pc_dense_settle_f64(&net, &options, trace, traceCapacity, inAlternate, &result)
        return Outcome(status: status, iterations: result.iterations, traceCount: result.trace_count,
                       bestIteration: result.best_iteration, finalEnergy: result.final_energy, stop: result.stop)
    }
}

extension Array {
    /// Calls `body` with the mutable base address of every matrix's storage written to
    /// `table[0..<count]` (each made unique first); the addresses are valid only inside `body`.
    /// Allocates nothing when the array and its matrices are uniquely referenced.
    public mutating func _withMutableStorages<Scalar: PCScalar, R>(
        into table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ body: () throws -> R
    ) rethrows -> R where Element == Matrix<Scalar> {
        try withUnsafeMutableBufferPointer { buffer in try gatherStorages(buffer, 0, table, body) }
    }
}

private func gatherStorages<Scalar: PCScalar, R>(
    _ buffer: UnsafeMutableBufferPointer<Matrix<Scalar>>, _ i: Int,
    _ table: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ body: () throws -> R
) rethrows -> R {
    if i == buffer.count { return try body() }
    return try buffer[i].withUnsafeMutableStorage { pointer, _ in
        table[i] = UnsafeMutableRawPointer(pointer)
        return try gatherStorages(buffer, i + 1, table, body)
    }
}

extension Activation {
    /// The kernel's activation code and leaky slope (for ``_DensePCKernel``).
    public var _kernel: (code: Int32, slope: Double) {
        let (code, slope): (Int32, Double) = kernelCode()
        return (code, slope)
    }
}

/// Adam / AdamW over `n` parameters in one vectorised kernel pass:
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − a·m/(√(c₂v) + ε) − decay·p,
/// with the bias corrections folded into a = α/(1−β₁ᵗ) and c₂ = 1/(1−β₂ᵗ).
/// - Parameters: `p`, `g`, `m`, `v`: n values each (p, m, v updated in place).
public func _adamUpdate<Scalar: PCScalar>(
    _ n: Int, _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ m: UnsafeMutablePointer<Scalar>,
    _ v: UnsafeMutablePointer<Scalar>, beta1: Scalar, beta2: Scalar, a: Scalar, c2: Scalar, epsilon: Scalar, decay: Scalar
) {
    func f<T>(_ x: UnsafeMutablePointer<Scalar>, _: T.Type) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer(x).assumingMemoryBound(to: T.self)
    }
    let gr = UnsafeRawPointer(g)
    if Scalar.self == Float.self {
        _ = pck_adam_f32(n, f(p, Float.self), gr.assumingMemoryBound(to: Float.self), f(m, Float.self), f(v, Float.self),
                         Float(beta1), Float(beta2), Float(a), Float(c2), Float(epsilon), Float(decay))
    } else {
        _ = pck_adam_f64(n, f(p, Double.self), gr.assumingMemoryBound(to: Double.self), f(m, Double.self), f(v, Double.self),
                         Double(beta1), Double(beta2), Double(a), Double(c2), Double(epsilon), Double(decay))
    }
}

/// A persistent pool of worker threads for data-parallel work, such as the shards of a
/// predictive-coding batch (`LearningOptions.threads`).
///
/// ``run(_:context:count:)`` runs `task(context, i)` for i = 0…count−1, index 0 on the calling
/// thread and the rest on the workers, and returns when all are done. A call allocates nothing
/// and costs one handshake (~1 µs when the workers are awake). Idle workers spin ~0.5 ms, then
/// sleep. Calls from several threads are serialised. The threads stop when the pool is released.
public final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer
    /// Threads that can run tasks at once: the workers plus the caller.
    public let width: Int

    /// A pool that runs up to `width` tasks at once (`width − 1` worker threads).
    /// - Throws: ``NumericsError/invalidArgument(_:)`` for a width outside 1…256, or when the
    ///   threads cannot be created.
    public init(width: Int) throws {
        guard (1...256).contains(width) else { throw NumericsError.invalidArgument("pool width must be in 1...256 (got \(width))") }
        guard let pool = pck_pool_create(Int32(width - 1)) else {
            throw NumericsError.invalidArgument("could not start \(width - 1) worker threads")
        }
        self.pool = pool
        self.width = width
    }

    deinit { pck_pool_destroy(pool) }

    /// Runs `task(context, i)` for i in 0..<count (count ≤ ``width``) and waits for all of them.
    /// `task` must not throw or call back into this pool.
    public func run(_ task: @convention(c) (UnsafeMutableRawPointer?, Int) -> Void, context: UnsafeMutableRawPointer?, count: Int) {
        precondition(count >= 0 && count <= width, "WorkerPool.run: count \(count) outside 0...\(width)")
        _ = pck_pool_run(pool, task, context, count)
    }
}

/// Adam / AdamW on a ``WorkerPool`` for parameters whose gradient is the weighted mean of the
/// gradients of K batch shards: pool thread i combines g = Σ_k w_k g_k and applies the
/// ``_adamUpdate(_:_:_:_:_:beta1:beta2:a:c2:epsilon:decay:)`` update on its own cache-line-aligned
/// slice of every tensor, so each core keeps writing the same slices of p, m and v.
///
/// An implementation detail of PCCore's sharded learner: the tables hold raw addresses that the
/// caller sets before each ``run(on:beta1:beta2:a:c2:epsilon:decay:)`` and that must stay valid
/// during it. Allocates its tables once; a run allocates nothing.
public final class _ShardedAdam<Scalar: PCScalar>: @unchecked Sendable {
    /// Parameter tensors and shards.
    public let tensors: Int, shards: Int
    private let counts: UnsafeMutablePointer<Int>
    private let parameters, firstMoments, secondMoments, combined: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let shardGradients: UnsafeMutablePointer<UnsafeRawPointer?>
    private let weights: UnsafeMutablePointer<Double>
    private let job: UnsafeMutablePointer<pck_adam_job>

    /// Tables for tensors of `counts` values and shards weighted by `shardWeights` (n_k / B).
    public init(counts: [Int], shardWeights: [Double]) {
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
    public func setTensor(_ t: Int, parameters p: UnsafeMutablePointer<Scalar>, firstMoments m: UnsafeMutablePointer<Scalar>,
                          secondMoments v: UnsafeMutablePointer<Scalar>, combined g: UnsafeMutablePointer<Scalar>) {
        parameters[t] = UnsafeMutableRawPointer(p)
        firstMoments[t] = UnsafeMutableRawPointer(m)
        secondMoments[t] = UnsafeMutableRawPointer(v)
        combined[t] = UnsafeMutableRawPointer(g)
    }

    /// Sets shard `k`'s gradient of tensor `t`.
    public func setShardGradient(_ k: Int, tensor t: Int, _ g: UnsafePointer<Scalar>) {
        shardGradients[k * tensors + t] = UnsafeRawPointer(g)
    }

    /// Combines and updates every tensor on `pool` (one part per thread, at most ``WorkerPool/width``).
    /// Every address set with ``setTensor(_:parameters:firstMoments:secondMoments:combined:)`` and
    /// ``setShardGradient(_:tensor:_:)`` must be valid during the call.
    public func run(on pool: WorkerPool, beta1: Double, beta2: Double, a: Double, c2: Double, epsilon: Double, decay: Double) {
        let parts = pool.width
        job.pointee = pck_adam_job(
            tensors: tensors, shards: shards, parts: parts, counts: counts,
            parameters: UnsafePointer(parameters), first_moments: UnsafePointer(firstMoments),
            second_moments: UnsafePointer(secondMoments), combined: UnsafePointer(combined),
            shard_gradients: UnsafePointer(shardGradients), weights: weights,
            beta1: beta1, beta2: beta2, a: a, c2: c2, epsilon: epsilon, decay: decay)
        pool.run(Scalar.self == Float.self ? pck_adam_job_run_f32 : pck_adam_job_run_f64, context: UnsafeMutableRawPointer(job), count: parts)
    }
}
