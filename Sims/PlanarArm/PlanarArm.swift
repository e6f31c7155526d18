#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// An N-link planar arm (N = 1…8) under torque control, with a reaching task: bring the end
/// effector to a random target. The physics is ``PlanarChain`` (mass matrix, Coriolis, gravity,
/// viscous damping, armature, joint limits), the actuation and reward ``PlanarArmModel``.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | n | [−controlLimit, controlLimit] (may be ±∞) | motor command a; τ = gear ⊙ a N·m; **clipped** |
/// | observation `.reacher` | 3n + 4 | cos/sin ±1, target ±reach, q̇ ±∞, difference ±2·reach | (cos q, sin q, target, q̇, tip − target) |
/// | observation `.joints` | 2n | q within the limits, q̇ ±∞ | (q rad, q̇ rad/s) |
/// | state (``state``) | 2n + 2 | — | (q, q̇, target) |
///
/// - **Reward:** −‖tip − target‖ − w_c‖a‖² after the physics step (Reacher-v5 with w_c = 1).
/// - **Start:** q = startAngles + U[±startAngleNoise), q̇ = U[±startVelocityNoise), clamped into the
///   limits; the target from ``PlanarArmTargets``; or ``reset(state:)``.
/// - **Episode end:** never terminates; ``PlanarArmTask/episodeSteps`` steps for ``TimeLimit``.
/// - **Blocking:** while ``isBlocked`` is true a step holds q and zeroes q̇ (the collision test of <doc:Tasks#Two-link-test-plant>;
///   the ``model`` does not know about blocking).
/// - **Presets:** ``reacher(seed:)`` (Reacher-v5 geometry, <doc:Tasks#Reacher>) and
///   ``unbiasedAICPlant(seed:)`` (<doc:Tasks#Two-link-test-plant>).
/// - **Source:** rigid-body dynamics of a planar serial chain (Featherstone, *Rigid Body Dynamics
///   Algorithms*, 2008: composite inertia and recursive Newton–Euler); reward after Gymnasium Reacher-v5.
public struct PlanarArm: ModelBasedEnvironment, StateResettable, Sendable {
    public let model: PlanarArmModel
    /// The reaching task.
    public let task: PlanarArmTask
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator.
    public private(set) var generator: Xoshiro256
    /// Joint angles q and velocities q̇ (n in 8 lanes).
    public private(set) var jointAngles = SIMD8<Double>()
    public private(set) var jointVelocities = SIMD8<Double>()
    /// The target, (x, y) m.
    public private(set) var target = SIMD2<Double>()
    /// While true, steps hold the joints still (a collision or a clamp).
    public var isBlocked = false
    private var hasReset = false
    private var actionLanes = SIMD8<Double>()
    // The observation's dimension, kept apart from the space for the hot path.
    private let observationCount: Int

    /// Creates the environment.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` when the task's start angles or fixed
    ///   target do not have n values, or the episode length is not positive.
    public init(model: PlanarArmModel, task: PlanarArmTask, seed: UInt64 = 0) throws {
        let n = model.chain.linkCount
        guard task.startAngles.count == n, task.episodeSteps > 0 else {
            throw EnvironmentError.invalidConfiguration("PlanarArm task needs \(n) start angles and a positive episode length")
        }
        if case let .fixedJoints(q) = task.targets, q.count != n {
            throw EnvironmentError.invalidConfiguration("PlanarArm fixed target needs \(n) joint angles, got \(q.count)")
        }
        if case let .disc(radius) = task.targets, !(radius > 0 && radius.isFinite) {
            throw EnvironmentError.invalidConfiguration("PlanarArm target disc radius \(radius)")
        }
        self.model = model
        self.task = task
        self.generator = Xoshiro256(seed: seed)
        let limit = model.controlLimit
        actionSpace = try BoxSpace(dimension: n, low: -limit, high: limit)
        observationCount = task.observation == .reacher ? 3 * n + 4 : 2 * n
        let reach = model.chain.reach
        let inf = Double.infinity
        switch task.observation {
        case .reacher:
            let low = [Double](repeating: -1, count: 2 * n) + [-reach, -reach] + [Double](repeating: -inf, count: n) + [-2 * reach, -2 * reach]
            observationSpace = try BoxSpace(low: low, high: low.map { $0 == -1 ? 1 : -$0 })
        case .joints:
            observationSpace = try BoxSpace(low: model.chain.links.map(\.lowerLimit) + [Double](repeating: -inf, count: n),
                                            high: model.chain.links.map(\.upperLimit) + [Double](repeating: inf, count: n))
        }
    }

    /// Number of links n.
    public var linkCount: Int { model.chain.linkCount }
    /// The end effector's position, (x, y) m.
    public var endEffector: SIMD2<Double> { model.chain.endEffector(jointAngles) }
    /// (q, q̇, target), (2n + 2).
    public var state: [Double] {
        let n = linkCount
        return (0..<n).map { jointAngles[$0] } + (0..<n).map { jointVelocities[$0] } + [target.x, target.y]
    }
    public var info: [String: Double] {
        let d = endEffector - target
        return ["distance": (d * d).sum().squareRoot()]
    }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        let n = linkCount
        let chain = model.chain
        jointAngles = SIMD8(); jointVelocities = SIMD8()
        for i in 0..<n {
            jointAngles[i] = task.startAngles[i] + generator.uniform(-task.startAngleNoise, task.startAngleNoise)
            jointVelocities[i] = generator.uniform(-task.startVelocityNoise, task.startVelocityNoise)
        }
        model.enforceLimits(&jointAngles, &jointVelocities)
        switch task.targets {
        case .reachable:
            var q = SIMD8<Double>()
            for i in 0..<n {
                let low = chain.lowerLimit[i].isFinite ? chain.lowerLimit[i] : -.pi
                let high = chain.upperLimit[i].isFinite ? chain.upperLimit[i] : .pi
                q[i] = generator.uniform(low, high)
            }
            target = chain.endEffector(q)
        case let .disc(radius):
            repeat {
                target = SIMD2(generator.uniform(-radius, radius), generator.uniform(-radius, radius))
            } while (target * target).sum().squareRoot() >= radius
        case let .fixedJoints(q):
            target = chain.endEffector(chain.lanes(q))
        }
        return start()
    }

    /// Starts an episode from (q (n), q̇ (n), target (2)).
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless the state has 2n + 2 finite
    ///   values with every q within its joint limits.
    public mutating func reset(state: [Double]) throws -> [Double] {
        let n = linkCount
        let links = model.chain.links
        guard state.count == 2 * n + 2, state.allSatisfy(\.isFinite),
              (0..<n).allSatisfy({ state[$0] >= links[$0].lowerLimit && state[$0] <= links[$0].upperLimit }) else {
            throw EnvironmentError.invalidConfiguration("PlanarArm state must be \(2 * n + 2) finite values (q, q̇, target), got \(state)")
        }
        jointAngles = SIMD8(); jointVelocities = SIMD8()
        for i in 0..<n { jointAngles[i] = state[i]; jointVelocities[i] = state[n + i] }
        target = SIMD2(state[2 * n], state[2 * n + 1])
        return start()
    }

    private mutating func start() -> [Double] {
        hasReset = true
        var observation = [Double](repeating: 0, count: observationSpace.dimension)
        writeObservation(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: model.chain.linkCount, observation: observation, observationDimension: observationCount)
        guard hasReset else { throw EnvironmentError.resetNeeded("PlanarArm.step before reset") }
        for i in 0..<linkCount { actionLanes[i] = action[i] }
        if isBlocked {
            jointVelocities = SIMD8()
        } else {
            model.advance(position: &jointAngles, velocity: &jointVelocities, action: actionLanes)
        }
        writeObservation(&observation)
        return Transition(reward: model.reward(position: jointAngles, target: target, action: actionLanes))
    }

    @inline(__always)
    private func writeObservation(_ observation: inout [Double]) {
        let n = linkCount
        switch task.observation {
        case .reacher:
            let tip = endEffector
            for i in 0..<n {
                observation[i] = cos(jointAngles[i])
                observation[n + i] = sin(jointAngles[i])
                observation[2 * n + 2 + i] = jointVelocities[i]
            }
            observation[2 * n] = target.x
            observation[2 * n + 1] = target.y
            observation[3 * n + 2] = tip.x - target.x
            observation[3 * n + 3] = tip.y - target.y
        case .joints:
            for i in 0..<n {
                observation[i] = jointAngles[i]
                observation[n + i] = jointVelocities[i]
            }
        }
    }
}
