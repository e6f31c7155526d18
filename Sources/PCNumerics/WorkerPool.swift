import _PCKernels

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
