import Testing
import PCNumerics
import _PCTestSupport
import _PCAllocationCounter

/// Convolution and pooling against direct (naive) formulas and finite differences, in Double.
struct ConvolutionTests {
    static let geometries: [(c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, s: Int, p: Int)] = [
        (1, 8, 8, 4, 3, 3, 1, 1), (2, 7, 5, 3, 3, 2, 2, 0), (3, 6, 6, 2, 1, 1, 1, 0), (1, 5, 5, 2, 5, 5, 1, 2),
    ]

    func naiveConvolution(_ conv: Convolution2D, x: [Double], w: [Double], b: [Double], batch: Int) -> [Double] {
        var y = [Double](repeating: 0, count: batch * conv.outputFeatures)
        for n in 0..<batch {
            for o in 0..<conv.outputChannels {
                for i in 0..<conv.outputHeight {
                    for j in 0..<conv.outputWidth {
                        var s = b[o]
                        for c in 0..<conv.inputChannels {
                            for ky in 0..<conv.kernelHeight {
                                for kx in 0..<conv.kernelWidth {
                                    let iy = i * conv.stride + ky - conv.padding, ix = j * conv.stride + kx - conv.padding
                                    guard iy >= 0, iy < conv.inputHeight, ix >= 0, ix < conv.inputWidth else { continue }
                                    s += w[o * conv.patchSize + (c * conv.kernelHeight + ky) * conv.kernelWidth + kx]
                                        * x[n * conv.inputFeatures + (c * conv.inputHeight + iy) * conv.inputWidth + ix]
                                }
                            }
                        }
                        y[n * conv.outputFeatures + (o * conv.outputHeight + i) * conv.outputWidth + j] = s
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: 0..<4)
    func forwardMatchesDirectConvolution(index: Int) throws {
        let g = Self.geometries[index]
        let conv = try Convolution2D(inputChannels: g.c, inputHeight: g.h, inputWidth: g.w, outputChannels: g.o,
                                     kernelHeight: g.kh, kernelWidth: g.kw, stride: g.s, padding: g.p)
        var rng = Xoshiro256(seed: UInt64(index))
        let batch = 3
        let x = try Matrix<Double>(rows: batch, columns: conv.inputFeatures, initializer: .normal(standardDeviation: 1), using: &rng)
        let w = try Matrix<Double>(rows: g.o, columns: conv.patchSize, initializer: .normal(standardDeviation: 1), using: &rng)
        let b = try Vector<Double>((0..<g.o).map { _ in rng.nextNormal() })
        var y = try Matrix<Double>(rows: batch, columns: conv.outputFeatures)
        var ws = try conv.makeWorkspace(batch: batch, of: Double.self)
        try conv.forward(x, weights: w, bias: b, into: &y, workspace: &ws)
        assertClose(y.elements, naiveConvolution(conv, x: x.elements, w: w.elements, b: b.elements, batch: batch),
                    rtol: 1e-12, atol: 1e-12)
    }

    /// With L(x, W, b) = ⟨r, conv(x, W) + b⟩, ∂L/∂x = convᵀ(r) and ∂L/∂W, ∂L/∂b are the
    /// accumulated gradients: check all three against finite differences of the direct formula.
    @Test(arguments: 0..<4)
    func adjointsMatchFiniteDifferences(index: Int) throws {
        let g = Self.geometries[index]
        let conv = try Convolution2D(inputChannels: g.c, inputHeight: g.h, inputWidth: g.w, outputChannels: g.o,
                                     kernelHeight: g.kh, kernelWidth: g.kw, stride: g.s, padding: g.p)
        var rng = Xoshiro256(seed: 100 + UInt64(index))
        let batch = 2
        let x = try Matrix<Double>(rows: batch, columns: conv.inputFeatures, initializer: .normal(standardDeviation: 1), using: &rng)
        let w = try Matrix<Double>(rows: g.o, columns: conv.patchSize, initializer: .normal(standardDeviation: 1), using: &rng)
        let b = (0..<g.o).map { _ in rng.nextNormal() }
        let r = try Matrix<Double>(rows: batch, columns: conv.outputFeatures, initializer: .normal(standardDeviation: 1), using: &rng)
        var ws = try conv.makeWorkspace(batch: batch, of: Double.self)

        func loss(x: [Double], w: [Double], b: [Double]) -> Double {
            zip(naiveConvolution(conv, x: x, w: w, b: b, batch: batch), r.elements).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var dx = try Matrix<Double>(rows: batch, columns: conv.inputFeatures)
        try conv.backwardInput(r, weights: w, into: &dx, workspace: &ws)
        assertClose(dx.elements, finiteDifferenceGradient(at: x.elements) { loss(x: $0, w: w.elements, b: b) }, rtol: 1e-7, atol: 1e-7)

        var dw = try Matrix<Double>(rows: g.o, columns: conv.patchSize)
        var db = try Vector<Double>(count: g.o)
        try conv.accumulateWeightGradient(input: x, outputGradient: r, alpha: 1, weights: &dw, bias: &db, workspace: &ws)
        assertClose(dw.elements, finiteDifferenceGradient(at: w.elements) { loss(x: x.elements, w: $0, b: b) }, rtol: 1e-7, atol: 1e-7)
        assertClose(db.elements, finiteDifferenceGradient(at: b) { loss(x: x.elements, w: w.elements, b: $0) }, rtol: 1e-7, atol: 1e-7)
    }

    @Test func poolingForwardAndAdjoint() throws {
        var rng = Xoshiro256(seed: 8)
        let batch = 2
        for mode in [Pooling2D.Mode.average, .max] {
            let pool = try Pooling2D(mode: mode, channels: 3, inputHeight: 6, inputWidth: 4, window: 2)
            let x = try Matrix<Double>(rows: batch, columns: pool.inputFeatures, initializer: .normal(standardDeviation: 1), using: &rng)
            var y = try Matrix<Double>(rows: batch, columns: pool.outputFeatures)
            var ws = pool.makeWorkspace(batch: batch)
            try pool.forward(x, into: &y, workspace: &ws)
            func direct(_ x: [Double]) -> [Double] {
                var out: [Double] = []
                for n in 0..<batch { for c in 0..<3 { for i in 0..<3 { for j in 0..<2 {
                    let values = (0..<2).flatMap { ky in (0..<2).map { kx in x[n * 72 + c * 24 + (2 * i + ky) * 4 + 2 * j + kx] } }
                    out.append(mode == .average ? values.reduce(0, +) / 4 : values.max()!)
                } } } }
                return out
            }
            assertClose(y.elements, direct(x.elements), rtol: 1e-14, atol: 1e-14, "\(mode)")
            let r = try Matrix<Double>(rows: batch, columns: pool.outputFeatures, initializer: .normal(standardDeviation: 1), using: &rng)
            var dx = try Matrix<Double>(rows: batch, columns: pool.inputFeatures)
            try pool.backward(r, into: &dx, workspace: ws)
            let fd = finiteDifferenceGradient(at: x.elements, step: 1e-7) { xs in zip(direct(xs), r.elements).reduce(0) { $0 + $1.0 * $1.1 } }
            assertClose(dx.elements, fd, rtol: 1e-6, atol: 1e-6, "\(mode) adjoint")
        }
    }

    @Test func badGeometryAndShapesThrow() throws {
        #expect(throws: NumericsError.self) {
            _ = try Convolution2D(inputChannels: 1, inputHeight: 3, inputWidth: 3, outputChannels: 1, kernelHeight: 5, kernelWidth: 5)
        }
        #expect(throws: NumericsError.self) { _ = try Pooling2D(mode: .max, channels: 1, inputHeight: 2, inputWidth: 2, window: 3) }
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 4, inputWidth: 4, outputChannels: 2, kernelHeight: 3, kernelWidth: 3)
        var ws = try conv.makeWorkspace(batch: 2, of: Float.self)
        let x = try Matrix<Float>(rows: 2, columns: 15)
        let w = try Matrix<Float>(rows: 2, columns: 9)
        var y = try Matrix<Float>(rows: 2, columns: conv.outputFeatures)
        #expect(throws: NumericsError.shapeMismatch(operation: "Convolution2D input", expected: Shape(2, 16), got: Shape(2, 15))) {
            try conv.forward(x, weights: w, bias: nil, into: &y, workspace: &ws)
        }
    }

    @Test func convolutionStepAllocatesNothingAfterWarmUp() throws {
        let conv = try Convolution2D(inputChannels: 1, inputHeight: 8, inputWidth: 8, outputChannels: 8, kernelHeight: 3, kernelWidth: 3, padding: 1)
        let pool = try Pooling2D(mode: .max, channels: 8, inputHeight: 8, inputWidth: 8, window: 2)
        var rng = Xoshiro256(seed: 2)
        let x = try Matrix<Float>(rows: 64, columns: 64, initializer: .uniform(low: 0, high: 1), using: &rng)
        let w = try Matrix<Float>(rows: 8, columns: 9, initializer: .heNormal, using: &rng)
        var y = try Matrix<Float>(rows: 64, columns: conv.outputFeatures)
        var pooled = try Matrix<Float>(rows: 64, columns: pool.outputFeatures)
        var dy = try Matrix<Float>(rows: 64, columns: conv.outputFeatures)
        var dx = try Matrix<Float>(rows: 64, columns: 64)
        var dw = try Matrix<Float>(rows: 8, columns: 9)
        var ws = try conv.makeWorkspace(batch: 64, of: Float.self)
        var pws = pool.makeWorkspace(batch: 64)
        func step() throws {
            try conv.forward(x, weights: w, bias: nil, into: &y, workspace: &ws)
            try pool.forward(y, into: &pooled, workspace: &pws)
            try pool.backward(pooled, into: &dy, workspace: pws)
            try conv.backwardInput(dy, weights: w, into: &dx, workspace: &ws)
            try conv.accumulateWeightGradient(input: x, outputGradient: dy, alpha: 0.1, weights: &dw, workspace: &ws)
        }
        for _ in 0..<3 { try step() }
        let before = pck_thread_allocation_count()
        for _ in 0..<10 { try step() }
        #expect(pck_thread_allocation_count() - before == 0)
    }
}
