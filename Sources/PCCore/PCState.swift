import PCNumerics

/// How the input node x₀ takes part in inference.
public enum InputClamp: Sendable, Hashable, Codable {
    /// x₀ is fixed to the data (supervised and generative-from-label modes).
    case clamped
    /// x₀ is inferred too, with an optional Gaussian prior ½ λ‖x₀‖² (λ = `priorPrecision` ≥ 0)
    /// added to F (latent causes of a generative model, associative memory).
    case free(priorPrecision: Double)
}

/// How the output node x_L takes part in inference.
public enum OutputClamp<Scalar: PCScalar>: Sendable, Equatable {
    /// x_L is fixed (to the target, or to a nudged target).
    case clamped
    /// x_L is inferred (∂F/∂x_L = Π_L ε_L); its feedforward value is then a fixed point.
    case free
    /// Entries where `mask` is 1 are clamped, entries where it is 0 are inferred (associative
    /// recall of a partly observed pattern). `mask` is (batch × n_L) of 0s and 1s.
    case masked(Matrix<Scalar>)
}

/// Which nodes are clamped: the mode of the one inference engine (<doc:ModesAndMemory#Clamp-patterns>).
/// Supervised = input and output clamped; generative = input (e.g. a label) clamped, output
/// (the data) free; associative memory = part of the data clamped, the rest inferred.
public struct Clamps<Scalar: PCScalar>: Sendable, Equatable {
    /// The input node's role (default clamped).
    public var input: InputClamp
    /// The output node's role (default clamped).
    public var output: OutputClamp<Scalar>

    public init(input: InputClamp = .clamped, output: OutputClamp<Scalar> = .clamped) {
        self.input = input
        self.output = output
    }

    /// Input and output clamped (discriminative training).
    public static var supervised: Clamps { Clamps() }
    /// Input clamped, output free (generation, or prediction by inference).
    public static var outputFree: Clamps { Clamps(output: .free) }
}

/// The mutable data of inference for one batch, for every engine: activities x, predictions μ and
/// errors ε of each value node — the layers ℓ = 0…L of a ``PCNetwork`` or a ``LayeredPCModel``, or
/// the nodes v of a ``PCGraph`` (``PCGraphState`` is this type).
///
/// Arrays are indexed by layer (or node); for a layered model entry 0 of `predictions` and `errors`
/// is unused (zero). Every matrix is (batchSize × n). Set the input with ``setInput(_:)`` and the
/// target with ``setOutput(_:)`` (a graph's nodes with ``setActivity(_:_:)``); inference fills the rest.
public struct PCState<Scalar: PCScalar>: Sendable {
    /// Number of samples B in the batch.
    public let batchSize: Int
    /// x_ℓ, ℓ = 0…L, each (B × n_ℓ). With a cross-entropy output, x_L holds the target y.
    public var activities: [Matrix<Scalar>]
    /// μ_ℓ = φ(x_{ℓ−1}) W_ℓᵀ + b_ℓ, ℓ = 1…L, each (B × n_ℓ) (a graph: Σ a W φ(x_u) + b_v per node).
    public var predictions: [Matrix<Scalar>]
    /// ε_ℓ = x_ℓ − μ_ℓ (cross-entropy output: y − softmax(μ_L)), ℓ = 1…L, each (B × n_ℓ).
    public var errors: [Matrix<Scalar>]

    /// A zero state of one (B × n) matrix per size, for activities, predictions and errors.
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` when `batchSize` < 1.
    init(sizes: [Int], batchSize: Int) throws {
        guard batchSize >= 1 else { throw PCCoreError.invalidOption(name: "batchSize", reason: "must be at least 1 (got \(batchSize))") }
        self.batchSize = batchSize
        activities = try sizes.map { try Matrix(rows: batchSize, columns: $0) }
        predictions = try sizes.map { try Matrix(rows: batchSize, columns: $0) }
        errors = try sizes.map { try Matrix(rows: batchSize, columns: $0) }
    }

    /// The number of predictive layers L (the last node's index).
    public var depth: Int { activities.count - 1 }

    /// Throws unless every activity, prediction and error is (B × n) for the workspace's batch
    /// size B and node sizes n: the engines' loops index these matrices by the workspace's shapes,
    /// and a user may have replaced any of them (no allocation).
    func checkShapes<Model>(against workspace: PCWorkspace<Model>) throws where Model.Scalar == Scalar {
        let (sizes, rows) = (workspace.sizes, workspace.batchSize)
        var fits = batchSize == rows && activities.count == sizes.count && predictions.count == sizes.count && errors.count == sizes.count
        if fits {
            for l in sizes.indices {
                let n = sizes[l]
                if activities[l].rows != rows || activities[l].columns != n || predictions[l].rows != rows || predictions[l].columns != n
                    || errors[l].rows != rows || errors[l].columns != n { fits = false }
            }
        }
        guard fits else {
            throw PCCoreError.invalidOption(name: "state", reason: "every activity, prediction and error must be (\(rows) × n) for n in \(sizes); "
                                            + "activities \(activities.map(\.shape)), predictions \(predictions.map(\.shape)), errors \(errors.map(\.shape))")
        }
    }

    /// Copies `input` (B × n₀) into x₀.
    public mutating func setInput<M: MatrixOperand>(_ input: M) throws where M.Scalar == Scalar {
        try copy(input, into: 0, what: "input")
    }

    /// Copies `output` (B × n_L) into x_L (the target when the output is clamped).
    public mutating func setOutput<M: MatrixOperand>(_ output: M) throws where M.Scalar == Scalar {
        try copy(output, into: depth, what: "output")
    }

    /// Copies `values` (B × n_v) into x_v (any layer or node).
    /// - Throws: ``PCCoreError/invalidOption(name:reason:)`` for an index outside the state,
    ///   ``PCCoreError/shapeMismatch(what:expected:got:)`` for another shape.
    public mutating func setActivity<M: MatrixOperand>(_ v: Int, _ values: M) throws where M.Scalar == Scalar {
        guard activities.indices.contains(v) else {
            throw PCCoreError.invalidOption(name: "node", reason: "\(v) is outside 0..<\(activities.count)")
        }
        try copy(values, into: v, what: "activity of node \(v)")
    }

    private mutating func copy<M: MatrixOperand>(_ source: M, into layer: Int, what: @autoclosure () -> String) throws where M.Scalar == Scalar {
        let shape = activities[layer].shape
        guard source.rows == shape.rows, source.columns == shape.columns else {
            throw PCCoreError.shapeMismatch(what: what(), expected: shape, got: Shape(source.rows, source.columns))
        }
        source.withUnsafeStorage { src, ld in
            activities[layer].withUnsafeMutableStorage { dst, _ in
                for r in 0..<shape.rows { (dst + r * shape.columns).update(from: src + r * ld, count: shape.columns) }
            }
        }
    }
}
