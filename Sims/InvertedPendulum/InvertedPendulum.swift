import PCEnvironment
import PCNumerics

/// Balance a rigid pole on a motorised cart: InvertedPendulum-v5's task, rebuilt from its MuJoCo
/// geometry (<doc:Tasks#Inverted-pendulum>). See ``InvertedPendulumModel``; report this engine's name next to its returns.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 1 | [−3, 3] | motor command; F = 100·a N; **clipped** |
/// | observation | 4 | x ∈ [−1, 1], others ±∞ | (x m, θ rad, ẋ m/s, θ̇ rad/s) |
/// | state (``state``) | 4 | — | same as the observation |
///
/// - **Reward:** +1 per step, 0 on the terminating step (the v5 rule).
/// - **Start:** every coordinate U[−0.01, 0.01); or ``reset(state:)``.
/// - **Episode end:** terminates when |θ| > 0.2 rad or the state is not finite; 1000 steps
///   (``episodeSteps``) with ``TimeLimit``; threshold 950.
/// - **Parameters:** cart 10.47 kg, pole 5.02 kg with centre 0.3 m, damping 1 on both joints,
///   gear 100, Δt = 0.04 s as 2 RK4 steps of 0.02 s, g = 9.81, slider ±1 m (inelastic stops).
/// - **Source:** Gymnasium `mujoco/inverted_pendulum_v5.py` and `assets/inverted_pendulum.xml`.
public struct InvertedPendulum: ModelBasedEnvironment, StateResettable, Sendable {
    /// InvertedPendulum-v5's episode length.
    public static let episodeSteps = 1000

    public let model: InvertedPendulumModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator.
    public private(set) var generator: Xoshiro256
    /// (x, θ, ẋ, θ̇).
    public private(set) var physicalState = SIMD4<Double>()
    private var hasReset = false

    public init(model: InvertedPendulumModel = .gymnasium, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        let inf = Double.infinity
        observationSpace = try! BoxSpace(low: [-model.trackLimit, -inf, -inf, -inf], high: [model.trackLimit, inf, inf, inf])
        actionSpace = try! BoxSpace(low: [-model.controlLimit], high: [model.controlLimit])
    }

    public var state: [Double] { [physicalState[0], physicalState[1], physicalState[2], physicalState[3]] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        for i in 0..<4 { physicalState[i] = generator.uniform(-0.01, 0.01) }
        hasReset = true
        return state
    }

    /// Starts from (x, θ, ẋ, θ̇) with |x| ≤ 1.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` otherwise.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 4, state.allSatisfy(\.isFinite), abs(state[0]) <= model.trackLimit else {
            throw EnvironmentError.invalidConfiguration("InvertedPendulum state must be 4 finite values with |x| ≤ 1, got \(state)")
        }
        physicalState = SIMD4(state[0], state[1], state[2], state[3])
        hasReset = true
        return self.state
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 1, observation: observation, observationDimension: 4)
        guard hasReset else { throw EnvironmentError.resetNeeded("InvertedPendulum.step before reset") }
        physicalState = model.advance(physicalState, action: action[0])
        for i in 0..<4 { observation[i] = physicalState[i] }
        let terminated = model.isTerminal(physicalState)
        return Transition(reward: terminated ? 0 : 1, terminated: terminated)
    }
}
