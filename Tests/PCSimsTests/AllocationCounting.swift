import PCEnvironment
import _PCAllocationCounter

/// Heap allocations made by this thread while `body` runs (nil when the counter is not linked in).
func allocations(during body: () throws -> Void) rethrows -> UInt64? {
    guard pck_allocation_counter_active() != 0 else { return nil }
    let before = pck_thread_allocation_count()
    try body()
    return pck_thread_allocation_count() - before
}

/// Allocations over `steps` hot-path steps after a warm-up of 10, with a fixed action.
func allocationsPerEpisode<E: Environment>(_ env: inout E, action: [Double], steps: Int = 1000) throws -> UInt64? {
    var observation = env.reset(seed: 1)
    for _ in 0..<10 { _ = try env.step(action, observation: &observation) }
    return try allocations {
        for _ in 0..<steps {
            let t = try env.step(action, observation: &observation)
            if t.terminated { _ = try env.step(action, observation: &observation) }
        }
    }
}
