import PCNumerics

/// A predictive-coding associative memory with a competitive latent: the PC analogue of a modern
/// Hopfield network (<doc:ModesAndMemory#Softmax-memory>; <doc:EnergyAndInference> for the energy and
/// the inference).
///
/// Two nodes per sample: a latent z ∈ ℝᴷ (one unit per stored pattern, or more) and the data
/// x ∈ ℝⁿ. The latent's rate is competitive, s = softmax(β z), and predicts the data linearly:
/// ```text
/// μ = W s,   ε = x − μ,   F = ½ ‖ε‖² + ½ λ ‖z‖²
/// ∂F/∂z = λ z − β (diag(s) − s sᵀ) Wᵀ ε = λ z − β s ⊙ (g − ⟨s, g⟩ 1),   g = Wᵀ ε
/// ∂F/∂x = ε   (free data entries only)
/// ∂F/∂W = −ε sᵀ   (IL: the Hebbian product of the error and the presynaptic rate)
/// ```
/// Storing (``store(_:codes:options:using:)``) is IL: infer z with the pattern clamped, then step W
/// down ∂F/∂W. Recall (``recall(_:observed:workspace:options:)``) is inference with the observed
/// entries of x clamped and z and the rest of x free; as β grows the latent's rate becomes
/// winner-take-all and the free entries are filled from one stored pattern instead of a blur.
///
/// The memory is a builder over the graph engine: ``graph`` is the two-node ``PCGraph`` latent →
/// data whose edge carries the softmax rate (and, for λ > 0, a latent node with a zero prior mean
/// and precision λ), so its inference is ``PCGraph/settle(_:workspace:clamps:options:)`` and its
/// state and scratch are a ``PCState`` and ``PCWorkspace`` held in a ``SoftmaxMemoryWorkspace``.
public struct SoftmaxMemory<Scalar: PCScalar>: Sendable, Equatable {
    /// The memory as a graph: node 0 the latent z (K units), node 1 the data x (n units), one dense
    /// edge z → x of weight W with the rate softmax(β z).
    public internal(set) var graph: PCGraph<Scalar>
    /// β > 0, the gain of the softmax (its inverse temperature).
    public let gain: Double
    /// λ ≥ 0, the precision of the latent's Gaussian prior N(0, λ⁻¹ I).
    public let priorPrecision: Double

    /// W, (n × K): column k is the pattern that latent unit k predicts.
    public var weight: Matrix<Scalar> { graph.edges[0].weight! }
    /// n, the size of a pattern.
    public var patternSize: Int { graph.nodes[1].size }
    /// K, the number of latent units.
    public var units: Int { graph.nodes[0].size }

    /// A memory with W drawn from `initializer`.
    /// - Parameters:
    ///   - patternSize: n.
    ///   - units: K (at least the number of patterns to store, for one unit each).
    ///   - gain: β > 0.
    ///   - priorPrecision: λ ≥ 0.
    ///   - initializer: the distribution of W (default N(0, 0.05²)).
    ///   - generator: the seeded source of W.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for a non-positive gain or a negative prior,
    ///   ``PCCoreError/invalidArchitecture(_:)`` for a non-positive size.
    public init(patternSize: Int, units: Int, gain: Double, priorPrecision: Double,
                initializer: Initializer = .normal(standardDeviation: 0.05), using generator: inout Xoshiro256) throws {
        guard gain > 0, gain.isFinite else { throw PCCoreError.invalidOption(name: "gain", reason: "must be positive (got \(gain))") }
        guard priorPrecision >= 0, priorPrecision.isFinite else {
            throw PCCoreError.invalidOption(name: "priorPrecision", reason: "must be non-negative (got \(priorPrecision))")
        }
        let weight = try Matrix<Scalar>(rows: patternSize, columns: units, initializer: initializer, using: &generator)
        // The prior ½ λ ‖z‖² is the latent node's own energy: a zero prior mean (bias) with precision λ.
        let latent = priorPrecision > 0
            ? try PCGraphNode<Scalar>(name: "latent", size: units, bias: try Vector(count: units), precision: .scalar(priorPrecision))
            : try PCGraphNode<Scalar>(name: "latent", size: units)
        graph = try PCGraph(nodes: [latent, try PCGraphNode(name: "data", size: patternSize)],
                            edges: [try PCGraphEdge(from: 0, to: 1, weight: weight, softmaxGain: gain)])
        self.gain = gain
        self.priorPrecision = priorPrecision
    }
}

/// The state and scratch of a ``SoftmaxMemory`` for a batch of B samples: the graph's ``PCState``
/// (node 0 the latents, node 1 the data) and ``PCWorkspace``, sized once; nothing is allocated per
/// inference step.
public struct SoftmaxMemoryWorkspace<Scalar: PCScalar>: Sendable {
    /// The graph's state: activities z (B × K) and x (B × n), predictions and errors.
    public internal(set) var state: PCState<Scalar>
    /// The graph's scratch.
    var workspace: PCGraphWorkspace<Scalar>
    /// The clamp patterns of a settle: the observed data entries clamped (recall), or all data clamped (storage).
    private(set) var recallClamps: PCGraphClamps<Scalar>
    let storageClamps = PCGraphClamps<Scalar>([.free, .clamped])

    /// z, the latents, (B × K).
    public var latent: Matrix<Scalar> {
        get { state.activities[0] }
        _modify { yield &state.activities[0] }
    }
    /// x, the data (clamped and free entries), (B × n).
    public var data: Matrix<Scalar> {
        get { state.activities[1] }
        _modify { yield &state.activities[1] }
    }
    /// s = softmax(β z) of the last settle, (B × K).
    public var rates: Matrix<Scalar> { workspace.engine.rates[0]! }
    /// μ = W s per sample, (B × n).
    public var prediction: Matrix<Scalar> { state.predictions[1] }
    /// ε = x − μ, (B × n).
    public var predictionError: Matrix<Scalar> { state.errors[1] }
    /// 1 where x is clamped, 0 where it is free, (B × n) (default all 1: every entry clamped).
    public var observed: Matrix<Scalar> { didSet { recallClamps = PCGraphClamps([.free, .masked(observed)]) } }
    /// Free energy at the start and after each step of the last settle (room for the trace
    /// capacity reserved at creation).
    public var energies: [Double] { workspace.buffers.energyTrace }

    /// - Parameters:
    ///   - memory: the model (for n and K).
    ///   - batchSize: B.
    ///   - traceCapacity: the most energies a settle records without allocating.
    public init(for memory: SoftmaxMemory<Scalar>, batchSize: Int, traceCapacity: Int = 0) throws {
        state = try PCState(for: memory.graph, batchSize: batchSize)
        workspace = try PCGraphWorkspace(for: memory.graph, batchSize: batchSize, traceCapacity: traceCapacity)
        observed = try Matrix(rows: batchSize, columns: memory.patternSize, repeating: 1)
        recallClamps = PCGraphClamps([.free, .masked(observed)])
    }

    /// B.
    public var batchSize: Int { state.batchSize }
}
