import Testing
import PCNumerics
import _PCTestSupport

/// GEMM and GEMV against the naive reference, for Float and Double, both transposes,
/// non-square shapes and sizes 1 … 512.
struct GemmTests {
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 7, 3), (5, 1, 9), (3, 4, 1), (17, 9, 13), (64, 33, 128),
        (2, 512, 3), (129, 65, 31), (256, 128, 64), (512, 8, 512),
    ]

    func check<S: PCScalar>(_: S.Type, m: Int, n: Int, k: Int, transA: Bool, transB: Bool,
                            alpha: Double, beta: Double, rtol: Double) throws {
        var rng = Xoshiro256(seed: UInt64(m * 1_000_003 + n * 1009 + k * 7 + (transA ? 1 : 0) + (transB ? 2 : 0)))
        let (aR, aC) = transA ? (k, m) : (m, k)
        let (bR, bC) = transB ? (n, k) : (k, n)
        let a = try Matrix<S>(rows: aR, columns: aC, initializer: .uniform(low: -1, high: 1), using: &rng)
        let b = try Matrix<S>(rows: bR, columns: bC, initializer: .uniform(low: -1, high: 1), using: &rng)
        var c = try Matrix<S>(rows: m, columns: n, initializer: .uniform(low: -1, high: 1), using: &rng)
        let expected = Naive.gemm(a.elements.map(Double.init), aR, aC, transA: transA,
                                  b.elements.map(Double.init), bR, bC, transB: transB,
                                  alpha: alpha, beta: beta, c: c.elements.map(Double.init))
        try Matrix.multiply(a, transposeA: transA, b, transposeB: transB, alpha: S(alpha), beta: S(beta), into: &c)
        // Rounding grows like √k·ε for random signs; scale the absolute tolerance with √k.
        assertClose(c.elements.map(Double.init), expected, rtol: rtol, atol: rtol * Double(k).squareRoot(),
                    "gemm \(S.self) m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB)")
    }

    @Test(arguments: [false, true], [false, true])
    func gemmDouble(transA: Bool, transB: Bool) throws {
        for (m, n, k) in Self.shapes {
            try check(Double.self, m: m, n: n, k: k, transA: transA, transB: transB, alpha: 0.75, beta: -0.5, rtol: 1e-12)
        }
    }

    @Test(arguments: [false, true], [false, true])
    func gemmFloat(transA: Bool, transB: Bool) throws {
        for (m, n, k) in Self.shapes {
            try check(Float.self, m: m, n: n, k: k, transA: transA, transB: transB, alpha: 1, beta: 0, rtol: 2e-6)
        }
    }

    /// Float with α ≠ 1 and β ∈ {0, 1}: on AVX-512 machines the small products with B as stored go
    /// through the register-blocked kernel (α applied after the sum, β = 1 accumulating onto C), in
    /// tiles of 8 rows × 32 columns, so the shapes straddle those edges.
    @Test(arguments: [false, true], [(-0.5, 0.0), (2.0, 1.0), (1.0, 1.0)])
    func gemmFloatScaled(transA: Bool, scale: (alpha: Double, beta: Double)) throws {
        for (m, n, k) in Self.shapes + [(8, 32, 1), (9, 33, 40), (7, 16, 5), (64, 128, 32), (32, 10, 128), (15, 47, 64)] {
            for transB in [false, true] {
                try check(Float.self, m: m, n: n, k: k, transA: transA, transB: transB,
                          alpha: scale.alpha, beta: scale.beta, rtol: 4e-6)
            }
        }
    }

    /// α = 0 leaves β·C: a NaN in A or B must not reach C (BLAS semantics), in every path.
    @Test func alphaZeroIgnoresTheProduct() throws {
        for transA in [false, true] {
            let a = try Matrix<Float>(rows: 40, columns: 40, repeating: .nan)
            var c = try Matrix<Float>(rows: 40, columns: 40, repeating: 3)
            try Matrix.multiply(a, transposeA: transA, a, alpha: 0, beta: 1, into: &c)
            #expect(c.elements.allSatisfy { $0 == 3 })
        }
    }

    @Test func betaZeroIgnoresNaNInOutput() throws {
        let a = try Matrix<Double>([[1, 2], [3, 4]])
        var c = try Matrix<Double>(rows: 2, columns: 2, repeating: .nan)
        try Matrix.multiply(a, a, into: &c)
        #expect(c.elements == [7, 10, 15, 22])
    }

    @Test func nanPropagatesThroughProduct() throws {
        var a = try Matrix<Double>([[1, 2], [3, 4]])
        a[0, 1] = .nan
        let b = try Matrix<Double>([[1, 0], [0, 1]])
        var c = try Matrix<Double>(rows: 2, columns: 2)
        try Matrix.multiply(a, b, into: &c)
        #expect(c[0, 1].isNaN && c[0, 0].isNaN)   // row 0 touches the NaN
        #expect(c[1, 0] == 3 && c[1, 1] == 4)
    }

    @Test func mismatchedShapesThrowTypedErrors() throws {
        let a = try Matrix<Float>(rows: 3, columns: 4)
        let b = try Matrix<Float>(rows: 5, columns: 2)
        var c = try Matrix<Float>(rows: 3, columns: 2)
        #expect(throws: NumericsError.shapeMismatch(operation: "multiply (inner dimension)", expected: Shape(4, 2), got: Shape(5, 2))) {
            try Matrix.multiply(a, b, into: &c)
        }
        let b2 = try Matrix<Float>(rows: 4, columns: 2)
        var wrong = try Matrix<Float>(rows: 2, columns: 2)
        #expect(throws: NumericsError.shapeMismatch(operation: "multiply (output)", expected: Shape(3, 2), got: Shape(2, 2))) {
            try Matrix.multiply(a, b2, into: &wrong)
        }
        #expect(wrong.elements == [0, 0, 0, 0])    // output untouched
    }

    @Test func zeroSizeIsRejected() {
        #expect(throws: NumericsError.emptyShape(operation: "Matrix.init", shape: Shape(0, 3))) {
            _ = try Matrix<Double>(rows: 0, columns: 3)
        }
        #expect(throws: NumericsError.emptyShape(operation: "Vector.init", shape: Shape(0, 1))) {
            _ = try Vector<Double>([])
        }
        #expect(throws: NumericsError.elementCount(expected: 6, got: 5)) {
            _ = try Matrix<Float>(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5])
        }
    }

    @Test(arguments: [1, 2, 3, 4, 8, 9, 64, 300])
    func gemvMatchesReference(size: Int) throws {
        for transpose in [false, true] {
            var rng = Xoshiro256(seed: UInt64(size))
            let rows = size, cols = max(1, size / 2 + 1)
            let a = try Matrix<Double>(rows: rows, columns: cols, initializer: .normal(standardDeviation: 1), using: &rng)
            let inCount = transpose ? rows : cols, outCount = transpose ? cols : rows
            let x = try Vector<Double>((0..<inCount).map { _ in rng.nextNormal() })
            var y = try Vector<Double>((0..<outCount).map { _ in rng.nextNormal() })
            let expected = Naive.gemm(a.elements, rows, cols, transA: transpose, x.elements, inCount, 1, transB: false,
                                      alpha: 2, beta: 0.5, c: y.elements)
            try Matrix.multiply(a, transpose: transpose, vector: x, alpha: 2, beta: 0.5, into: &y)
            assertClose(y.elements, expected, rtol: 1e-12, atol: 1e-12)
            // Float path too.
            let af = try Matrix<Float>(rows: rows, columns: cols, elements: a.elements.map(Float.init))
            let xf = try Vector<Float>(x.elements.map(Float.init))
            var yf = try Vector<Float>(count: outCount)
            try Matrix.multiply(af, transpose: transpose, vector: xf, into: &yf)
            let expectedF = Naive.gemm(af.elements.map(Double.init), rows, cols, transA: transpose,
                                       xf.elements.map(Double.init), inCount, 1, transB: false, alpha: 1, beta: 0,
                                       c: [Double](repeating: 0, count: outCount))
            assertClose(yf.elements.map(Double.init), expectedF, rtol: 1e-5, atol: 1e-5)
        }
    }

    @Test func rowViewsShareStorageAndMultiply() throws {
        var rng = Xoshiro256(seed: 3)
        let data = try Matrix<Double>(rows: 10, columns: 4, initializer: .normal(standardDeviation: 1), using: &rng)
        let w = try Matrix<Double>(rows: 3, columns: 4, initializer: .normal(standardDeviation: 1), using: &rng)
        let batch = try data.rows(2..<6)
        var out = try Matrix<Double>(rows: 4, columns: 3)
        try Matrix.multiply(batch, w, transposeB: true, into: &out)
        let expected = Naive.gemm(batch.copy().elements, 4, 4, transA: false, w.elements, 3, 4, transB: true,
                                  alpha: 1, beta: 0, c: out.elements)
        assertClose(out.elements, expected, rtol: 1e-13, atol: 1e-13)
        #expect(throws: NumericsError.self) { _ = try data.rows(8..<12) }
    }

    @Test func outerProductAccumulation() throws {
        var rng = Xoshiro256(seed: 9)
        let e = try Matrix<Double>(rows: 6, columns: 3, initializer: .normal(standardDeviation: 1), using: &rng)
        let r = try Matrix<Double>(rows: 6, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        var w = try Matrix<Double>(rows: 3, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        var expected = w.elements
        for b in 0..<6 { for i in 0..<3 { for j in 0..<5 { expected[i * 5 + j] += -0.25 * e[b, i] * r[b, j] } } }
        try Matrix.accumulateOuterProducts(e, r, alpha: -0.25, into: &w)
        assertClose(w.elements, expected, rtol: 1e-13, atol: 1e-13)
    }
}
