import Testing
import PCNumerics
import _PCAllocationCounter

/// The in-place API allocates nothing once its outputs exist (counted per thread by the
/// malloc interposer linked into the test binary).
struct AllocationTests {
    @Test func inPlaceOperationsDoNotAllocate() throws {
        var rng = Xoshiro256(seed: 1)
        let a = try Matrix<Float>(rows: 64, columns: 128, initializer: .heNormal, using: &rng)
        let w = try Matrix<Float>(rows: 32, columns: 128, initializer: .heNormal, using: &rng)
        let bias = try Vector<Float>(count: 32, repeating: 0.1)
        var out = try Matrix<Float>(rows: 64, columns: 32)
        var pre = try Matrix<Float>(rows: 64, columns: 32)
        var d = try Matrix<Float>(rows: 64, columns: 32)
        var product = try Matrix<Float>(rows: 64, columns: 32)
        var grad = try Matrix<Float>(rows: 32, columns: 128)
        var colSums = try Vector<Float>(count: 32)
        let small = try Matrix<Double>(rows: 4, columns: 4, initializer: .normal(standardDeviation: 1), using: &rng)
        let x4 = try Vector<Double>([1, 2, 3, 4])
        var y4 = try Vector<Double>(count: 4)
        let batch = try a.rows(0..<32)
        var batchOut = try Matrix<Float>(rows: 32, columns: 32)

        func work() throws {
            try Matrix.multiply(a, w, transposeB: true, into: &out)
            try Matrix.linear(a, w, transposeB: true, bias: bias, activation: .relu, preactivation: &pre, into: &out)
            try pre.applyDerivative(.relu, into: &d)
            try Matrix.elementwise(.multiply, out, d, into: &product)
            try Matrix.accumulateOuterProducts(product, a, alpha: -1.0 / 64, into: &grad)
            try d.sumColumns(alpha: 1.0 / 64, into: &colSums)
            try out.applyInPlace(.tanh)
            try Matrix.multiply(small, vector: x4, into: &y4)
            try Matrix.multiply(batch, w, transposeB: true, into: &batchOut)
            try grad.add(w, scaledBy: 0.01)
        }
        for _ in 0..<3 { try work() }
        #expect(pck_allocation_counter_active() == 1, "the allocation counter must be linked into the test binary")
        let before = pck_thread_allocation_count()
        for _ in 0..<20 { try work() }
        #expect(pck_thread_allocation_count() - before == 0)
    }
}
