#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// Gymnasium's Pendulum-v1: swing a torque-limited pendulum up and hold it upright.
///
/// A rod of length l with a point mass m turns about a fixed pivot; θ = 0 is upright, θ grows
/// counter-clockwise and is never wrapped in the state. The equations, constants and their
/// order of evaluation are those of `classic_control/pendulum.py` (<doc:Tasks#Pendulum>); see ``PendulumModel``.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 1 | [−2, 2] N·m | torque u; values outside are **clipped** |
/// | observation | 3 | [−1, 1] × [−1, 1] × [−8, 8] | (cos θ, sin θ, θ̇) after the step |
/// | state (``state``) | 2 | — | (θ rad, θ̇ rad/s) |
///
/// - **Reward:** −(wrap(θ)² + 0.1θ̇² + 0.001u²) on the pre-step state, in [−16.2736, 0].
/// - **Start:** θ ~ U[−π, π), θ̇ ~ U[−1, 1) from the environment's ``Xoshiro256``; or a given
///   state with ``reset(state:)`` (e.g. a Gymnasium start from ``GymnasiumInitialStates``).
/// - **Episode end:** never terminates; wrap it in ``TimeLimit`` with 200 steps for Pendulum-v1
///   (``Pendulum/episodeSteps``).
/// - **Parameters:** ``PendulumModel`` (g = 10, m = 1, l = 1, Δt = 0.05, max torque 2, max speed 8).
/// - **Precision:** the state is float64 and matches Gymnasium's bit for bit; Gymnasium rounds the
///   observation to float32, this environment returns it in float64.
/// - **Source:** Farama-Foundation/Gymnasium `gymnasium/envs/classic_control/pendulum.py` (v1).
public struct Pendulum: ModelBasedEnvironment, StateResettable, Sendable {
    /// Pendulum-v1's registered episode length.
    public static let episodeSteps = 200

    public let model: PendulumModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator (reseeded by `reset(seed:)`).
    public private(set) var generator: Xoshiro256
    /// θ, rad (not wrapped).
    public private(set) var angle = 0.0
    /// θ̇, rad/s.
    public private(set) var velocity = 0.0
    /// The torque applied in the last step (after clipping), N·m.
    public private(set) var lastTorque = 0.0
    private var hasReset = false

    /// Creates the environment.
    /// - Parameters:
    ///   - model: the physical parameters (default: Pendulum-v1's).
    ///   - seed: the generator's initial seed, used when `reset(seed: nil)` is called first.
    public init(model: PendulumModel = .gymnasium, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        self.observationSpace = try! BoxSpace(low: [-1, -1, -model.maxSpeed], high: [1, 1, model.maxSpeed])
        self.actionSpace = try! BoxSpace(low: [-model.maxTorque], high: [model.maxTorque])
    }

    /// (θ, θ̇).
    public var state: [Double] { [angle, velocity] }
    public var info: [String: Double] { ["torque": lastTorque] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        angle = generator.uniform(-.pi, .pi)
        velocity = generator.uniform(-1, 1)
        return start()
    }

    /// Starts an episode from a given state (θ, θ̇), e.g. a row of ``GymnasiumInitialStates/pendulum``.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless the state has 2 finite values.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 2, state.allSatisfy(\.isFinite) else {
            throw EnvironmentError.invalidConfiguration("Pendulum state must be 2 finite values (θ, θ̇), got \(state)")
        }
        angle = state[0]
        velocity = state[1]
        return start()
    }

    private mutating func start() -> [Double] {
        hasReset = true
        lastTorque = 0
        var observation = [0.0, 0.0, 0.0]
        writeObservation(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 1, observation: observation, observationDimension: 3)
        guard hasReset else { throw EnvironmentError.resetNeeded("Pendulum.step before reset") }
        // Cost on the pre-step state, then the semi-implicit Euler step.
        let cost = model.cost(angle: angle, velocity: velocity, torque: action[0])
        (angle, velocity) = model.advance(angle: angle, velocity: velocity, torque: action[0])
        lastTorque = model.appliedTorque(action[0])
        writeObservation(&observation)
        return Transition(reward: -cost)
    }

    @inline(__always)
    private func writeObservation(_ observation: inout [Double]) {
        observation[0] = cos(angle)
        observation[1] = sin(angle)
        observation[2] = velocity
    }
}
