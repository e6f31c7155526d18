import ArgumentParser
import Foundation
import PCAgents
import PCBridge
import PCKit
import PCSims
import PCWire

/// The bridge under load, measured in the same run as its own baseline:
/// - isolation: a 100 Hz robot's round trips alone, then beside a robot whose planner runs at its
///   maximum compute (stepping back to back, each step cut at its compute deadline);
/// - throughput: robots with CPU-bound planners served by one worker, then by one per core.
extension BenchBridge {
    /// A pendulum predictive controller made expensive: a long horizon, many iterations, no early
    /// stop, and optionally a sampled proposal.
    static func heavyModel(horizon: Int, iterations: Int, samples: Int = 0) -> PlantModel {
        var options = PredictiveControllerOptions.pendulumSwingUp
        options.horizon = horizon
        options.iterations = iterations
        options.tolerance = 0
        options.proposal = .init(samples: samples, noiseScale: [1], temperature: 0.1)
        return PlantModel(predictiveControllerPreset: options) { FiniteDifferenceLinearization(PendulumModel.gymnasium) }
    }

    static func pendulumHello(robot: String, period: Double, agent: JSONValue) -> Hello {
        Hello(robot: robot, observationSpace: WireSpace(low: [-1, -1, -8], high: [1, 1, 8]),
              actionSpace: WireSpace(low: [-2], high: [2]), controlPeriod: period, scalar: .float64, agent: agent)
    }

    /// The legitimate robot's round trips (µs, sorted) at 100 Hz for `ticks` ticks.
    static func legitimateRoundTrips(endpoint: String, ticks: Int) throws -> [Double] {
        let client = try BridgeClient(endpoint: endpoint)
        try client.hello(Hello(robot: "legitimate", observationSpace: WireSpace(low: [-1, -1, -8], high: [1, 1, 8]),
                               actionSpace: WireSpace(low: [-2], high: [2]), controlPeriod: 0.01,
                               agent: .object(["type": .string("linear"), "gain": .array([.array([.number(1), .number(0), .number(0.5)])])])))
        var samples: [Double] = []
        samples.reserveCapacity(ticks)
        var pacer = Pacer(period: 10_000_000)
        var observation = [1.0, 0.0, 0.0], action = [0.0]
        try observation.withUnsafeMutableBufferPointer { o in
            try action.withUnsafeMutableBufferPointer { a in
                for i in 0..<(ticks + 20) {
                    o[2] = sin(Double(i) * 0.05)
                    pacer.wait()
                    let start = monotonicNanoseconds()
                    try client.step(observation: UnsafeBufferPointer(o), action: a)
                    if i >= 20 { samples.append(Double(monotonicNanoseconds() - start) / 1000) }
                }
            }
        }
        try client.bye()
        return samples.sorted()
    }

    /// Isolation: the 100 Hz robot idle, then beside a maximum-compute robot (horizon, iterations
    /// and proposal samples at their maxima, stepping back to back, each step cut at its deadline).
    func isolation(ticks: Int) throws -> [BenchResult] {
        let period = 0.05  // the pendulum model's time step: the compute deadline is 25 ms
        // Every budget option at its maximum: far more work than any deadline allows.
        let factory = PCAgentFactory(models: ["heavy": Self.heavyModel(horizon: PredictiveControllerOptions.maximumHorizon,
                                                                       iterations: PredictiveControllerOptions.maximumIterations,
                                                                       samples: PredictiveControllerOptions.ProposalOptions.maximumSamples)])
        let server = try BridgeServer(configuration: BridgeServerConfiguration(bind: ["ipc:///tmp/pckit-bench-\(getpid())-iso.sock"]),
                                      factory: factory)
        server.start()
        defer { server.stop() }
        let endpoint = server.endpoints[0]
        let idle = try Self.legitimateRoundTrips(endpoint: endpoint, ticks: ticks)

        // The expensive robot steps back to back on its own thread until told to stop.
        let stop = StopFlag(), done = DispatchSemaphore(value: 0)
        let stats = ExpensiveStats()
        let expensive = Thread {
            defer { done.signal() }
            do {
                let client = try BridgeClient(endpoint: endpoint, options: .init(timeoutMilliseconds: 5000, retries: 0))
                let welcome = try client.hello(Self.pendulumHello(robot: "expensive", period: period,
                                                                  agent: .object(["agent": .string("predictiveController"), "task": .string("heavy")])))
                var i = 0
                while !stop.isSet {
                    i += 1
                    let start = monotonicNanoseconds()
                    let observation = [cos(0.01 * Double(i)), sin(0.01 * Double(i)), 0]
                    let header = try observation.withUnsafeBufferPointer { o in
                        try client.step(observation: o, action: UnsafeMutableBufferPointer(start: stats.action, count: 1))
                    }
                    stats.record(latency: Double(monotonicNanoseconds() - start) / 1e9,
                                 late: header.flags.contains(.deadlineExceeded), deadline: welcome.computeDeadline ?? .nan)
                }
                try client.bye()
            } catch {
                stats.failure = "\(error)"
            }
        }
        expensive.start()
        usleep(300_000)  // the expensive robot is at work
        let loaded = try Self.legitimateRoundTrips(endpoint: endpoint, ticks: ticks)
        stop.set()
        done.wait()
        if let failure = stats.failure { throw ValidationError("expensive robot failed: \(failure)") }
        return [
            BenchResult(name: "bridge_100Hz_robot_idle", value: median(idle), unit: "µs median round trip",
                        details: ["p99_us": quantile(idle, 0.99), "max_us": idle.last ?? .nan, "n": Double(idle.count)]),
            BenchResult(name: "bridge_100Hz_robot_beside_max_compute", value: median(loaded), unit: "µs median round trip",
                        details: ["p99_us": quantile(loaded, 0.99), "max_us": loaded.last ?? .nan, "n": Double(loaded.count),
                                  "p99_ratio_to_idle": quantile(loaded, 0.99) / quantile(idle, 0.99),
                                  "p99_fraction_of_period": quantile(loaded, 0.99) / 10_000, "p95_us": quantile(loaded, 0.95), "p90_us": quantile(loaded, 0.9)]),
            BenchResult(name: "bridge_max_compute_step", value: stats.latencies.isEmpty ? .nan : median(stats.latencies.sorted()) * 1e3,
                        unit: "ms median round trip",
                        details: ["steps": Double(stats.latencies.count), "compute_deadline_ms": stats.deadline * 1e3,
                                  "max_ms": (stats.latencies.max() ?? .nan) * 1e3,
                                  "fraction_deadline_exceeded": Double(stats.late) / Double(max(stats.latencies.count, 1))]),
        ]
    }

    /// Throughput: `robots` robots with CPU-bound planners stepping back to back for `seconds`,
    /// served by `workers` workers; returns steps per second.
    func throughput(workers: Int, robots: Int, seconds: Double) throws -> Double {
        var configuration = BridgeServerConfiguration(bind: ["ipc:///tmp/pckit-bench-\(getpid())-tp\(workers).sock"])
        configuration.workers = workers
        let factory = PCAgentFactory(models: ["heavy": Self.heavyModel(horizon: 40, iterations: 400)])
        let server = try BridgeServer(configuration: configuration, factory: factory)
        server.start()
        defer { server.stop() }
        let endpoint = server.endpoints[0]
        let counts = StepCounts(robots)
        let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let failures = ExpensiveStats()
        for r in 0..<robots {
            let thread = Thread {
                defer { done.signal() }
                do {
                    let client = try BridgeClient(endpoint: endpoint, options: .init(timeoutMilliseconds: 10_000, retries: 0))
                    try client.hello(Self.pendulumHello(robot: "cpu-\(r)", period: 0.05,
                                                        agent: .object(["agent": .string("predictiveController"), "task": .string("heavy")])))
                    _ = try client.step([1, 0, 0])  // warm-up
                    start.wait()
                    let end = monotonicNanoseconds() + UInt64(seconds * 1e9)
                    var i = 0
                    while monotonicNanoseconds() < end {
                        i += 1
                        _ = try client.step([cos(0.01 * Double(i)), sin(0.01 * Double(i)), 0])
                        counts.add(r)
                    }
                    try client.bye()
                } catch {
                    failures.failure = "\(error)"
                }
            }
            thread.start()
        }
        usleep(500_000)
        for _ in 0..<robots { start.signal() }
        for _ in 0..<robots { done.wait() }
        if let failure = failures.failure { throw ValidationError("throughput robot failed: \(failure)") }
        return Double(counts.total) / seconds
    }

    /// One worker against one per core, alternating over three rounds of `seconds / 3` each so
    /// both see the same machine; the figures are the rounds' mean rates.
    func throughputRows(seconds: Double) throws -> [BenchResult] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let robots = 2 * cores
        var single = 0.0, all = 0.0
        for _ in 0..<3 {
            single += try throughput(workers: 1, robots: robots, seconds: seconds / 3) / 3
            all += try throughput(workers: cores, robots: robots, seconds: seconds / 3) / 3
        }
        return [
            BenchResult(name: "bridge_cpu_bound_throughput_1_worker", value: single, unit: "steps/s",
                        details: ["robots": Double(robots)]),
            BenchResult(name: "bridge_cpu_bound_throughput_\(cores)_workers", value: all, unit: "steps/s",
                        details: ["robots": Double(robots), "ratio_to_1_worker": all / single]),
        ]
    }
}

/// A flag set by one thread and read by another.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// What the expensive robot's thread measured.
final class ExpensiveStats: @unchecked Sendable {
    var latencies: [Double] = []
    var late = 0
    var deadline = Double.nan
    var failure: String?
    let action = UnsafeMutablePointer<Double>.allocate(capacity: 1)

    deinit { action.deallocate() }

    func record(latency: Double, late: Bool, deadline: Double) {
        latencies.append(latency)
        if late { self.late += 1 }
        self.deadline = deadline
    }
}

/// Steps counted per robot thread (each thread writes only its own slot).
final class StepCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]
    init(_ robots: Int) { counts = [Int](repeating: 0, count: robots) }
    func add(_ robot: Int) { lock.withLock { counts[robot] += 1 } }
    var total: Int { lock.withLock { counts.reduce(0, +) } }
}
