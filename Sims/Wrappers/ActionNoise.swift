import PCEnvironment
import PCNumerics

/// Perturbs every action before it reaches the environment: a′ = a + σ ⊙ ε, ε ~ N(0, I)
/// (actuator noise); the wrapped environment then clips or rejects a′ as it documents.
///
/// The action is validated before noise is drawn, so bad input throws and changes nothing.
/// The noise comes from the wrapper's own ``Xoshiro256``, reseeded from `reset(seed:)`.
public struct ActionNoise<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// σ per action coordinate, (actionDimension), in action units.
    public let standardDeviation: [Double]
    /// The noise generator.
    public private(set) var generator: Xoshiro256
    // The perturbed action handed to `base`, (actionDimension); reused.
    private var perturbed: [Double]

    /// Wraps `base`.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for a wrong length or an invalid σ.
    public init(_ base: Base, standardDeviation: [Double], seed: UInt64 = 0) throws {
        guard standardDeviation.count == base.actionDimension,
              standardDeviation.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw EnvironmentError.invalidConfiguration(
                "ActionNoise needs \(base.actionDimension) finite σ ≥ 0, got \(standardDeviation)")
        }
        self.base = base
        self.standardDeviation = standardDeviation
        self.generator = Xoshiro256(seed: seed ^ Self.streamSalt)
        self.perturbed = [Double](repeating: 0, count: base.actionDimension)
    }

    static var streamSalt: UInt64 { 0xAC71_0A5E_0000_0002 }

    public var observationSpace: BoxSpace { base.observationSpace }
    public var actionSpace: BoxSpace { base.actionSpace }
    public var info: [String: Double] { base.info }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed ^ Self.streamSalt) }
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validate(action: action, observation: observation)
        var draft = generator
        for i in 0..<action.count {
            perturbed[i] = action[i] + (standardDeviation[i] > 0 ? standardDeviation[i] * draft.nextNormal() : 0)
        }
        let transition = try base.step(perturbed, observation: &observation)
        // Commit the noise draws only once the step succeeded.
        generator = draft
        return transition
    }
}

extension ActionNoise: StateResettable where Base: StateResettable {
    public mutating func reset(state: [Double]) throws -> [Double] { try base.reset(state: state) }
}
