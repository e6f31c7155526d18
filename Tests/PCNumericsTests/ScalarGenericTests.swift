import Testing
import PCNumerics
import _PCTestSupport

/// The kernels that other suites check in one precision, checked in both Float and Double
/// against naive Double references, on non-square shapes.
struct ScalarGenericTests {
    /// Relative tolerance per scalar type: a few ulps of accumulated rounding.
    static func tolerance<S: PCScalar>(_: S.Type) -> Double { S.self == Float.self ? 2e-5 : 1e-12 }

    func random<S: PCScalar>(_ rows: Int, _ columns: Int, _ rng: inout Xoshiro256) throws -> Matrix<S> {
        try Matrix<S>(rows: rows, columns: columns, initializer: .uniform(low: -1, high: 1), using: &rng)
    }

    func checkElementwiseAndReductions<S: PCScalar>(_: S.Type) throws {
        var rng = Xoshiro256(seed: 21)
        let tol = Self.tolerance(S.self)
        let a: Matrix<S> = try random(7, 5, &rng), b: Matrix<S> = try random(7, 5, &rng)
        let ad = a.elements.map(Double.init), bd = b.elements.map(Double.init)
        var out = try Matrix<S>(rows: 7, columns: 5)
        for (op, f) in [(ElementwiseOperation.multiply, { (x: Double, y: Double) in x * y }), (.subtract, { $0 - $1 }), (.add, { $0 + $1 })] {
            try Matrix.elementwise(op, a, b, into: &out)
            assertClose(out.elements.map(Double.init), zip(ad, bd).map(f), rtol: tol, atol: tol, "\(S.self) \(op)")
        }
        var rows = try Vector<S>(count: 7), columns = try Vector<S>(count: 5)
        try a.sumRows(alpha: 2, into: &rows)
        try a.sumColumns(alpha: 0.5, into: &columns)
        var rowSums = [Double](repeating: 0, count: 7), columnSums = [Double](repeating: 0, count: 5)
        for i in 0..<7 {
            for j in 0..<5 {
                rowSums[i] += 2 * ad[i * 5 + j]
                columnSums[j] += 0.5 * ad[i * 5 + j]
            }
        }
        assertClose(rows.elements.map(Double.init), rowSums, rtol: tol, atol: tol)
        assertClose(columns.elements.map(Double.init), columnSums, rtol: tol, atol: tol)
        var c = a
        try c.add(b, scaledBy: -3)
        c.scale(by: 0.25)
        assertClose(c.elements.map(Double.init), zip(ad, bd).map { 0.25 * ($0 - 3 * $1) }, rtol: tol, atol: tol)
    }

    func checkSoftmaxLinearOuter<S: PCScalar>(_: S.Type) throws {
        var rng = Xoshiro256(seed: 22)
        let tol = Self.tolerance(S.self)
        // Softmax rows.
        let x: Matrix<S> = try random(4, 6, &rng)
        var y = try Matrix<S>(rows: 4, columns: 6)
        try x.softmaxRows(into: &y)
        for i in 0..<4 {
            let row = x.row(i).map(Double.init)
            let m = row.max()!
            let e = row.map { exp($0 - m) }, s = e.reduce(0, +)
            assertClose(y.row(i).map(Double.init), e.map { $0 / s }, rtol: tol, atol: tol)
        }
        // Fused linear with bias and GELU, against the naive product.
        let input: Matrix<S> = try random(9, 5, &rng), weight: Matrix<S> = try random(3, 5, &rng)
        let bias = try Vector<S>([0.1, -0.2, 0.3])
        var out = try Matrix<S>(rows: 9, columns: 3)
        try Matrix.linear(input, weight, transposeB: true, bias: bias, activation: .gelu, into: &out)
        var expected = Naive.gemm(input.elements.map(Double.init), 9, 5, transA: false, weight.elements.map(Double.init), 3, 5,
                                  transB: true, alpha: 1, beta: 0, c: [Double](repeating: 0, count: 27))
        for i in 0..<9 { for j in 0..<3 { expected[i * 3 + j] = Naive.activation(.gelu, expected[i * 3 + j] + Double(bias[j])) } }
        assertClose(out.elements.map(Double.init), expected, rtol: tol, atol: tol)
        // Outer-product accumulation W += α AᵀB.
        let e: Matrix<S> = try random(6, 3, &rng), r: Matrix<S> = try random(6, 4, &rng)
        var w: Matrix<S> = try random(3, 4, &rng)
        var expectedW = w.elements.map(Double.init)
        for k in 0..<6 { for i in 0..<3 { for j in 0..<4 { expectedW[i * 4 + j] += 0.5 * Double(e[k, i]) * Double(r[k, j]) } } }
        try Matrix.accumulateOuterProducts(e, r, alpha: 0.5, into: &w)
        assertClose(w.elements.map(Double.init), expectedW, rtol: tol, atol: tol)
    }

    func checkCholesky<S: PCScalar>(_: S.Type) throws {
        var rng = Xoshiro256(seed: 23)
        let g: Matrix<S> = try random(5, 5, &rng)
        var a = try g.multiplied(by: g, transposeOther: true)
        for i in 0..<5 { a[i, i] += 5 }
        let x: Matrix<S> = try random(5, 2, &rng)
        var b = try a.multiplied(by: x)
        try Cholesky(a).solve(&b)
        let tol = S.self == Float.self ? 1e-4 : 1e-10
        assertClose(b.elements.map(Double.init), x.elements.map(Double.init), rtol: tol, atol: tol)
    }

    func checkConvolution<S: PCScalar>(_: S.Type) throws {
        // A 1-channel 3×3 "sum" kernel on a ramp image: each interior output is 9 × the centre pixel.
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 5, inputWidth: 4, outputChannels: 1,
                                     kernelHeight: 3, kernelWidth: 3)
        let image = try Matrix<S>(rows: 1, columns: 20, elements: (0..<20).map { S($0) })
        let ones = try Matrix<S>(rows: 1, columns: 9, repeating: 1)
        var out = try Matrix<S>(rows: 1, columns: conv.outputFeatures)
        var workspace = try conv.makeWorkspace(batch: 1, of: S.self)
        try conv.forward(image, weights: ones, bias: nil, into: &out, workspace: &workspace)
        var expected: [Double] = []
        for i in 0..<3 {
            for j in 0..<2 { expected.append(9 * Double((i + 1) * 4 + (j + 1))) }
        }
        assertClose(out.elements.map(Double.init), expected, rtol: Self.tolerance(S.self), atol: 0)
    }

    @Test func elementwiseAndReductionsInBothPrecisions() throws {
        try checkElementwiseAndReductions(Float.self)
        try checkElementwiseAndReductions(Double.self)
    }

    @Test func softmaxLinearAndOuterProductsInBothPrecisions() throws {
        try checkSoftmaxLinearOuter(Float.self)
        try checkSoftmaxLinearOuter(Double.self)
    }

    @Test func choleskyInBothPrecisions() throws {
        try checkCholesky(Float.self)
        try checkCholesky(Double.self)
    }

    @Test func convolutionInBothPrecisions() throws {
        try checkConvolution(Float.self)
        try checkConvolution(Double.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif
