import PCNumerics

// Energy: predictions μ_ℓ, errors ε_ℓ and the free energy F (PCCore article EnergyAndInference, section Energy).
// Every function here writes into the state and the workspace and allocates nothing.

extension PCNetwork {
    /// Whether the per-layer matrices have the columns n₀…n_L (without allocating).
    func matchesSizes(of matrices: [Matrix<Scalar>]) -> Bool {
        guard matrices.count == depth + 1, matrices[0].columns == layers[0].inputSize else { return false }
        for l in 1...depth where matrices[l].columns != layers[l - 1].outputSize { return false }
        return true
    }

    /// Whether `sizes` are n₀…n_L (without allocating).
    func matchesSizes(_ sizes: [Int]) -> Bool {
        guard sizes.count == depth + 1, sizes[0] == layers[0].inputSize else { return false }
        for l in 1...depth where sizes[l] != layers[l - 1].outputSize { return false }
        return true
    }
}

/// e = x − μ into `e` and returns Σ e². Eight partial sums let the compiler vectorise the
/// reduction (a single accumulator forces a serial chain of additions).
@inline(__always)
func subtractAndSumSquares<Scalar: PCScalar>(_ x: UnsafePointer<Scalar>, _ mu: UnsafePointer<Scalar>,
                                             _ e: UnsafeMutablePointer<Scalar>, _ n: Int) -> Scalar {
    var s0: Scalar = 0, s1: Scalar = 0, s2: Scalar = 0, s3: Scalar = 0
    var s4: Scalar = 0, s5: Scalar = 0, s6: Scalar = 0, s7: Scalar = 0
    var i = 0
    while i + 8 <= n {
        let e0 = x[i] - mu[i], e1 = x[i + 1] - mu[i + 1], e2 = x[i + 2] - mu[i + 2], e3 = x[i + 3] - mu[i + 3]
        let e4 = x[i + 4] - mu[i + 4], e5 = x[i + 5] - mu[i + 5], e6 = x[i + 6] - mu[i + 6], e7 = x[i + 7] - mu[i + 7]
        e[i] = e0; e[i + 1] = e1; e[i + 2] = e2; e[i + 3] = e3
        e[i + 4] = e4; e[i + 5] = e5; e[i + 6] = e6; e[i + 7] = e7
        s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3
        s4 += e4 * e4; s5 += e5 * e5; s6 += e6 * e6; s7 += e7 * e7
        i += 8
    }
    while i < n { let d = x[i] - mu[i]; e[i] = d; s0 += d * d; i += 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

/// Σ of squares of a matrix's elements, accumulated in Double.
func squaredNorm<Scalar: PCScalar>(_ m: Matrix<Scalar>) -> Double {
    m.withUnsafeStorage { p, _ in
        var s = 0.0
        for i in 0..<m.count { s += Double(p[i]) * Double(p[i]) }
        return s
    }
}
