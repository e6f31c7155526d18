#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// Gymnasium's Acrobot-v1: swing the tip of a two-link chain, actuated only at the elbow, above
/// a line one link above the base. See ``AcrobotModel`` for the book dynamics.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 1 | [−1, 1] | elbow torque: {−1, 0, +1} N·m by sign with dead band 1/3 (default), or continuous; **clipped** |
/// | observation | 6 | [±1, ±1, ±1, ±1, ±4π, ±9π] | (cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂) |
/// | state (``state``) | 4 | — | (θ₁, θ₂, θ̇₁, θ̇₂) |
///
/// - **Reward:** −1 per step, 0 on a step that ends terminal.
/// - **Start:** all four ~ U[−0.1, 0.1) (Gymnasium also rounds them to float32); or ``reset(state:)``
///   with ``GymnasiumInitialStates/acrobot``.
/// - **Episode end:** terminates when −cos θ₁ − cos(θ₁ + θ₂) > 1; 500 steps (``episodeSteps``) with ``TimeLimit``.
/// - **Parameters:** l₁ = l₂ = 1 m, m₁ = m₂ = 1 kg, lc = 0.5 m, I = 1 kg·m², g = 9.8, RK4 Δt = 0.2 s.
/// - **Source:** Gymnasium `classic_control/acrobot.py` (v1, `book_or_nips = "book"`); Sutton & Barto,
///   *Reinforcement Learning: An Introduction* (1998).
public struct Acrobot: ModelBasedEnvironment, StateResettable, Sendable {
    /// Acrobot-v1's registered episode length.
    public static let episodeSteps = 500

    public let model: AcrobotModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator.
    public private(set) var generator: Xoshiro256
    /// (θ₁, θ₂, θ̇₁, θ̇₂).
    public private(set) var physicalState = SIMD4<Double>()
    private var hasReset = false

    public init(model: AcrobotModel = .gymnasium, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        let high = [1, 1, 1, 1, model.maxVelocity1, model.maxVelocity2]
        observationSpace = try! BoxSpace(low: high.map { -$0 }, high: high)
        actionSpace = try! BoxSpace(low: [-1], high: [1])
    }

    public var state: [Double] { [physicalState[0], physicalState[1], physicalState[2], physicalState[3]] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        for i in 0..<4 { physicalState[i] = generator.uniform(-0.1, 0.1) }
        return start()
    }

    /// Starts from (θ₁, θ₂, θ̇₁, θ̇₂), e.g. a row of ``GymnasiumInitialStates/acrobot``.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless the state has 4 finite values.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 4, state.allSatisfy(\.isFinite) else {
            throw EnvironmentError.invalidConfiguration("Acrobot state must be 4 finite values, got \(state)")
        }
        physicalState = SIMD4(state[0], state[1], state[2], state[3])
        return start()
    }

    private mutating func start() -> [Double] {
        hasReset = true
        var observation = [Double](repeating: 0, count: 6)
        writeObservation(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 1, observation: observation, observationDimension: 6)
        guard hasReset else { throw EnvironmentError.resetNeeded("Acrobot.step before reset") }
        physicalState = model.advance(physicalState, action: action[0])
        writeObservation(&observation)
        let terminated = model.isTerminal(physicalState)
        return Transition(reward: terminated ? 0 : -1, terminated: terminated)
    }

    @inline(__always)
    private func writeObservation(_ observation: inout [Double]) {
        let s = physicalState
        observation[0] = cos(s[0]); observation[1] = sin(s[0])
        observation[2] = cos(s[1]); observation[3] = sin(s[1])
        observation[4] = s[2]; observation[5] = s[3]
    }
}
