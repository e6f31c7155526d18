/// What ``PlanarArm`` observes.
public enum PlanarArmObservation: String, Sendable, Codable {
    /// Reacher's layout: (cos q (n), sin q (n), target (2), q̇ (n), tip − target (2)), dimension 3n + 4.
    case reacher
    /// Joint space: (q (n), q̇ (n)), dimension 2n.
    case joints
}

/// How ``PlanarArm`` draws a target at each reset.
public enum PlanarArmTargets: Sendable, Equatable {
    /// Joint angles uniform within the joint limits (U[−π, π) where unlimited), then the end
    /// effector's position: every target is reachable.
    case reachable
    /// Uniform on the disc of this radius about the base (Reacher: U[−r, r]² until ‖g‖ < r).
    case disc(radius: Double)
    /// Always the end effector's position at these joint angles, (n) rad.
    case fixedJoints([Double])
}

/// The task around a ``PlanarArmModel``: start, targets, observation and episode length.
public struct PlanarArmTask: Sendable, Equatable {
    /// Nominal start angles, (n) rad.
    public var startAngles: [Double]
    /// Start angles get U[−startAngleNoise, startAngleNoise) added, rad.
    public var startAngleNoise: Double
    /// Start velocities are U[−startVelocityNoise, startVelocityNoise), rad/s.
    public var startVelocityNoise: Double
    /// The target rule.
    public var targets: PlanarArmTargets
    /// The observation layout.
    public var observation: PlanarArmObservation
    /// The episode length for ``TimeLimit``.
    public var episodeSteps: Int

    public init(startAngles: [Double], startAngleNoise: Double = 0.1, startVelocityNoise: Double = 0.005,
                targets: PlanarArmTargets = .reachable, observation: PlanarArmObservation = .reacher,
                episodeSteps: Int = 50) {
        self.startAngles = startAngles
        self.startAngleNoise = startAngleNoise
        self.startVelocityNoise = startVelocityNoise
        self.targets = targets
        self.observation = observation
        self.episodeSteps = episodeSteps
    }
}
