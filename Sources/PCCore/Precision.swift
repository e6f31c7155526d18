import PCNumerics

/// How the precision Π_ℓ = Σ_ℓ⁻¹ of one layer's prediction errors is set (<doc:EnergyAndInference#Precisions>).
///
/// Precisions are diagonal. A learned precision is parameterised by the log-variance
/// s_j = ln σ_j², so Π = diag(e^{−s}); its energy term is ½ Σ_j s_j per sample (the log-determinant
/// ½ ln|Σ|). Fixed precisions contribute no log-determinant term: it is a constant that no update
/// can change, and PCKit's energies omit it (and the constant ½ n ln 2π).
public enum PrecisionSpecification: Sendable, Hashable, Codable {
    /// Π = I (the default).
    case identity
    /// Π = λ I with λ > 0.
    case scalar(Double)
    /// Π = diag(π), every π_j > 0; one value per unit of the layer.
    case diagonal([Double])
    /// Π = diag(e^{−s}), s learned by ∂F/∂s_j = ½(1 − ε_j² e^{−s_j}), starting from s_j = `initial`.
    case learnedLogVariance(initial: Double)
}

/// The precision of one layer: the values π_j (n_ℓ) and the log-variances s_j = −ln π_j (n_ℓ).
public struct LayerPrecision<Scalar: PCScalar>: Sendable, Equatable {
    /// Bounds of a learned log-variance: s is clamped to [−10, 10] after every update.
    public static var logVarianceBounds: ClosedRange<Double> { -10...10 }

    /// Whether Π = I (lets the hot loops skip the multiplication).
    public private(set) var isIdentity: Bool
    /// Whether the log-variance is learned.
    public let isLearned: Bool
    /// π_j, (n_ℓ).
    public private(set) var values: Vector<Scalar>
    /// s_j = ln σ_j² = −ln π_j, (n_ℓ).
    public private(set) var logVariance: Vector<Scalar>

    /// The precision of a layer of `size` units.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for non-positive precisions or a
    ///   diagonal of the wrong length.
    public init(_ specification: PrecisionSpecification, size: Int) throws {
        var pi = [Double](repeating: 1, count: size)
        var learned = false
        var identity = false
        switch specification {
        case .identity:
            identity = true
        case .scalar(let lambda):
            guard lambda > 0, lambda.isFinite else {
                throw PCCoreError.invalidOption(name: "precision", reason: "scalar precision must be positive and finite (got \(lambda))")
            }
            pi = [Double](repeating: lambda, count: size)
            identity = lambda == 1
        case .diagonal(let values):
            guard values.count == size else {
                throw PCCoreError.invalidOption(name: "precision", reason: "diagonal has \(values.count) values for \(size) units")
            }
            guard values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw PCCoreError.invalidOption(name: "precision", reason: "diagonal precisions must be positive and finite")
            }
            pi = values
        case .learnedLogVariance(let initial):
            guard Self.logVarianceBounds.contains(initial) else {
                throw PCCoreError.invalidOption(name: "precision", reason: "initial log-variance \(initial) outside \(Self.logVarianceBounds)")
            }
            learned = true
            pi = [Double](repeating: pcExp(-initial), count: size)
        }
        isIdentity = identity
        isLearned = learned
        if case .learnedLogVariance(let initial) = specification {
            // The same path as setLogVariance, so a checkpoint round trip is bit-exact.
            let s = Scalar(initial)
            logVariance = try Vector(count: size, repeating: s)
            values = try Vector(count: size, repeating: Scalar(pcExp(-Double(s))))
        } else {
            values = try Vector(pi.map { Scalar($0) })
            logVariance = try Vector(pi.map { Scalar(-pcLog($0)) })
        }
    }

    /// Number of units.
    public var count: Int { values.count }

    /// Sets s (clamped to ``logVarianceBounds``) and π = e^{−s}. Only for learned precisions.
    /// - Parameter logVariance: the new s, (n_ℓ).
    public mutating func setLogVariance(_ logVariance: Vector<Scalar>) throws {
        precondition(isLearned, "setLogVariance on a fixed precision")
        guard logVariance.count == count else {
            throw PCCoreError.shapeMismatch(what: "log-variance", expected: Shape(count, 1), got: Shape(logVariance.count, 1))
        }
        let bounds = Self.logVarianceBounds
        for j in 0..<count {
            let s = min(max(Double(logVariance[j]), bounds.lowerBound), bounds.upperBound)
            self.logVariance[j] = Scalar(s)
            values[j] = Scalar(pcExp(-s))
        }
        isIdentity = false
    }

    /// One gradient step on a learned log-variance, in place (no allocation): s ← clamp(s − η g) to
    /// ``logVarianceBounds`` and π = e^{−s}. Every engine's precision update goes through here.
    /// - Parameters:
    ///   - gradient: ∂F_B/∂s, (n_ℓ).
    ///   - learningRate: η ≥ 0.
    mutating func descend(_ gradient: Vector<Scalar>, learningRate: Scalar) {
        precondition(isLearned && gradient.count == count, "descend on a fixed precision or a gradient of another length")
        let bounds = Self.logVarianceBounds
        gradient.withUnsafeBufferPointer { pg in
            logVariance.withUnsafeMutableBufferPointer { ps in
                values.withUnsafeMutableBufferPointer { pi in
                    for j in 0..<pg.count {
                        let s = min(max(Double(ps[j] - learningRate * pg[j]), bounds.lowerBound), bounds.upperBound)
                        ps[j] = Scalar(s)
                        pi[j] = Scalar(pcExp(-s))
                    }
                }
            }
        }
        isIdentity = false
    }

    /// One gradient step on a learned log-variance shared by several layers (a recurrent
    /// network's time steps): s ← clamp(s − η Σ_k g_k) over `gradients[range]`, in place.
    mutating func descend(summing gradients: [Vector<Scalar>?], _ range: Range<Int>, learningRate: Scalar) {
        precondition(isLearned, "descend on a fixed precision")
        let bounds = Self.logVarianceBounds
        for j in 0..<count {
            var g: Scalar = 0
            for k in range { g += gradients[k]![j] }
            let s = min(max(Double(logVariance[j] - learningRate * g), bounds.lowerBound), bounds.upperBound)
            logVariance[j] = Scalar(s)
            values[j] = Scalar(pcExp(-s))
        }
        isIdentity = false
    }

    /// ½ Σ_j s_j, the log-determinant term ½ ln|Σ| of one sample (0 for a fixed precision, whose
    /// constant PCKit's energies omit).
    var halfLogDeterminant: Double {
        guard isLearned else { return 0 }
        var sum = 0.0
        logVariance.withUnsafeBufferPointer { ps in for j in 0..<ps.count { sum += Double(ps[j]) } }
        return 0.5 * sum
    }
}

/// ε = x − μ for a batch (B × n) and, where Π ≠ I, Π ε into `weighted`; returns
/// Σ_i ½ ε_iᵀ Π ε_i + B · ½ Σ_j s_j (the log-determinant term of a learned precision). Every
/// engine's Gaussian error goes through here; nothing allocates.
/// - Parameter precision: Π (n values), `nil` for the identity.
func writeGaussianErrors<Scalar: PCScalar>(activities x: Matrix<Scalar>, predictions mu: Matrix<Scalar>, precision: LayerPrecision<Scalar>?,
                                           errors: inout Matrix<Scalar>, weighted: inout Matrix<Scalar>) -> Double {
    let n = errors.count, columns = errors.columns
    var sum = 0.0
    x.withUnsafeStorage { px, _ in
        mu.withUnsafeStorage { pm, _ in
            errors.withUnsafeMutableStorage { pe, _ in
                guard let precision, !precision.isIdentity else {
                    sum = 0.5 * Double(subtractAndSumSquares(px, pm, pe, n))
                    return
                }
                precondition(precision.count == columns && weighted.count == n, "precision or weighted errors of another size")
                precision.values.withUnsafeBufferPointer { pi in
                    weighted.withUnsafeMutableStorage { pw, _ in
                        var s: Scalar = 0
                        for i in 0..<n {
                            let e = px[i] - pm[i]
                            pe[i] = e
                            let w = pi[i % columns] * e
                            pw[i] = w
                            s += w * e
                        }
                        sum = 0.5 * Double(s)
                    }
                }
            }
        }
    }
    return sum + Double(errors.rows) * (precision?.halfLogDeterminant ?? 0)
}

/// ∂F_B/∂s_j = (scale/B) Σ_i ½ (1 − ε_ij² π_j) of a learned precision over a batch of errors
/// (<doc:LearningRules#Learned-precisions>), written into `gradient` (n).
/// - Parameters:
///   - errors: ε, (B × n).
///   - precision: Π = diag(π), n values.
///   - scale: the factor of the whole gradient (1 for the plain gradient).
func writeLogVarianceGradient<Scalar: PCScalar>(errors: Matrix<Scalar>, precision: LayerPrecision<Scalar>, scale: Scalar,
                                                into gradient: inout Vector<Scalar>) {
    let (rows, columns) = (errors.rows, errors.columns)
    precondition(gradient.count == columns && precision.count == columns, "log-variance gradient of \(gradient.count) for errors of \(columns) units")
    let inverseBatch = scale / Scalar(rows)
    errors.withUnsafeStorage { pe, _ in
        precision.values.withUnsafeBufferPointer { pi in
            gradient.withUnsafeMutableBufferPointer { ps in
                for j in 0..<columns { ps[j] = 0 }
                for r in 0..<rows {
                    for j in 0..<columns {
                        let e = pe[r * columns + j]
                        ps[j] += 0.5 * (1 - e * e * pi[j])
                    }
                }
                for j in 0..<columns { ps[j] *= inverseBatch }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func pcExp(_ x: Double) -> Double { Glibc.exp(x) }
@usableFromInline func pcLog(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
@usableFromInline func pcExp(_ x: Double) -> Double { Darwin.exp(x) }
@usableFromInline func pcLog(_ x: Double) -> Double { Darwin.log(x) }
#endif
