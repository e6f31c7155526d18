import PCEnvironment
import PCNumerics

/// Adds Gaussian sensor noise to every observation: y = o + σ ⊙ ε, ε ~ N(0, I).
///
/// The noise comes from the wrapper's own ``Xoshiro256``; `reset(seed: s)` reseeds it with a
/// stream derived from s (so the same seed gives the same noise), `reset(seed: nil)` continues it.
/// Observations may leave the wrapped observation space (the space is widened to ±∞ where σ > 0).
/// The physical state and the model are untouched, so a ``ModelBasedEnvironment`` stays one.
public struct ObservationNoise<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// σ per observation coordinate, (observationDimension), same units as the observation.
    public let standardDeviation: [Double]
    /// The noise generator.
    public private(set) var generator: Xoshiro256
    public let observationSpace: BoxSpace

    /// Wraps `base`.
    /// - Parameters:
    ///   - standardDeviation: σ per coordinate, (observationDimension), each ≥ 0 and finite.
    ///   - seed: the noise generator's seed before any seeded reset.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for a wrong length or an invalid σ.
    public init(_ base: Base, standardDeviation: [Double], seed: UInt64 = 0) throws {
        guard standardDeviation.count == base.observationDimension,
              standardDeviation.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw EnvironmentError.invalidConfiguration(
                "ObservationNoise needs \(base.observationDimension) finite σ ≥ 0, got \(standardDeviation)")
        }
        self.base = base
        self.standardDeviation = standardDeviation
        self.generator = Xoshiro256(seed: seed ^ Self.streamSalt)
        let space = base.observationSpace
        observationSpace = try BoxSpace(
            low: zip(space.low, standardDeviation).map { $1 > 0 ? -.infinity : $0 },
            high: zip(space.high, standardDeviation).map { $1 > 0 ? .infinity : $0 })
    }

    /// The same σ on every coordinate.
    public init(_ base: Base, standardDeviation: Double, seed: UInt64 = 0) throws {
        try self.init(base, standardDeviation: [Double](repeating: standardDeviation, count: base.observationDimension), seed: seed)
    }

    static var streamSalt: UInt64 { 0x0B5E_4A71_0000_0001 }

    public var actionSpace: BoxSpace { base.actionSpace }
    public var info: [String: Double] { base.info }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed ^ Self.streamSalt) }
        var observation = base.reset(seed: seed)
        addNoise(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        let transition = try base.step(action, observation: &observation)
        addNoise(&observation)
        return transition
    }

    @inline(__always)
    mutating func addNoise(_ observation: inout [Double]) {
        for i in 0..<standardDeviation.count where standardDeviation[i] > 0 {
            observation[i] += standardDeviation[i] * generator.nextNormal()
        }
    }
}

extension ObservationNoise: ModelBasedEnvironment where Base: ModelBasedEnvironment {
    public var model: Base.Model { base.model }
    public var state: [Double] { base.state }
}

extension ObservationNoise: StateResettable where Base: StateResettable {
    /// Starts from `state`; the first observation gets noise too (the noise stream continues).
    public mutating func reset(state: [Double]) throws -> [Double] {
        var observation = try base.reset(state: state)
        addNoise(&observation)
        return observation
    }
}
