#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// The parameters and the exact transition of Gymnasium's Pendulum-v1.
///
/// State x = (θ, θ̇), θ = 0 upright, θ not wrapped. One step of length Δt under torque u:
/// ```text
/// u   = clip(u, −maxTorque, maxTorque)
/// θ̇′  = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·Δt, −maxSpeed, maxSpeed)
/// θ′  = θ + θ̇′·Δt                                   (semi-implicit Euler)
/// r   = −(wrap(θ)² + 0.1·θ̇² + 0.001·u²)              (on the pre-step state)
/// ```
/// The operations run in Gymnasium's order so the results agree bit for bit with its float64 state.
public struct PendulumModel: TransitionModel, Sendable, Equatable {
    /// Gravitational acceleration g, m/s² (Gymnasium's constructor default 10).
    public let gravity: Double
    /// Point mass m at the rod's end, kg.
    public let mass: Double
    /// Rod length l, m.
    public let length: Double
    /// Step length Δt, s.
    public let timeStep: Double
    /// Torque bound, N·m; actions are clipped to ±maxTorque.
    public let maxTorque: Double
    /// Angular-velocity bound, rad/s; θ̇ is clipped to ±maxSpeed after each step.
    public let maxSpeed: Double

    /// Creates the model; the defaults are Pendulum-v1's.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` unless every parameter is finite and positive
    ///   (gravity may be zero).
    public init(gravity: Double = 10.0, mass: Double = 1.0, length: Double = 1.0, timeStep: Double = 0.05,
                maxTorque: Double = 2.0, maxSpeed: Double = 8.0) throws {
        for (name, value) in [("mass", mass), ("length", length), ("timeStep", timeStep),
                              ("maxTorque", maxTorque), ("maxSpeed", maxSpeed)] where !(value.isFinite && value > 0) {
            throw EnvironmentError.invalidConfiguration("Pendulum \(name) must be finite and positive, got \(value)")
        }
        guard gravity.isFinite && gravity >= 0 else {
            throw EnvironmentError.invalidConfiguration("Pendulum gravity must be finite and ≥ 0, got \(gravity)")
        }
        self.gravity = gravity
        self.mass = mass
        self.length = length
        self.timeStep = timeStep
        self.maxTorque = maxTorque
        self.maxSpeed = maxSpeed
    }

    /// Pendulum-v1's constants.
    public static let gymnasium = try! PendulumModel()

    public var stateDimension: Int { 2 }
    public var actionDimension: Int { 1 }

    /// The torque actually applied: u clipped to ±maxTorque.
    @inline(__always)
    public func appliedTorque(_ torque: Double) -> Double { clamped(torque, -maxTorque, maxTorque) }

    /// One step from (θ, θ̇) under the (unclipped) torque u.
    /// - Returns: (θ′, θ̇′).
    @inline(__always)
    public func advance(angle: Double, velocity: Double, torque: Double) -> (angle: Double, velocity: Double) {
        let u = appliedTorque(torque)
        let acceleration = 3 * gravity / (2 * length) * sin(angle) + 3.0 / (mass * length * length) * u
        let nextVelocity = clamped(velocity + acceleration * timeStep, -maxSpeed, maxSpeed)
        return (angle + nextVelocity * timeStep, nextVelocity)
    }

    /// The step's cost wrap(θ)² + 0.1θ̇² + 0.001u² on the pre-step state (the reward is its negative).
    @inline(__always)
    public func cost(angle: Double, velocity: Double, torque: Double) -> Double {
        let u = appliedTorque(torque)
        let theta = wrappedAngle(angle)
        return theta * theta + 0.1 * (velocity * velocity) + 0.001 * (u * u)
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let (angle, velocity) = advance(angle: state[0], velocity: state[1], torque: action[0])
        next[0] = angle
        next[1] = velocity
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        -cost(angle: state[0], velocity: state[1], torque: action[0])
    }
}
