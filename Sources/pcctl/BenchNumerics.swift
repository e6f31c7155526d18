import ArgumentParser
import PCNumerics

/// `pcctl bench numerics`: GEMM throughput, small matrix–vector latency, allocations per call.
struct BenchNumerics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numerics",
        abstract: "GEMM GFLOP/s (squares and PC shapes), ns per small matvec, allocations per in-place call."
    )

    @OptionGroup var options: BenchOptions

    func run() throws {
        var report = BenchReport(suite: "numerics")
        var rng = Xoshiro256(seed: 1)

        // GEMM: C = A·B, single thread, Float and Double.
        let shapes: [(String, Int, Int, Int)] = [
            ("64", 64, 64, 64), ("128", 128, 128, 128), ("256", 256, 256, 256), ("512", 512, 512, 512),
            ("64x784x128", 64, 128, 784), ("64x128x128", 64, 128, 128),
        ]
        for (label, m, n, k) in shapes {
            report.results.append(try gemm(Float.self, label: label, m: m, n: n, k: k, rng: &rng))
        }
        for (label, m, n, k) in shapes where m == n {
            report.results.append(try gemm(Double.self, label: label, m: m, n: n, k: k, rng: &rng))
        }

        // Small matrix–vector products, the controllers' sizes.
        for size in [2, 4, 8] {
            let a = try Matrix<Double>(rows: size, columns: size, initializer: .normal(standardDeviation: 1), using: &rng)
            let x = try Vector<Double>((0..<size).map { _ in rng.nextNormal() })
            var y = try Vector<Double>(count: size)
            let iterations = calibrateIterations { try! Matrix.multiply(a, vector: x, into: &y) }
            let samples = measureNanosecondsPerCall(iterations: iterations, repeats: options.repeats) {
                try! Matrix.multiply(a, vector: x, into: &y)
            }
            report.results.append(BenchResult(name: "matvec_f64_\(size)x\(size)", value: median(samples), unit: "ns/call",
                                              details: ["min": samples[0]]))
        }

        // Allocations per call of the in-place API after warm-up.
        let a = try Matrix<Float>(rows: 64, columns: 784, initializer: .heNormal, using: &rng)
        let w = try Matrix<Float>(rows: 128, columns: 784, initializer: .heNormal, using: &rng)
        let bias = try Vector<Float>(count: 128)
        var out = try Matrix<Float>(rows: 64, columns: 128)
        var grad = try Matrix<Float>(rows: 128, columns: 784)
        if let allocations = allocationsPerCall({
            try! Matrix.linear(a, w, transposeB: true, bias: bias, activation: .relu, into: &out)
            try! Matrix.accumulateOuterProducts(out, a, alpha: 1.0 / 64, into: &grad)
            try! out.applyInPlace(.tanh)
        }) {
            report.results.append(BenchResult(name: "in_place_api_allocations", value: allocations, unit: "allocations/call"))
        }
        report.emit(json: options.json)
    }

    private func gemm<S: PCScalar>(_: S.Type, label: String, m: Int, n: Int, k: Int,
                                   rng: inout Xoshiro256) throws -> BenchResult {
        let a = try Matrix<S>(rows: m, columns: k, initializer: .uniform(low: -1, high: 1), using: &rng)
        let b = try Matrix<S>(rows: k, columns: n, initializer: .uniform(low: -1, high: 1), using: &rng)
        var c = try Matrix<S>(rows: m, columns: n)
        let iterations = calibrateIterations(targetSeconds: 0.1) { try! Matrix.multiply(a, b, into: &c) }
        let samples = measureNanosecondsPerCall(iterations: iterations, repeats: options.repeats) {
            try! Matrix.multiply(a, b, into: &c)
        }
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let type = S.self == Float.self ? "f32" : "f64"
        return BenchResult(name: "gemm_\(type)_\(label)", value: flops / median(samples), unit: "GFLOP/s",
                           details: ["best": flops / samples[0], "us_per_call": median(samples) / 1000])
    }
}
