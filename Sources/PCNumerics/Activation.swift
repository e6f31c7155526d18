/// Elementwise nonlinearities φ and their derivatives φ′, evaluated by the kernel.
///
/// | case | φ(x) | φ′(x) |
/// |---|---|---|
/// | `identity` | x | 1 |
/// | `tanh` | tanh x | 1 − tanh² x |
/// | `sigmoid` | 1/(1 + e⁻ˣ) | σ(x)(1 − σ(x)) |
/// | `relu` | max(0, x) | 1 if x > 0 else 0 |
/// | `leakyReLU(slope)` | x if x ≥ 0 else slope·x | 1 if x > 0 else slope |
/// | `gelu` | x·Φ(x) (exact, with erf) | Φ(x) + x·φ(x) |
/// | `softplus` | ln(1 + eˣ) | σ(x) |
///
/// NaN propagates through every φ and φ′.
public enum Activation: Sendable, Hashable, Codable {
    case identity, tanh, sigmoid, relu, gelu, softplus
    case leakyReLU(slope: Double)

    @usableFromInline
    func kernelCode<Scalar: PCScalar>() -> (Int32, Scalar) {
        switch self {
        case .identity: (0, 0)
        case .tanh: (1, 0)
        case .sigmoid: (2, 0)
        case .relu: (3, 0)
        case .leakyReLU(let slope): (4, Scalar(slope))
        case .gelu: (5, 0)
        case .softplus: (6, 0)
        }
    }
}

extension Activation {
    /// The activation's code (`PCK_ACT_*` of pc_kernels.h) and leaky-ReLU slope, for callers of
    /// the kernels outside PCNumerics (0 for every other activation).
    public var kernelCodeAndSlope: (code: Int32, slope: Double) { kernelCode() }

    /// The kernel code and slope in the scalar type of a computation.
    @usableFromInline
    func code<Scalar: PCScalar>(_: Scalar.Type) -> (Int32, Scalar) { kernelCode() }
}

extension Matrix {
    /// Writes φ(self) into `output` (same shape; may be `self`'s storage only through a copy).
    public func apply(_ activation: Activation, into output: inout Matrix) throws {
        guard output.shape == shape else {
            throw NumericsError.shapeMismatch(operation: "apply(\(activation))", expected: shape, got: output.shape)
        }
        let (code, slope) = activation.code(Scalar.self)
        let n = count
        let status = withUnsafeStorage { px, _ in output.withUnsafeMutableStorage { py, _ in Scalar.activation(code, slope, n, px, py) } }
        try checkStatus(status, "activation")
    }

    /// Applies φ in place.
    public mutating func applyInPlace(_ activation: Activation) throws {
        let (code, slope) = activation.code(Scalar.self)
        let n = count
        let status = withUnsafeMutableStorage { p, _ in Scalar.activation(code, slope, n, p, p) }
        try checkStatus(status, "activation")
    }

    /// Writes φ′(self) into `output` (same shape).
    public func applyDerivative(_ activation: Activation, into output: inout Matrix) throws {
        guard output.shape == shape else {
            throw NumericsError.shapeMismatch(operation: "derivative(\(activation))", expected: shape, got: output.shape)
        }
        let (code, slope) = activation.code(Scalar.self)
        let n = count
        let status = withUnsafeStorage { px, _ in
            output.withUnsafeMutableStorage { py, _ in Scalar.activationDerivative(code, slope, n, px, py) }
        }
        try checkStatus(status, "activation_derivative")
    }

    /// Writes the row-wise softmax of `self` into `output`: yᵢⱼ = e^{xᵢⱼ − mᵢ} / Σₖ e^{xᵢₖ − mᵢ},
    /// mᵢ = maxⱼ xᵢⱼ (a row with a NaN becomes all NaN).
    public func softmaxRows(into output: inout Matrix) throws {
        guard output.shape == shape else {
            throw NumericsError.shapeMismatch(operation: "softmaxRows", expected: shape, got: output.shape)
        }
        let (r, c) = (rows, columns)
        let status = withUnsafeStorage { px, ldx in
            output.withUnsafeMutableStorage { py, ldy in Scalar.softmaxRows(r, c, px, ldx, py, ldy) }
        }
        try checkStatus(status, "softmax_rows")
    }
}
