#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// How the acrobot's action becomes the elbow torque.
public enum AcrobotTorque: String, Sendable, Codable {
    /// Acrobot-v1's three torques {−1, 0, +1} N·m: τ = sign(a) when |a| ≥ 1/3, else 0 (the dead band
    /// of <doc:Tasks#Acrobot>); Gymnasium's action k ∈ {0, 1, 2} is a = k − 1.
    case discrete
    /// τ = clip(a, −1, 1) N·m (PCKit's continuous option).
    case continuous
}

/// The two-link acrobot of Sutton & Barto (1998) with the "book" dynamics, as in Gymnasium's
/// Acrobot-v1 (<doc:Tasks#Acrobot>).
///
/// State (θ₁, θ₂, θ̇₁, θ̇₂); θ₁ = 0 hangs down, θ₂ is relative to link 1; only the elbow is actuated:
/// ```text
/// d₁ = m₁lc₁² + m₂(l₁² + lc₂² + 2l₁lc₂ cos θ₂) + I₁ + I₂;   d₂ = m₂(lc₂² + l₁lc₂ cos θ₂) + I₂
/// φ₂ = m₂lc₂g cos(θ₁ + θ₂ − π/2)
/// φ₁ = −m₂l₁lc₂θ̇₂² sin θ₂ − 2m₂l₁lc₂θ̇₂θ̇₁ sin θ₂ + (m₁lc₁ + m₂l₁)g cos(θ₁ − π/2) + φ₂
/// θ̈₂ = (τ + (d₂/d₁)φ₁ − m₂l₁lc₂θ̇₁² sin θ₂ − φ₂) / (m₂lc₂² + I₂ − d₂²/d₁);   θ̈₁ = −(d₂θ̈₂ + φ₁)/d₁
/// ```
/// One RK4 step of Δt = 0.2 s per action, then θ₁, θ₂ wrapped to [−π, π] and θ̇₁, θ̇₂ clipped to
/// ±4π and ±9π — in Gymnasium's order of operations, so runs agree bit for bit.
public struct AcrobotModel: TransitionModel, Sendable, Equatable {
    /// The torque mapping.
    public let torque: AcrobotTorque
    /// Step length, s (0.2).
    public let timeStep: Double
    // Acrobot-v1's constants (m, kg·m², m/s²).
    let l1 = 1.0, m1 = 1.0, m2 = 1.0, lc1 = 0.5, lc2 = 0.5, i1 = 1.0, i2 = 1.0, g = 9.8
    /// Velocity bounds, rad/s.
    public let maxVelocity1 = 4 * Double.pi, maxVelocity2 = 9 * Double.pi

    public init(torque: AcrobotTorque = .discrete, timeStep: Double = 0.2) throws {
        guard timeStep > 0, timeStep.isFinite else {
            throw EnvironmentError.invalidConfiguration("Acrobot timeStep \(timeStep)")
        }
        self.torque = torque
        self.timeStep = timeStep
    }

    public static let gymnasium = try! AcrobotModel()
    public static let continuous = try! AcrobotModel(torque: .continuous)

    public var stateDimension: Int { 4 }
    public var actionDimension: Int { 1 }

    /// The elbow torque for action a, N·m.
    @inline(__always)
    public func appliedTorque(_ action: Double) -> Double {
        switch torque {
        case .discrete: action >= 1.0 / 3.0 ? 1 : (action <= -1.0 / 3.0 ? -1 : 0)
        case .continuous: clamped(action, -1, 1)
        }
    }

    /// (θ̈₁, θ̈₂), in Gymnasium's order of evaluation.
    @inline(__always)
    public func acceleration(angles q: SIMD2<Double>, velocities v: SIMD2<Double>, torque a: Double) -> SIMD2<Double> {
        let theta1 = q[0], theta2 = q[1], dtheta1 = v[0], dtheta2 = v[1]
        let cos2 = cos(theta2), sin2 = sin(theta2)
        let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + i1 + i2
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2 - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2) + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2)
            / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD2(ddtheta1, ddtheta2)
    }

    /// One step: RK4, then wrap and clip.
    @inline(__always)
    public func advance(_ state: SIMD4<Double>, action: Double) -> SIMD4<Double> {
        let tau = appliedTorque(action)
        var q = SIMD2(state[0], state[1]), v = SIMD2(state[2], state[3])
        integrate(.rk4, position: &q, velocity: &v, timeStep: timeStep) { q, v in
            acceleration(angles: q, velocities: v, torque: tau)
        }
        return SIMD4(shiftedIntoRange(q[0], -.pi, .pi), shiftedIntoRange(q[1], -.pi, .pi),
                     clamped(v[0], -maxVelocity1, maxVelocity1), clamped(v[1], -maxVelocity2, maxVelocity2))
    }

    /// The tip is above the bar at one link's length: −cos θ₁ − cos(θ₂ + θ₁) > 1.
    @inline(__always)
    public func isTerminal(_ state: SIMD4<Double>) -> Bool {
        -cos(state[0]) - cos(state[1] + state[0]) > 1.0
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let after = advance(SIMD4(state[0], state[1], state[2], state[3]), action: action[0])
        for i in 0..<4 { next[i] = after[i] }
    }

    /// −1 per step, 0 on a step that ends terminal.
    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        isTerminal(SIMD4(next[0], next[1], next[2], next[3])) ? 0 : -1
    }
}
