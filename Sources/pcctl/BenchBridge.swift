import ArgumentParser
import CZeroMQ
import Foundation
import PCBridge
import PCWire
import _PCAllocationCounter

/// `pcctl bench bridge`: bridge round trips against a raw libzmq REQ/REP echo of the same size,
/// measured in the same run (interleaved), plus a 1 kHz control loop over ipc.
struct BenchBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Round-trip median/p99 of the bridge vs a raw libzmq REQ/REP echo (64 B, 1 KiB; tcp, ipc); a 1 kHz loop; a 100 Hz robot beside a maximum-compute one; CPU-bound throughput, 1 worker vs all cores.")

    @OptionGroup var options: BenchOptions
    @Option(name: .long, help: "Round trips per repeat and case.")
    var roundTrips: Int = 5_000
    @Option(name: .long, help: "Seconds of the 1 kHz control loop.")
    var loopSeconds: Double = 5
    @Option(name: .long, help: "Ticks of the 100 Hz robot, alone and beside a maximum-compute robot (0: skip).")
    var isolationTicks: Int = 300
    @Option(name: .long, help: "Seconds of CPU-bound throughput per configuration (1 worker, one per core), alternated in 3 rounds (0: skip).")
    var throughputSeconds: Double = 6

    func run() throws {
        var report = BenchReport(suite: "bridge")
        let transports = [("tcp", "tcp://127.0.0.1:*"), ("ipc", "ipc:///tmp/pckit-bench-\(getpid())-%@.sock")]
        for (size, observationCount) in [(64, 4), (1024, 244)] {
            // A step frame of exactly `size` bytes: 48-byte header + float32 values.
            precondition(WireLimits.headerBytes + 4 * observationCount == size)
            for (name, pattern) in transports {
                let endpoint = { (tag: String) in pattern.replacingOccurrences(of: "%@", with: tag) }
                var raw: [Double] = [], bridge: [Double] = []
                // Interleave repeats so both see the same machine conditions.
                for r in 0..<options.repeats {
                    raw += try rawEchoRoundTrips(endpoint: endpoint("raw\(size)-\(r)"), size: size, count: roundTrips)
                    bridge += try bridgeRoundTrips(endpoint: endpoint("bridge\(size)-\(r)"), observationCount: observationCount,
                                                   count: roundTrips)
                }
                raw.sort()
                bridge.sort()
                report.results.append(result("raw_echo_\(name)_\(size)B", raw, extra: ["reply_bytes": Double(size)]))
                report.results.append(result("bridge_\(name)_\(size)B", bridge,
                                             extra: ["reply_bytes": Double(WireLimits.headerBytes + 4),
                                                     "ratio_median_to_raw": median(bridge) / median(raw),
                                                     "ratio_p99_to_raw": quantile(bridge, 0.99) / quantile(raw, 0.99)]))
            }
        }
        report.results += try controlLoop(seconds: loopSeconds)
        if isolationTicks > 0 { report.results += try isolation(ticks: isolationTicks) }
        if throughputSeconds > 0 { report.results += try throughputRows(seconds: throughputSeconds) }
        report.emit(json: options.json)
    }

    func result(_ name: String, _ sorted: [Double], extra: [String: Double]) -> BenchResult {
        var details = extra
        details["p99_us"] = quantile(sorted, 0.99)
        details["max_us"] = sorted.last ?? .nan
        details["n"] = Double(sorted.count)
        return BenchResult(name: name, value: median(sorted), unit: "µs median round trip", details: details)
    }

    /// The floor: libzmq REQ (this thread) ↔ REP echo (its own thread), `size` bytes each way.
    /// Each side has its own context (and I/O thread), as two processes would, and as the bridge's
    /// client and server do. With `period` (ns) > 0 the requests are paced like a control loop.
    func rawEchoRoundTrips(endpoint: String, size: Int, count: Int, period: UInt64 = 0) throws -> [Double] {
        let serverContext = try ZMQContext()
        let context = try ZMQContext()
        let rep = try ZMQSocket(context: serverContext, type: .reply)
        try rep.bind(endpoint)
        let bound = try rep.lastEndpoint()
        let warmUp = count / 10
        let echo = Thread {
            var buffer = [UInt8](repeating: 0, count: size)
            buffer.withUnsafeMutableBytes { b in
                for _ in 0..<(warmUp + count) {
                    guard let r = try? rep.receive(into: b) else { return }
                    _ = try? rep.send(UnsafeRawBufferPointer(rebasing: b[0..<min(r.length, b.count)]))
                }
            }
        }
        echo.start()
        let req = try ZMQSocket(context: context, type: .request)
        try req.connect(bound)
        var message = [UInt8](repeating: 7, count: size), reply = [UInt8](repeating: 0, count: size)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        var pacer = Pacer(period: period)
        try message.withUnsafeMutableBytes { m in
            try reply.withUnsafeMutableBytes { r in
                for i in 0..<(warmUp + count) {
                    pacer.wait()
                    let start = monotonicNanoseconds()
                    try req.send(UnsafeRawBufferPointer(m))
                    _ = try req.receive(into: r)
                    if i >= warmUp { samples.append(Double(monotonicNanoseconds() - start) / 1000) }
                }
            }
        }
        while !echo.isFinished { usleep(100) }
        return samples
    }

    /// The bridge: BridgeClient (DEALER) ↔ BridgeServer with a linear agent, one step per round trip.
    func bridgeRoundTrips(endpoint: String, observationCount: Int, count: Int) throws -> [Double] {
        let server = try BridgeServer(configuration: BridgeServerConfiguration(bind: [endpoint]), factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        let gain: JSONValue = .array([.array((0..<observationCount).map { _ in .number(0.01) })])
        try client.hello(Hello(robot: "bench", observationSpace: WireSpace(low: Array(repeating: -10, count: observationCount),
                                                                            high: Array(repeating: 10, count: observationCount)),
                               actionSpace: WireSpace(low: [-1], high: [1]), controlPeriod: 0.001,
                               agent: .object(["type": .string("linear"), "gain": gain])))
        var observation = (0..<observationCount).map { Double($0 % 5) * 0.1 }
        var action = [0.0]
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let warmUp = count / 10
        try observation.withUnsafeMutableBufferPointer { o in
            try action.withUnsafeMutableBufferPointer { a in
                for i in 0..<(warmUp + count) {
                    o[0] = Double(i % 100) * 0.01
                    let start = monotonicNanoseconds()
                    try client.step(observation: UnsafeBufferPointer(o), action: a)
                    if i >= warmUp { samples.append(Double(monotonicNanoseconds() - start) / 1000) }
                }
            }
        }
        try client.bye()
        return samples
    }

    /// A 1 kHz control loop over ipc: one 64 B step per millisecond tick, for the bridge and,
    /// in the same run, for the raw echo paced the same way (idle waits cost wake-ups on a VM).
    func controlLoop(seconds: Double) throws -> [BenchResult] {
        let ticks = Int(seconds * 1000)
        let raw = try rawEchoRoundTrips(endpoint: "ipc:///tmp/pckit-bench-\(getpid())-rawloop.sock", size: 64,
                                        count: ticks, period: 1_000_000).sorted()
        let server = try BridgeServer(configuration: BridgeServerConfiguration(bind: ["ipc:///tmp/pckit-bench-\(getpid())-loop.sock"]),
                                      factory: ReferenceAgentFactory())
        server.start()
        defer { server.stop() }
        let client = try BridgeClient(endpoint: server.endpoints[0])
        try client.hello(Hello(robot: "loop", observationSpace: WireSpace(low: [-1, -1, -8, -8], high: [1, 1, 8, 8]),
                               actionSpace: WireSpace(low: [-2], high: [2]), controlPeriod: 0.001,
                               agent: .object(["type": .string("linear"), "gain": .array([.array([.number(1), .number(0), .number(0.5), .number(0)])])])))
        var samples: [Double] = []
        samples.reserveCapacity(ticks)
        var observation = [0.0, 0.0, 0.0, 0.0], action = [0.0]
        var pacer = Pacer(period: 1_000_000)
        var allocations: UInt64 = 0
        try observation.withUnsafeMutableBufferPointer { o in
            try action.withUnsafeMutableBufferPointer { a in
                for i in 0..<(ticks + ticks / 10) {
                    o[0] = sin(Double(i) * 0.01)
                    pacer.wait()
                    let before = pck_thread_allocation_count()
                    let start = monotonicNanoseconds()
                    try client.step(observation: UnsafeBufferPointer(o), action: a)
                    let end = monotonicNanoseconds()
                    if i >= ticks / 10 {
                        allocations += pck_thread_allocation_count() - before
                        samples.append(Double(end - start) / 1000)
                    }
                }
            }
        }
        samples.sort()
        var details: [String: Double] = ["p99_us": quantile(samples, 0.99), "max_us": samples.last ?? .nan,
                                         "ticks": Double(ticks), "overruns": Double(pacer.overruns),
                                         "ratio_median_to_raw": median(samples) / median(raw),
                                         "ratio_p99_to_raw": quantile(samples, 0.99) / quantile(raw, 0.99),
                                         "fraction_over_1ms": Double(samples.filter { $0 > 1000 }.count) / Double(samples.count)]
        if pck_allocation_counter_active() != 0 {
            // libzmq copies each sent message (> 33 B) into a malloc'd block; the Swift side allocates nothing.
            details["client_thread_allocations_per_step"] = Double(allocations) / Double(ticks)
        }
        return [
            result("raw_echo_loop_1kHz_ipc_64B", raw, extra: ["fraction_over_1ms": Double(raw.filter { $0 > 1000 }.count) / Double(raw.count)]),
            BenchResult(name: "bridge_loop_1kHz_ipc_64B", value: median(samples), unit: "µs median round trip", details: details),
        ]
    }
}

/// Sleeps until the next tick of a fixed period (absolute deadlines; a late tick starts at once
/// and is counted, never made up by a burst).
struct Pacer {
    let period: UInt64
    var next: UInt64 = 0
    var overruns = 0

    init(period: UInt64) { self.period = period }

    mutating func wait() {
        guard period > 0 else { return }
        let now = monotonicNanoseconds()
        if next == 0 { next = now }
        if now > next + period / 2 { overruns += 1; next = now; return }
        var ts = timespec(tv_sec: Int(next / 1_000_000_000), tv_nsec: Int(next % 1_000_000_000))
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil)
        next += period
    }
}
