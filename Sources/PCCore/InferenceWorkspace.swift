import PCNumerics

/// Scratch memory of inference and learning, sized once for a network and a batch size, so that
/// no inference iteration allocates (<doc:EnergyAndInference#Workspaces>).
///
/// Arrays are indexed by layer ℓ = 0…L; each matrix is (batch × n_ℓ) unless stated.
public struct InferenceWorkspace<Scalar: PCScalar>: Sendable {
    /// Batch size B the workspace was sized for.
    public let batchSize: Int
    /// Layer sizes n₀…n_L it was sized for.
    public let sizes: [Int]
    /// φ_ℓ(x_ℓ), ℓ = 0…L−1.
    var rates: [Matrix<Scalar>]
    /// φ′_ℓ(x_ℓ), ℓ = 0…L−1.
    var derivatives: [Matrix<Scalar>]
    /// Π_ℓ ε_ℓ, ℓ = 1…L (used only where Π_ℓ ≠ I).
    var weightedErrors: [Matrix<Scalar>]
    /// (Π_{ℓ+1} ε_{ℓ+1}) W_{ℓ+1}, ℓ = 0…L−1: the error fed back to layer ℓ.
    var feedback: [Matrix<Scalar>]
    /// ∂F/∂x_ℓ per sample, ℓ = 0…L.
    var gradients: [Matrix<Scalar>]
    /// Momentum velocities, ℓ = 0…L.
    var velocities: [Matrix<Scalar>]
    /// The activities of the best state so far (divergence recovery), ℓ = 0…L.
    var best: [Matrix<Scalar>]
    /// Spare activities the next iterate is written into, ℓ = 0…L.
    var spare: [Matrix<Scalar>]
    /// softmax(μ_L), (B × n_L).
    var softmax: Matrix<Scalar>
    /// The energies of the current settle; capacity reserved up front.
    var energyTrace: [Double]

    /// A workspace for `network` and batches of `batchSize`; `traceCapacity` bounds the iterations
    /// whose energy is recorded without allocating (more simply grow the trace).
    public init(for network: PCNetwork<Scalar>, batchSize: Int, traceCapacity: Int = 1024) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        sizes = network.sizes
        func make() throws -> [Matrix<Scalar>] { try network.sizes.map { try Matrix(rows: batchSize, columns: $0) } }
        rates = try make(); derivatives = try make(); weightedErrors = try make(); feedback = try make()
        gradients = try make(); velocities = try make(); best = try make(); spare = try make()
        softmax = try Matrix(rows: batchSize, columns: network.sizes.last!)
        energyTrace = []
        energyTrace.reserveCapacity(traceCapacity + 1)
    }

    /// Whether this workspace fits `network` and `state`.
    func fits(_ network: PCNetwork<Scalar>, _ state: PCState<Scalar>) -> Bool {
        state.batchSize == batchSize && network.matchesSizes(sizes)
    }
}
