#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// A pole hinged on a cart that moves along a track: Gymnasium's CartPole-v1 balance task, or
/// PCKit's swing-up variant with continuous force (<doc:Tasks#Cart-pole-swing-up>). See ``CartPoleModel`` for the equations.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 1 | [−1, 1] | balance: the force's sign (±10 N, a ≥ 0 pushes right); swing-up: F = 10·a N, **clipped** |
/// | observation, balance | 4 | [±4.8, ±∞, ±0.419, ±∞] | (x m, ẋ m/s, θ rad, θ̇ rad/s) |
/// | observation, swing-up | 5 | [±1.8, ±∞, ±1, ±1, ±∞] | (x, ẋ, cos θ, sin θ, θ̇) |
/// | state (``state``) | 4 | — | (x, ẋ, θ, θ̇), θ = 0 upright |
///
/// - **Reward:** balance +1 per step including the terminating one, 0 for steps taken after it
///   (Gymnasium's rule); swing-up dm_control's smooth reward ∈ [0, 1] (``CartPoleModel/reward(before:action:after:)``).
/// - **Start:** balance all four ~ U[−0.05, 0.05); swing-up x, ẋ, θ̇ ~ 0.01·N(0, 1) and
///   θ = π + 0.01·N(0, 1); or ``reset(state:)`` (e.g. ``GymnasiumInitialStates/cartPole``).
/// - **Episode end:** balance terminates at |x| > 2.4 or |θ| > 12°; use ``TimeLimit`` with
///   ``episodeSteps`` (500 for balance, 1000 = 10 s for swing-up). Swing-up never terminates.
/// - **Parameters:** g = 9.8, m_c = 1, m_p = 0.1, l = 0.5 (half-length), force 10 N; Δt 0.02 explicit
///   Euler (balance) or 0.01 RK4 (swing-up); swing-up track ±1.8 m with inelastic stops.
/// - **Source:** Gymnasium `classic_control/cartpole.py` (v1); the swing-up after dm_control
///   `suite/cartpole.py` (project variant).
public struct CartPole: ModelBasedEnvironment, StateResettable, Sendable {
    public let model: CartPoleModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator.
    public private(set) var generator: Xoshiro256
    /// (x, ẋ, θ, θ̇).
    public private(set) var physicalState = SIMD4<Double>()
    /// Steps taken since the episode first terminated (nil before), Gymnasium's `steps_beyond_terminated`.
    public private(set) var stepsBeyondTerminated: Int?
    private var hasReset = false
    // The observation's dimension (4 or 5), kept apart from the space for the hot path.
    private let observationCount: Int

    /// Creates the environment.
    /// - Parameters:
    ///   - model: ``CartPoleModel/balance`` (default) or ``CartPoleModel/swingUp``, or custom parameters.
    ///   - seed: the generator's seed for a first `reset(seed: nil)`.
    public init(model: CartPoleModel = .balance, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        self.actionSpace = try! BoxSpace(low: [-1], high: [1])
        self.observationCount = model.task == .balance ? 4 : 5
        let inf = Double.infinity
        switch model.task {
        case .balance:
            let x = 2 * model.trackLimit, theta = 2 * model.angleLimit
            observationSpace = try! BoxSpace(low: [-x, -inf, -theta, -inf], high: [x, inf, theta, inf])
        case .swingUp:
            let x = model.trackLimit
            observationSpace = try! BoxSpace(low: [-x, -inf, -1, -1, -inf], high: [x, inf, 1, 1, inf])
        }
    }

    /// Steps per episode: 500 (CartPole-v1) or 1000 (swing-up, 10 s).
    public var episodeSteps: Int { model.task == .balance ? 500 : 1000 }
    public var state: [Double] { [physicalState[0], physicalState[1], physicalState[2], physicalState[3]] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        switch model.task {
        case .balance:
            for i in 0..<4 { physicalState[i] = generator.uniform(-0.05, 0.05) }
        case .swingUp:
            physicalState = SIMD4(0.01 * generator.nextNormal(), 0.01 * generator.nextNormal(),
                                  .pi + 0.01 * generator.nextNormal(), 0.01 * generator.nextNormal())
        }
        return start()
    }

    /// Starts an episode from (x, ẋ, θ, θ̇), e.g. a row of ``GymnasiumInitialStates/cartPole``.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless the state has 4 finite values.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 4, state.allSatisfy(\.isFinite) else {
            throw EnvironmentError.invalidConfiguration("CartPole state must be 4 finite values (x, ẋ, θ, θ̇), got \(state)")
        }
        physicalState = SIMD4(state[0], state[1], state[2], state[3])
        return start()
    }

    private mutating func start() -> [Double] {
        hasReset = true
        stepsBeyondTerminated = nil
        var observation = [Double](repeating: 0, count: observationSpace.dimension)
        writeObservation(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 1, observation: observation, observationDimension: observationCount)
        guard hasReset else { throw EnvironmentError.resetNeeded("CartPole.step before reset") }
        let before = physicalState
        physicalState = model.advance(before, action: action[0])
        writeObservation(&observation)
        switch model.task {
        case .swingUp:
            return Transition(reward: model.reward(before: before, action: action[0], after: physicalState))
        case .balance:
            // Gymnasium: 1 until and including the first terminal step, 0 on steps after it.
            let terminated = model.isTerminal(position: physicalState[0], angle: physicalState[2])
            var reward = 1.0
            if terminated {
                if let beyond = stepsBeyondTerminated {
                    stepsBeyondTerminated = beyond + 1
                    reward = 0
                } else {
                    stepsBeyondTerminated = 0
                }
            }
            return Transition(reward: reward, terminated: terminated)
        }
    }

    @inline(__always)
    private func writeObservation(_ observation: inout [Double]) {
        let s = physicalState
        switch model.task {
        case .balance:
            observation[0] = s[0]; observation[1] = s[1]; observation[2] = s[2]; observation[3] = s[3]
        case .swingUp:
            observation[0] = s[0]; observation[1] = s[1]
            observation[2] = cos(s[2]); observation[3] = sin(s[2]); observation[4] = s[3]
        }
    }
}
