import Foundation
import PCNumerics
import _PCAllocationCounter

/// One measured figure of a benchmark suite.
struct BenchResult: Codable {
    /// What was measured, e.g. `"gemm_f32_256x256x256"`.
    var name: String
    /// The headline value (the median over repeats).
    var value: Double
    /// The unit of `value`, e.g. `"GFLOP/s"`, `"ns/call"`, `"allocations/call"`.
    var unit: String
    /// Further figures (p99, minimum, sizes, …).
    var details: [String: Double] = [:]
}

/// A benchmark suite's output.
struct BenchReport: Codable {
    var suite: String
    var version: String = pckitVersion
    var machine: [String: String] = BenchReport.machineDescription()
    var results: [BenchResult] = []

    static func machineDescription() -> [String: String] {
        // The kernels' instruction-set path (baseline, avx2, avx512 or native): see KernelPath.
        var info = ["cores": String(ProcessInfo.processInfo.activeProcessorCount), "kernels": KernelPath.current.rawValue]
        #if os(Linux)
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":", maxSplits: 1).last {
            info["cpu"] = name.trimmingCharacters(in: .whitespaces)
        }
        #endif
        return info
    }

    /// Prints the report as JSON (one object) or as an aligned table.
    func emit(json: Bool) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try! encoder.encode(self)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("pcctl bench \(suite) — PCKit \(version), \(machine["cpu"] ?? "unknown cpu"), \(machine["cores"] ?? "?") cores, kernels \(machine["kernels"] ?? "?")")
        let width = results.map(\.name.count).max() ?? 10
        for r in results {
            let pad = String(repeating: " ", count: max(0, width - r.name.count))
            let extra = r.details.sorted { $0.key < $1.key }.map { "\($0.key)=\(format($0.value))" }.joined(separator: " ")
            print("  \(r.name)\(pad)  \(format(r.value)) \(r.unit)\(extra.isEmpty ? "" : "  (\(extra))")")
        }
    }

    private func format(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e9 { return String(Int(x)) }
        return String(format: abs(x) >= 100 ? "%.1f" : "%.3g", x)
    }
}

/// Monotonic nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Times `body` in `repeats` batches of `iterations` calls after one warm-up batch.
/// - Returns: nanoseconds per call for each batch, sorted ascending.
@inline(__always)
func measureNanosecondsPerCall(iterations: Int, repeats: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<max(1, iterations / 4) { body() }
    var samples: [Double] = []
    samples.reserveCapacity(repeats)
    for _ in 0..<repeats {
        let start = monotonicNanoseconds()
        for _ in 0..<iterations { body() }
        let elapsed = monotonicNanoseconds() - start
        samples.append(Double(elapsed) / Double(iterations))
    }
    return samples.sorted()
}

/// Chooses an iteration count so that one batch of `body` takes roughly `targetSeconds`.
func calibrateIterations(targetSeconds: Double = 0.05, _ body: () -> Void) -> Int {
    var n = 1
    while true {
        let start = monotonicNanoseconds()
        for _ in 0..<n { body() }
        let seconds = Double(monotonicNanoseconds() - start) * 1e-9
        if seconds >= targetSeconds / 4 || n >= 1 << 26 {
            return max(1, Int(Double(n) * targetSeconds / max(seconds, 1e-9)))
        }
        n *= 4
    }
}

/// The median of a sorted, non-empty array.
func median(_ sorted: [Double]) -> Double {
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
}

/// The q-quantile (0…1) of a sorted, non-empty array, by nearest rank.
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Heap allocations per call of `body`, measured on this thread after `warmUp` calls.
/// - Returns: allocations per call, or `nil` when the allocation counter is not active.
func allocationsPerCall(warmUp: Int = 3, calls: Int = 100, _ body: () -> Void) -> Double? {
    for _ in 0..<warmUp { body() }
    guard pck_allocation_counter_active() != 0 else { return nil }
    let before = pck_thread_allocation_count()
    for _ in 0..<calls { body() }
    return Double(pck_thread_allocation_count() - before) / Double(calls)
}
