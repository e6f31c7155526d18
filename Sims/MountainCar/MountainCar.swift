import PCEnvironment
import PCNumerics

/// Gymnasium's MountainCarContinuous-v0: an under-powered car must rock back and forth to climb
/// the right hill. See ``MountainCarModel``.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 1 | [−1, 1] | force a; **clipped** for the dynamics, the reward uses a as given |
/// | observation | 2 | [−1.2, 0.6] × [−0.07, 0.07] | (x, v), float32 values |
/// | state (``state``) | 2 | same | (x, v) |
///
/// - **Reward:** −0.1a² per step, plus 100 on the terminating step; threshold 90.
/// - **Start:** x ~ U[−0.6, −0.4), v = 0; or ``reset(state:)`` with ``GymnasiumInitialStates/mountainCar``.
/// - **Episode end:** terminates when x ≥ 0.45 and v ≥ 0; 999 steps (``episodeSteps``) with ``TimeLimit``.
/// - **Source:** Gymnasium `classic_control/continuous_mountain_car.py` (v0); Moore, *Efficient
///   memory-based learning for robot control* (1990).
public struct MountainCar: ModelBasedEnvironment, StateResettable, Sendable {
    /// MountainCarContinuous-v0's registered episode length.
    public static let episodeSteps = 999

    public let model: MountainCarModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator.
    public private(set) var generator: Xoshiro256
    /// x, m.
    public private(set) var position = 0.0
    /// v, m/step.
    public private(set) var velocity = 0.0
    private var hasReset = false

    public init(model: MountainCarModel = .gymnasium, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        // The bounds rounded to float32 like the state (Float(−1.2) < −1.2), as Gymnasium's float32 Box.
        let x0 = Double(Float(model.minPosition)), x1 = Double(Float(model.maxPosition)), v = Double(Float(model.maxSpeed))
        observationSpace = try! BoxSpace(low: [x0, -v], high: [x1, v])
        actionSpace = try! BoxSpace(low: [-1], high: [1])
    }

    public var state: [Double] { [position, velocity] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        position = generator.uniform(-0.6, -0.4)
        velocity = 0
        hasReset = true
        return [position, velocity]
    }

    /// Starts from (x, v), e.g. a row of ``GymnasiumInitialStates/mountainCar``.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless the state lies in the observation space.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 2, observationSpace.contains(state) else {
            throw EnvironmentError.invalidConfiguration("MountainCar state must be (x, v) in \(observationSpace), got \(state)")
        }
        position = state[0]
        velocity = state[1]
        hasReset = true
        return [position, velocity]
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 1, observation: observation, observationDimension: 2)
        guard hasReset else { throw EnvironmentError.resetNeeded("MountainCar.step before reset") }
        let next = model.advance(position: position, velocity: velocity, action: action[0])
        position = next.position
        velocity = next.velocity
        observation[0] = position
        observation[1] = velocity
        return Transition(reward: model.reward(action: action[0], terminated: next.terminated), terminated: next.terminated)
    }
}
