import PCNumerics

/// How the weights of a deep (residual) PC network are initialised and scaled in the forward model
/// (<doc:GraphsAndMuPC#Residual-parameterisation>). The scalings a_ℓ are part of the model μ_ℓ = z_{ℓ−1} + a_ℓ W_ℓ φ(z_{ℓ−1}).
public enum Parameterization: Sendable, Hashable, Codable {
    /// Every a_ℓ = 1 and W from a standard fan-in initialiser (``ResidualNetworkConfiguration/standardInitializer``).
    case standard
    /// μPC (Innocenti et al. 2025): W ~ N(0, 1), no biases; a₁ = 1/√D (input), a_ℓ = 1/√(N·L) on
    /// residual branches (1/√N without skips), a_L = 1/N (output).
    case muPC

    /// The scalings a₁…a_L of a residual MLP.
    /// - Parameters:
    ///   - inputSize: D.
    ///   - width: N, the hidden width.
    ///   - weightLayers: L, the number of weight matrices (hidden layers + 1).
    ///   - residual: whether hidden-to-hidden layers have identity skips.
    /// - Returns: (L) multipliers.
    public func scales(inputSize: Int, width: Int, weightLayers: Int, residual: Bool) -> [Double] {
        switch self {
        case .standard:
            return [Double](repeating: 1, count: weightLayers)
        case .muPC:
            let (d, n, l) = (Double(inputSize), Double(width), Double(weightLayers))
            let branch = residual ? 1 / (n * l).squareRoot() : 1 / n.squareRoot()
            var a = [Double](repeating: branch, count: weightLayers)
            a[0] = 1 / d.squareRoot()
            a[weightLayers - 1] = 1 / n
            return a
        }
    }
}
