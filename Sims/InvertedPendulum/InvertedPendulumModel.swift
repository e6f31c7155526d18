#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// A rigid pole hinged on a damped cart, rebuilt from Gymnasium's InvertedPendulum-v5 geometry
/// (`assets/inverted_pendulum.xml`, <doc:Tasks#Inverted-pendulum>) with PCKit's own integrator: returns are
/// comparable to MuJoCo's only approximately (MuJoCo's soft joint limits and contact solver differ).
///
/// State (x, θ, ẋ, θ̇) in MuJoCo's qpos/qvel order: cart position (m), pole angle from upright
/// (rad, positive tilts the pole towards +x). With cart mass M, pole mass m, pole centre of mass
/// at lc from the hinge, pole inertia I about its centre and joint damping d_x, d_θ:
/// ```text
/// [ M + m         m lc cos θ  ] [ẍ]   [ F + m lc θ̇² sin θ − d_x ẋ ]
/// [ m lc cos θ    m lc² + I   ] [θ̈] = [ m g lc sin θ − d_θ θ̇      ]
/// ```
/// F = gear·clip(a, −3, 3). Each step runs `substeps` RK4 steps of `timeStep/substeps`; the
/// slider stops inelastically at ±1 m.
public struct InvertedPendulumModel: TransitionModel, Sendable, Equatable {
    /// Cart mass M, kg (capsule r = 0.1, half-length 0.1 at 1000 kg/m³: 10.47).
    public let cartMass: Double
    /// Pole mass m, kg (capsule r = 0.049, length 0.6: 5.02).
    public let poleMass: Double
    /// Hinge-to-centre distance lc, m (0.3).
    public let poleCenterOfMass: Double
    /// Pole inertia about its centre, perpendicular to the plane, kg·m² (MuJoCo's capsule formula).
    public let poleInertia: Double
    /// Viscous damping of the slider (N·s/m) and of the hinge (N·m·s/rad), both 1.
    public let cartDamping: Double, poleDamping: Double
    /// g, m/s² (9.81).
    public let gravity: Double
    /// Force per unit action, N (100); actions are clipped to ±controlLimit (3).
    public let gear: Double, controlLimit: Double
    /// Slider range ±trackLimit, m (1).
    public let trackLimit: Double
    /// Control period, s (0.04 = 0.02 × frame skip 2), and RK4 steps per period (2).
    public let timeStep: Double, substeps: Int

    /// InvertedPendulum-v5's geometry and actuation; damping, gravity and the RK4 steps per 0.04 s
    /// period may be changed (tests use zero damping and finer steps to check energy conservation).
    public init(cartDamping: Double = 1, poleDamping: Double = 1, gravity: Double = 9.81, substeps: Int = 2) {
        precondition(substeps >= 1, "InvertedPendulumModel needs at least one substep")
        let density = 1000.0
        // Cart: capsule of radius 0.1 and half-length 0.1.
        cartMass = density * (Double.pi * 0.1 * 0.1 * 0.2 + 4.0 / 3.0 * Double.pi * pow(0.1, 3))
        // Pole: capsule of radius 0.049 and length 0.6 (the 0.001 m x-offset of its end is ignored).
        let r = 0.049, h = 0.6
        let cylinder = density * Double.pi * r * r * h
        let hemisphere = density * 2.0 / 3.0 * Double.pi * r * r * r
        poleMass = cylinder + 2 * hemisphere
        poleCenterOfMass = h / 2
        // Perpendicular inertia about the centre: cylinder m(3r² + h²)/12, each hemisphere
        // (83/320) m r² about its own centre, shifted by h/2 + 3r/8.
        let shift = h / 2 + 3 * r / 8
        poleInertia = cylinder * (3 * r * r + h * h) / 12 + 2 * hemisphere * (83.0 / 320.0 * r * r + shift * shift)
        self.cartDamping = cartDamping
        self.poleDamping = poleDamping
        self.gravity = gravity
        gear = 100
        controlLimit = 3
        trackLimit = 1
        timeStep = 0.04
        self.substeps = substeps
    }

    public static let gymnasium = InvertedPendulumModel()

    public var stateDimension: Int { 4 }
    public var actionDimension: Int { 1 }

    /// (ẍ, θ̈) for angle θ, velocities (ẋ, θ̇) and force F.
    @inline(__always)
    public func acceleration(angle: Double, velocity: SIMD2<Double>, force: Double) -> SIMD2<Double> {
        let c = cos(angle), s = sin(angle)
        let ml = poleMass * poleCenterOfMass
        let a11 = cartMass + poleMass, a12 = ml * c, a22 = ml * poleCenterOfMass + poleInertia
        let b1 = force + ml * velocity[1] * velocity[1] * s - cartDamping * velocity[0]
        let b2 = ml * gravity * s - poleDamping * velocity[1]
        let determinant = a11 * a22 - a12 * a12
        return SIMD2((a22 * b1 - a12 * b2) / determinant, (a11 * b2 - a12 * b1) / determinant)
    }

    /// One control period from (x, θ, ẋ, θ̇).
    @inline(__always)
    public func advance(_ state: SIMD4<Double>, action: Double) -> SIMD4<Double> {
        let force = gear * min(max(action, -controlLimit), controlLimit)
        var q = SIMD2(state[0], state[1]), v = SIMD2(state[2], state[3])
        let h = timeStep / Double(substeps)
        for _ in 0..<substeps {
            integrate(.rk4, position: &q, velocity: &v, timeStep: h) { q, v in
                acceleration(angle: q[1], velocity: v, force: force)
            }
            if q[0] > trackLimit { q[0] = trackLimit; v[0] = min(v[0], 0) }
            if q[0] < -trackLimit { q[0] = -trackLimit; v[0] = max(v[0], 0) }
        }
        return SIMD4(q[0], q[1], v[0], v[1])
    }

    /// |θ| > 0.2 rad or a non-finite state.
    @inline(__always)
    public func isTerminal(_ state: SIMD4<Double>) -> Bool {
        !(state[0].isFinite && state[1].isFinite && state[2].isFinite && state[3].isFinite) || abs(state[1]) > 0.2
    }

    /// Total energy ½ẋᵀ(mass matrix)ẋ + m g lc cos θ, J (for tests).
    public func energy(_ state: SIMD4<Double>) -> Double {
        let ml = poleMass * poleCenterOfMass
        let xd = state[2], td = state[3]
        let kinetic = 0.5 * (cartMass + poleMass) * xd * xd + ml * cos(state[1]) * xd * td
            + 0.5 * (ml * poleCenterOfMass + poleInertia) * td * td
        return kinetic + ml * gravity * cos(state[1])
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let after = advance(SIMD4(state[0], state[1], state[2], state[3]), action: action[0])
        for i in 0..<4 { next[i] = after[i] }
    }

    /// 1 unless the step ends terminal (v5), then 0.
    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        isTerminal(SIMD4(next[0], next[1], next[2], next[3])) ? 0 : 1
    }
}
