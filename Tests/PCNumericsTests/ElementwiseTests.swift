import Testing
import PCNumerics
import _PCTestSupport

struct ActivationTests {
    static let all: [Activation] = [.identity, .tanh, .sigmoid, .relu, .leakyReLU(slope: 0.1), .gelu, .softplus]
    static let points: [Double] = [-40, -7.5, -2, -1, -0.3, -1e-3, 0.2, 0.9, 1.7, 3, 8, 40]

    @Test(arguments: all)
    func valuesMatchReferenceInDoubleAndFloat(activation: Activation) throws {
        let x = try Matrix<Double>(rows: 3, columns: 4, elements: Self.points)
        var y = try Matrix<Double>(rows: 3, columns: 4)
        try x.apply(activation, into: &y)
        assertClose(y.elements, Self.points.map { Naive.activation(activation, $0) }, rtol: 1e-14, atol: 1e-300)
        let xf = try Matrix<Float>(rows: 3, columns: 4, elements: Self.points.map(Float.init))
        var yf = try Matrix<Float>(rows: 3, columns: 4)
        try xf.apply(activation, into: &yf)
        assertClose(yf.elements.map(Double.init), Self.points.map { Naive.activation(activation, Double(Float($0))) },
                    rtol: 4e-6, atol: 1e-30)
    }

    @Test(arguments: all)
    func derivativesMatchFiniteDifferences(activation: Activation) throws {
        // Skip the kink of (leaky) ReLU at 0: the points avoid it.
        let x = try Matrix<Double>(rows: 1, columns: Self.points.count, elements: Self.points)
        var d = try Matrix<Double>(rows: 1, columns: Self.points.count)
        try x.applyDerivative(activation, into: &d)
        let fd = Self.points.map { p in finiteDifferenceGradient(at: [p]) { Naive.activation(activation, $0[0]) }[0] }
        assertClose(d.elements, fd, rtol: 1e-7, atol: 1e-9, "\(activation)")
    }

    @Test(arguments: all)
    func nanPropagates(activation: Activation) throws {
        let x = try Matrix<Float>(rows: 1, columns: 2, elements: [.nan, 1])
        var y = try Matrix<Float>(rows: 1, columns: 2)
        try x.apply(activation, into: &y)
        #expect(y[0, 0].isNaN)
        try x.applyDerivative(activation, into: &y)
        #expect(y[0, 0].isNaN)
    }

    @Test func softmaxRowsIsStableAndNormalised() throws {
        let x = try Matrix<Double>([[1000, 1001, 1002], [-5, 0, 5], [.nan, 0, 1]])
        var y = try Matrix<Double>(rows: 3, columns: 3)
        try x.softmaxRows(into: &y)
        let e = [exp(-2.0), exp(-1.0), 1.0]
        let s = e.reduce(0, +)
        assertClose(Array(y.elements[0..<3]), e.map { $0 / s }, rtol: 1e-14, atol: 0)
        assertClose(y.row(1).reduce(0, +), 1.0, rtol: 1e-15, atol: 0)
        #expect(y.row(2).allSatisfy { $0.isNaN })
    }

    @Test func fusedLinearEqualsSeparateSteps() throws {
        var rng = Xoshiro256(seed: 11)
        let x = try Matrix<Double>(rows: 7, columns: 5, initializer: .normal(standardDeviation: 1), using: &rng)
        let w = try Matrix<Double>(rows: 4, columns: 5, initializer: .xavierNormal, using: &rng)
        let b = try Vector<Double>((0..<4).map { _ in rng.nextNormal() })
        var out = try Matrix<Double>(rows: 7, columns: 4)
        var pre = try Matrix<Double>(rows: 7, columns: 4)
        try Matrix.linear(x, w, transposeB: true, bias: b, activation: .tanh, preactivation: &pre, into: &out)
        var expectedPre = Naive.gemm(x.elements, 7, 5, transA: false, w.elements, 4, 5, transB: true, alpha: 1, beta: 0,
                                     c: [Double](repeating: 0, count: 28))
        for i in 0..<7 { for j in 0..<4 { expectedPre[i * 4 + j] += b[j] } }
        assertClose(pre.elements, expectedPre, rtol: 1e-13, atol: 1e-13)
        assertClose(out.elements, expectedPre.map { tanh($0) }, rtol: 1e-13, atol: 1e-13)
        var badBias = try Vector<Double>(count: 3)
        badBias[0] = 1
        #expect(throws: NumericsError.self) {
            try Matrix.linear(x, w, transposeB: true, bias: badBias, activation: .relu, into: &out)
        }
    }
}

struct ElementwiseTests {
    @Test func elementwiseOperationsAndSums() throws {
        let a = try Matrix<Float>([[1, 2, 3], [4, 5, 6]])
        let b = try Matrix<Float>([[0.5, -1, 2], [3, 0, -2]])
        var out = try Matrix<Float>(rows: 2, columns: 3)
        try Matrix.elementwise(.multiply, a, b, into: &out)
        #expect(out.elements == [0.5, -2, 6, 12, 0, -12])
        try Matrix.elementwise(.subtract, a, b, into: &out)
        #expect(out.elements == [0.5, 3, 1, 1, 5, 8])
        try Matrix.elementwise(.add, a, b, into: &out)
        #expect(out.elements == [1.5, 1, 5, 7, 5, 4])
        var rowSums = try Vector<Float>(count: 2)
        try a.sumRows(into: &rowSums)
        #expect(rowSums.elements == [6, 15])
        var colMeans = try Vector<Float>(count: 3)
        try a.sumColumns(alpha: 0.5, into: &colMeans)
        #expect(colMeans.elements == [2.5, 3.5, 4.5])
        var c = a
        try c.add(b, scaledBy: 2)
        #expect(c.elements == [2, 0, 7, 10, 5, 2])
        c.scale(by: 0.5)
        #expect(c.elements == [1, 0, 3.5, 5, 2.5, 1])
        #expect(a.elements == [1, 2, 3, 4, 5, 6])  // copy-on-write kept `a`
        let wrong = try Matrix<Float>(rows: 3, columns: 2)
        #expect(throws: NumericsError.self) { try Matrix.elementwise(.add, a, wrong, into: &out) }
        #expect(throws: NumericsError.self) { try a.sumRows(into: &colMeans) }
    }

    @Test func choleskySolvesSPDSystemsAndRejectsOthers() throws {
        var rng = Xoshiro256(seed: 5)
        for n in [1, 2, 4, 8, 16] {
            let g = try Matrix<Double>(rows: n, columns: n, initializer: .normal(standardDeviation: 1), using: &rng)
            var a = try g.multiplied(by: g, transposeOther: true)
            for i in 0..<n { a[i, i] += Double(n) }
            let x = try Matrix<Double>(rows: n, columns: 2, initializer: .normal(standardDeviation: 1), using: &rng)
            var b = try a.multiplied(by: x)
            let chol = try Cholesky(a)
            try chol.solve(&b)
            assertClose(b.elements, x.elements, rtol: 1e-10, atol: 1e-10)
            let l = chol.factor
            let llt = try l.multiplied(by: l, transposeOther: true)
            assertClose(llt.elements, a.elements, rtol: 1e-12, atol: 1e-12)
        }
        let indefinite = try Matrix<Double>([[1, 2], [2, 1]])
        #expect(throws: NumericsError.notPositiveDefinite(dimension: 2)) { _ = try Cholesky(indefinite) }
        let withNaN = try Matrix<Double>([[.nan, 0], [0, 1]])
        #expect(throws: NumericsError.notPositiveDefinite(dimension: 2)) { _ = try Cholesky(withNaN) }
        let log2 = try Cholesky(Matrix<Double>([[4, 0], [0, 9]])).logDeterminant
        assertClose(log2, log(36.0), rtol: 1e-14, atol: 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
