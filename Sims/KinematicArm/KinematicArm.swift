#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// Reaching with an n-link kinematic planar arm (any n ≥ 1) under joint-velocity control:
/// <doc:Tasks#Kinematic-arm>, after Priorelli et al.'s deep kinematic inference arm. See ``KinematicArmModel``.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | n | ±maxVelocity (may be ±∞) | joint velocities; **clipped** |
/// | observation | n + 4 | q within the limits; target and tip within ±reach | (q (n), target (2), tip (2)) |
/// | state (``state``) | n + 2 | — | (q, target) |
///
/// - **Reward:** −‖tip − target‖ after the step. ``reachDistance`` marks success (info `reached`).
/// - **Start:** q = startAngles; the target is the tip at joint angles drawn uniformly within the
///   limits (always reachable); or ``reset(state:)``, or ``newTarget()`` between trials without
///   resetting the arm (the reference protocol).
/// - **Episode end:** never terminates; ``episodeSteps`` (500) with ``TimeLimit``.
/// - **Source:** priorelli/deep-kinematic-inference (arm geometry, limits, targets, reach distance).
public struct KinematicArm: ModelBasedEnvironment, StateResettable, Sendable {
    public let model: KinematicArmModel
    /// Start angles, (n) rad.
    public let startAngles: [Double]
    /// Success radius around the target (7.5 px for the reference arm; 0.0326 × reach in general).
    public let reachDistance: Double
    /// Steps per trial.
    public let episodeSteps: Int
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator (targets).
    public private(set) var generator: Xoshiro256
    /// Joint angles q, (n) rad.
    public private(set) var jointAngles: [Double]
    /// The target, (x, y).
    public private(set) var target = SIMD2<Double>()
    private var hasReset = false

    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` when the start angles are not n values
    ///   within the limits, or reachDistance or episodeSteps is not positive.
    public init(model: KinematicArmModel, startAngles: [Double], reachDistance: Double? = nil,
                episodeSteps: Int = 500, seed: UInt64 = 0) throws {
        let n = model.linkCount
        guard startAngles.count == n,
              (0..<n).allSatisfy({ startAngles[$0] >= model.lowerLimits[$0] && startAngles[$0] <= model.upperLimits[$0] }) else {
            throw EnvironmentError.invalidConfiguration("KinematicArm start angles \(startAngles) are not \(n) values within the limits")
        }
        let reachDistance = reachDistance ?? 0.0326 * model.reach
        guard reachDistance > 0, episodeSteps > 0 else {
            throw EnvironmentError.invalidConfiguration("KinematicArm reachDistance \(reachDistance), episodeSteps \(episodeSteps)")
        }
        self.model = model
        self.startAngles = startAngles
        self.reachDistance = reachDistance
        self.episodeSteps = episodeSteps
        self.generator = Xoshiro256(seed: seed)
        self.jointAngles = startAngles
        let reach = model.reach
        observationSpace = try BoxSpace(low: model.lowerLimits + [-reach, -reach, -reach, -reach],
                                        high: model.upperLimits + [reach, reach, reach, reach])
        actionSpace = try BoxSpace(dimension: n, low: -model.maxVelocity, high: model.maxVelocity)
    }

    /// The reference arm of <doc:Tasks#Kinematic-arm>: trunk, shoulder, elbow, wrist of 50, 70, 90, 20 px;
    /// limits (−5°, 10°), (−5°, 130°), (−5°, 130°), (−90°, 90°); start (0°, 20°, 40°, 30°);
    /// Δt = 0.3; reach distance 7.5 px; 500 steps per trial.
    public static func priorelliReference(seed: UInt64 = 0) -> KinematicArm {
        let degree = Double.pi / 180
        let model = try! KinematicArmModel(lengths: [50, 70, 90, 20],
                                           lowerLimits: [-5, -5, -5, -90].map { $0 * degree },
                                           upperLimits: [10, 130, 130, 90].map { $0 * degree }, timeStep: 0.3)
        return try! KinematicArm(model: model, startAngles: [0, 20, 40, 30].map { $0 * degree }, reachDistance: 7.5,
                                 episodeSteps: 500, seed: seed)
    }

    public var state: [Double] { jointAngles + [target.x, target.y] }
    /// The end effector, (x, y).
    public var endEffector: SIMD2<Double> { model.tip { jointAngles[$0] } }
    /// Distance from the end effector to the target.
    public var distance: Double { let d = endEffector - target; return (d * d).sum().squareRoot() }
    public var info: [String: Double] { ["distance": distance, "reached": distance < reachDistance ? 1 : 0] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        for k in 0..<model.linkCount { jointAngles[k] = startAngles[k] }
        return newTarget()
    }

    /// Draws a new reachable target and keeps the arm where it is (the reference protocol runs
    /// its trials without resetting the arm). Returns the observation.
    public mutating func newTarget() -> [Double] {
        var phi = 0.0, x = 0.0, y = 0.0
        for k in 0..<model.linkCount {
            phi += generator.uniform(model.lowerLimits[k], model.upperLimits[k])
            x += model.lengths[k] * cos(phi)
            y += model.lengths[k] * sin(phi)
        }
        target = SIMD2(x, y)
        hasReset = true
        var observation = [Double](repeating: 0, count: observationSpace.dimension)
        writeObservation(&observation)
        return observation
    }

    /// Starts from (q (n), target (2)); q must lie within the limits.
    public mutating func reset(state: [Double]) throws -> [Double] {
        let n = model.linkCount
        guard state.count == n + 2, state.allSatisfy(\.isFinite),
              (0..<n).allSatisfy({ state[$0] >= model.lowerLimits[$0] && state[$0] <= model.upperLimits[$0] }) else {
            throw EnvironmentError.invalidConfiguration("KinematicArm state must be \(n) angles within the limits and a target, got \(state)")
        }
        for k in 0..<n { jointAngles[k] = state[k] }
        target = SIMD2(state[n], state[n + 1])
        hasReset = true
        var observation = [Double](repeating: 0, count: observationSpace.dimension)
        writeObservation(&observation)
        return observation
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: model.linkCount, observation: observation, observationDimension: model.linkCount + 4)
        guard hasReset else { throw EnvironmentError.resetNeeded("KinematicArm.step before reset") }
        for k in 0..<model.linkCount { jointAngles[k] = model.advance(jointAngles[k], velocity: action[k], joint: k) }
        writeObservation(&observation)
        let tip = SIMD2(observation[model.linkCount + 2], observation[model.linkCount + 3])
        let d = tip - target
        return Transition(reward: -(d * d).sum().squareRoot())
    }

    @inline(__always)
    private func writeObservation(_ observation: inout [Double]) {
        let n = model.linkCount
        var phi = 0.0, x = 0.0, y = 0.0
        for k in 0..<n {
            observation[k] = jointAngles[k]
            phi += jointAngles[k]
            x += model.lengths[k] * cos(phi)
            y += model.lengths[k] * sin(phi)
        }
        observation[n] = target.x
        observation[n + 1] = target.y
        observation[n + 2] = x
        observation[n + 3] = y
    }
}
