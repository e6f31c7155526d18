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
    /// softmax(μ_L), (B × n_L).
    var softmax: Matrix<Scalar>
    /// Per layer ℓ = 0…L: feedback (Π_{ℓ+1} ε_{ℓ+1}) W_{ℓ+1}, ∂F/∂x_ℓ, velocities, best and spare
    /// activities; and the energy trace.
    var buffers: SettleBuffers<Scalar>

    /// A workspace for `network` and batches of `batchSize`; `traceCapacity` bounds the iterations
    /// whose energy is recorded without allocating (more simply grow the trace).
    public init(for network: PCNetwork<Scalar>, batchSize: Int, traceCapacity: Int = 1024) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        sizes = network.sizes
        func make() throws -> [Matrix<Scalar>] { try network.sizes.map { try Matrix(rows: batchSize, columns: $0) } }
        rates = try make(); derivatives = try make(); weightedErrors = try make()
        softmax = try Matrix(rows: batchSize, columns: network.sizes.last!)
        buffers = try SettleBuffers(sizes: network.sizes, batchSize: batchSize, traceCapacity: traceCapacity)
    }

    /// Whether this workspace fits `network` and `state`.
    func fits(_ network: PCNetwork<Scalar>, _ state: PCState<Scalar>) -> Bool {
        state.batchSize == batchSize && network.matchesSizes(sizes)
    }
}
