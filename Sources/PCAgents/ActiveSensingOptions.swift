/// Options of the ``ActiveSensingAgent`` (<doc:ActiveSensing>; the task: PCSims article Tasks, section Light-dark).
public struct ActiveSensingOptions: Sendable, Equatable, Codable {
    /// How the next move is chosen. The baselines share the belief and the candidate moves.
    public enum Policy: String, Sendable, Codable, CaseIterable {
        /// argmin G = pragmatic − epistemic (expected free energy).
        case expectedFreeEnergy
        /// argmax epistemic (expected information gain) only.
        case epistemic
        /// argmin pragmatic only: greedily toward the posterior mean.
        case goToMean
        /// A uniformly random candidate (from the agent's seeded generator).
        case random
        /// Always the first candidate (the stay move in the default set).
        case stay
    }

    /// The belief: an exact grid (MC epistemic term) or a Gaussian (closed forms, <doc:ActiveSensing#Gaussian-belief>).
    public enum BeliefModel: String, Sendable, Codable {
        /// Exact Bayes on an N × N grid; epistemic value by Monte Carlo with M samples.
        case grid
        /// N(μ, Σ) with Kalman updates (R = σ² I, σ at the mean when it depends on the target);
        /// epistemic value ½ ln det(I + ΣR⁻¹) in closed form. Starts from the uniform prior's moments.
        case gaussian
    }

    /// The largest ``gridSize``: 1024 cells per side (the belief then holds 2²⁰ cells).
    public static let maximumGridSize = 1024
    /// The largest ``samples``: 4096.
    public static let maximumSamples = 4096
    /// The largest number of candidate ``moves``: 1024.
    public static let maximumMoves = 1024

    /// How the next move is chosen (default expected free energy).
    public var policy: Policy = .expectedFreeEnergy
    /// Grid (default) or Gaussian belief.
    public var belief: BeliefModel = .grid
    /// N, grid cells per side, 2…``maximumGridSize`` (default 81).
    public var gridSize: Int = 81
    /// L, the side of the square world [0, L]² (default 10).
    public var worldSize: Double = 10
    /// Candidate moves Δp, each (2), 1…``maximumMoves`` of them (default: stay and the 8 headings of length 0.5).
    public var moves: [[Double]] = ActiveSensingOptions.lightDarkMoves
    /// The longest move; longer ones are shortened, as the environment does (default 0.5).
    public var maximumStep: Double = 0.5
    /// M, Monte-Carlo samples of the epistemic term, 1…``maximumSamples`` (default 12).
    public var samples: Int = 12
    /// Λ, precision of the goal prior on o = x − p, in [0, 10¹²] (default 0.02 per m²).
    public var preferencePrecision: Double = 0.02
    /// The agent's sensor model (default: the light-dark strip σ = 0.1 + 0.5|p_x − 8|).
    public var noise: SensorNoiseModel = .lightStrip(base: 0.1, slope: 0.5, stripX: 8)

    /// Stay, then the eight headings k·45° of length 0.5.
    public static let lightDarkMoves: [[Double]] = [[0, 0]] + (0..<8).map { k in
        let angle = Double(k) * Double.pi / 4
        return [0.5 * cosine(angle), 0.5 * sine(angle)]
    }

    public init(policy: Policy = .expectedFreeEnergy, noise: SensorNoiseModel = .lightStrip(base: 0.1, slope: 0.5, stripX: 8)) {
        self.policy = policy
        self.noise = noise
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case policy, belief, gridSize, worldSize, moves, maximumStep, samples, preferencePrecision, noise
    }

    /// Decodes; any field left out takes its default, an unknown key is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let v = try c.decodeIfPresent(Policy.self, forKey: .policy) { policy = v }
        if let v = try c.decodeIfPresent(BeliefModel.self, forKey: .belief) { belief = v }
        if let v = try c.decodeIntegerIfPresent(.gridSize, maximum: Self.maximumGridSize) { gridSize = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .worldSize) { worldSize = v }
        if let v = try c.decodeIfPresent([[Double]].self, forKey: .moves) { moves = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .maximumStep) { maximumStep = v }
        if let v = try c.decodeIntegerIfPresent(.samples, maximum: Self.maximumSamples) { samples = v }
        if let v = try c.decodeIfPresent(Double.self, forKey: .preferencePrecision) { preferencePrecision = v }
        if let v = try c.decodeIfPresent(SensorNoiseModel.self, forKey: .noise) { noise = v }
    }

    /// The counter-check variant's sensor, σ = 0.1 + 0.5‖x − p‖.
    public static func counterCheck(policy: Policy) -> ActiveSensingOptions {
        ActiveSensingOptions(policy: policy, noise: .distance(base: 0.1, slope: 0.5))
    }

    /// - Throws: ``AgentConfigurationError`` naming the first bad field.
    public func validate() throws {
        try Validate.within(gridSize, 2, Self.maximumGridSize, "gridSize")
        try Validate.positive(worldSize, "worldSize")
        try Validate.positive(maximumStep, "maximumStep")
        try Validate.within(samples, 1, Self.maximumSamples, "samples")
        try Validate.nonNegative(preferencePrecision, "preferencePrecision")
        try Validate.atMost(preferencePrecision, AgentLimits.maximumPrecision, "preferencePrecision")
        try Validate.within(moves.count, 1, Self.maximumMoves, "moves.count")
        for (k, move) in moves.enumerated() {
            try Validate.count(move, 2, "moves[\(k)]")
            try Validate.finite(move, "moves[\(k)]")
        }
        try noise.validate()
    }
}

extension ActiveSensingOptions {
    /// An upper bound on the bytes an ``ActiveSensingAgent`` with these options allocates: the grid
    /// belief and its cumulative sums (N² each, twice the belief while ``ActiveSensingAgent/reset(seed:)``
    /// replaces it), the Monte-Carlo draws (3 M) and the per-move values (3 per move).
    ///
    /// An estimate for refusing sessions above a memory budget. Never traps.
    /// - Returns: bytes, ≥ 8 × (3 N² + 2 N + 3 M + 3 · moves).
    public func estimatedMemoryBytes() -> Int {
        let n = Double(max(gridSize, 0)), m = Double(max(samples, 0)), k = Double(moves.count)
        let bytes = 8 * (3 * n * n + 2 * n + 3 * m + 3 * k) + 1024
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func cosine(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func sine(_ x: Double) -> Double { Glibc.sin(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func cosine(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func sine(_ x: Double) -> Double { Darwin.sin(x) }
#endif
