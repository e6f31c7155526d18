import Foundation
import PCNumerics
import Testing
import _PCKernels
import _PCTestSupport

/// The kernels' instruction-set paths: every path this CPU can run computes what the baseline
/// path computes, at every entry point of pc_kernels.h, and the automatic choice is the best path
/// that /proc/cpuinfo says the CPU has.
///
/// The paths are switched for the test's own thread only (`selectForCurrentThread`): other suites
/// running at the same time keep the process-wide path (several compare results bit for bit).
@Suite(.serialized)
struct KernelPathTests {
    /// Double: every output within 1e-12 of the baseline's, relative to the largest value of its array.
    @Test func doublePathsAgreeWithBaseline() throws {
        let paths = KernelPath.available.filter { $0 != .baseline }
        guard KernelPath.available.contains(.baseline) else {
            // A native build has one path: nothing to compare against.
            #expect(KernelPath.available == [.native])
            return
        }
        try KernelPath.selectForCurrentThread(.baseline)
        let reference = try KernelOutputs<Double>.compute()
        for path in paths {
            try KernelPath.selectForCurrentThread(path)
            #expect(KernelPath.current == path)
            let outputs = try KernelOutputs<Double>.compute()
            compare(outputs, reference, tolerance: 1e-12, path: path)
            // The paths are different code: with fused multiply–adds (AVX2, AVX-512) some product
            // rounds differently from the baseline's, so a comparison of a path with itself
            // (a dispatcher that ignored the selection) would show up here.
            let largest = reference.values.map { name, expected in
                let scale = expected.reduce(0.0) { Swift.max($0, abs($1)) }
                return zip(outputs.values[name] ?? [], expected).reduce(0.0) { Swift.max($0, abs($1.0 - $1.1) / Swift.max(scale, 1e-300)) }
            }.max() ?? 0
            print("kernel path \(path.rawValue): largest difference from baseline \(largest) (relative to each output's largest value)")
            #expect(largest > 0, "\(path.rawValue) computed exactly what baseline did: did the selection take effect?")
        }
        try KernelPath.selectForCurrentThread(nil)
    }

    /// Float, which the AVX-512 path computes with its own register-blocked product: within 1e-5
    /// of the baseline (Float rounding, with fused multiply–adds on one side only).
    @Test func floatPathsAgreeWithBaseline() throws {
        guard KernelPath.available.contains(.baseline) else { return }
        try KernelPath.selectForCurrentThread(.baseline)
        let reference = try KernelOutputs<Float>.compute()
        for path in KernelPath.available where path != .baseline {
            try KernelPath.selectForCurrentThread(path)
            compare(try KernelOutputs<Float>.compute(), reference, tolerance: 1e-5, path: path)
        }
        try KernelPath.selectForCurrentThread(nil)
    }

    func compare<T: BinaryFloatingPoint>(_ outputs: KernelOutputs<T>, _ reference: KernelOutputs<T>, tolerance: T,
                                         path: KernelPath) {
        #expect(outputs.values.keys.sorted() == reference.values.keys.sorted())
        #expect(outputs.values.count > 40, "every entry point contributes outputs")
        for (name, expected) in reference.values {
            guard let actual = outputs.values[name] else { continue }
            let scale = expected.reduce(T(0)) { Swift.max($0, abs($1)) }
            assertClose(actual, expected, rtol: tolerance, atol: tolerance * Swift.max(scale, T(1e-300)),
                        "\(name) on \(path.rawValue)")
        }
        #expect(outputs.indices == reference.indices, "argmax and status codes on \(path.rawValue)")
    }

    /// The automatic choice against the kernel's (Linux's) own view of the CPU in /proc/cpuinfo.
    @Test func automaticChoiceMatchesCPUInfo() throws {
        let available = KernelPath.available
        if available == [.native] {  // a native build: one path, no choice
            #expect(KernelPath.current == .native)
            return
        }
        let flags = Self.cpuFlags()
        let v3: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "sse4_2", "popcnt", "ssse3"]
        let v4: Set<String> = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
        #if arch(x86_64)
        let expected: KernelPath = v3.union(v4).isSubset(of: flags) ? .avx512 : v3.isSubset(of: flags) ? .avx2 : .baseline
        #else
        let expected: KernelPath = .baseline
        #endif
        try KernelPath.selectForCurrentThread(nil)
        // The process-wide path: the automatic choice, unless PCKIT_KERNELS names an available path.
        let forced = ProcessInfo.processInfo.environment["PCKIT_KERNELS"].flatMap(KernelPath.init(rawValue:))
        let chosen = forced.flatMap { available.contains($0) ? $0 : nil } ?? expected
        #expect(KernelPath.current == chosen, "CPU flags \(flags.intersection(v3.union(v4)).sorted())")
        #expect(Set(available) == Set(KernelPath.allCases.filter {
            $0 == .baseline || ($0 == .avx2 && expected != .baseline) || ($0 == .avx512 && expected == .avx512)
        }))
        if ProcessInfo.processInfo.environment["PCKIT_KERNELS"] == nil {
            // This test machine: report the path, so that a log shows what ran.
            print("kernel paths: \(available.map(\.rawValue)), automatic choice \(expected.rawValue)")
        }
        // An unavailable path is refused and changes nothing.
        if expected != .avx512 {
            #expect(throws: NumericsError.self) { try KernelPath.selectForCurrentThread(.avx512) }
            #expect(KernelPath.current == chosen)
        }
        #expect(throws: NumericsError.self) { try KernelPath.selectForCurrentThread(.native) }
    }

    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let list = line.split(separator: ":", maxSplits: 1).last else { return [] }
        return Set(list.split(separator: " ").map(String.init))
    }
}
