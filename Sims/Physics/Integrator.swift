/// How a mechanical state (q, q̇) with acceleration q̈ = a(q, q̇) is advanced by one step h.
///
/// - `explicitEuler`: q′ = q + h q̇, q̇′ = q̇ + h a(q, q̇) (both from the old state; first order).
/// - `semiImplicitEuler`: q̇′ = q̇ + h a(q, q̇), q′ = q + h q̇′ (symplectic Euler; first order,
///   bounded energy error for conservative systems).
/// - `rk4`: the classical fourth-order Runge–Kutta on the first-order system (q̇, a).
public enum Integrator: String, Sendable, CaseIterable, Codable {
    case explicitEuler
    case semiImplicitEuler
    case rk4
}

/// One step of a second-order system q̈ = a(q, q̇) with the chosen integrator.
///
/// RK4 follows Gymnasium's `rk4` arithmetic exactly: stages at y + (h/2)k₁, y + (h/2)k₂, y + h k₃,
/// then y + (h/6)·(((k₁ + 2k₂) + 2k₃) + k₄), so that Acrobot-v1 is reproduced bit for bit.
/// - Parameters:
///   - position: q, any fixed-size SIMD vector (unused lanes stay zero when `acceleration` keeps them zero).
///   - velocity: q̇, same shape.
///   - timeStep: h, s.
///   - acceleration: a(q, q̇).
@inline(__always)
public func integrate<V: SIMD>(
    _ integrator: Integrator, position: inout V, velocity: inout V, timeStep h: Double,
    acceleration: (V, V) -> V
) where V.Scalar == Double {
    switch integrator {
    case .explicitEuler:
        let a = acceleration(position, velocity)
        position = position + h * velocity
        velocity = velocity + h * a
    case .semiImplicitEuler:
        velocity = velocity + h * acceleration(position, velocity)
        position = position + h * velocity
    case .rk4:
        let half = h / 2.0
        let k1q = velocity, k1v = acceleration(position, velocity)
        let q2 = position + half * k1q, v2 = velocity + half * k1v
        let k2q = v2, k2v = acceleration(q2, v2)
        let q3 = position + half * k2q, v3 = velocity + half * k2v
        let k3q = v3, k3v = acceleration(q3, v3)
        let q4 = position + h * k3q, v4 = velocity + h * k3v
        let k4q = v4, k4v = acceleration(q4, v4)
        let sixth = h / 6.0
        position = position + sixth * (k1q + 2 * k2q + 2 * k3q + k4q)
        velocity = velocity + sixth * (k1v + 2 * k2v + 2 * k3v + k4v)
    }
}

/// `substeps` steps of length h/substeps (fixed sub-stepping within one control period).
@inline(__always)
public func integrate<V: SIMD>(
    _ integrator: Integrator, position: inout V, velocity: inout V, timeStep h: Double, substeps: Int,
    acceleration: (V, V) -> V
) where V.Scalar == Double {
    let sub = h / Double(substeps)
    for _ in 0..<substeps {
        integrate(integrator, position: &position, velocity: &velocity, timeStep: sub, acceleration: acceleration)
    }
}
