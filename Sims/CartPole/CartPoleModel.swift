#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment

/// Which cart-pole task: Gymnasium's balance task or PCKit's swing-up variant (<doc:Tasks#Cart-pole-swing-up>).
public enum CartPoleTask: String, Sendable, Codable, CaseIterable {
    /// CartPole-v1: explicit Euler at τ = 0.02 s, bang-bang force ±10 N, terminate at |x| > 2.4 m
    /// or |θ| > 12°, +1 per step.
    case balance
    /// Swing-up: RK4 at 0.01 s, continuous force 10·clip(a, −1, 1) N, track ±1.8 m with an
    /// inelastic stop, pole starting down, dm_control's smooth reward, no termination.
    case swingUp
}

/// How the action a ∈ [−1, 1] becomes the force on the cart.
public enum CartPoleForce: String, Sendable, Codable {
    /// F = +forceMagnitude when a ≥ 0, −forceMagnitude otherwise (Gymnasium's action 1 ↔ a = +1, 0 ↔ a = −1).
    case bangBang
    /// F = forceMagnitude·clip(a, −1, 1).
    case continuous
}

/// The parameters and the exact transition of the cart-pole (Barto, Sutton & Anderson 1983, as
/// coded in Gymnasium's `cartpole.py`).
///
/// State x = (x, ẋ, θ, θ̇): cart position (m) and velocity, pole angle from upright (rad,
/// clockwise positive as in Gymnasium) and its rate. With M = m_c + m_p and F the force:
/// ```text
/// temp = (F + m_p l θ̇² sin θ)/M
/// θ̈ = (g sin θ − cos θ·temp) / (l (4/3 − m_p cos²θ / M))
/// ẍ = temp − m_p l θ̈ cos θ / M
/// ```
/// evaluated in Gymnasium's order (l is half the pole length).
public struct CartPoleModel: TransitionModel, Sendable, Equatable {
    /// The task (integrator, force, track, reward).
    public let task: CartPoleTask
    /// The action-to-force mapping.
    public let force: CartPoleForce
    /// g, m/s².
    public let gravity: Double
    /// m_c, kg.
    public let cartMass: Double
    /// m_p, kg.
    public let poleMass: Double
    /// l, half the pole's length, m.
    public let halfLength: Double
    /// Largest force magnitude, N.
    public let forceMagnitude: Double
    /// Step length, s (0.02 for balance, 0.01 for swing-up).
    public let timeStep: Double
    /// Balance: |x| beyond this terminates (2.4 m). Swing-up: the track's half-length (1.8 m).
    public let trackLimit: Double
    /// Balance: |θ| beyond this terminates (12° = 0.20944 rad).
    public let angleLimit: Double

    let totalMass: Double
    let poleMassLength: Double

    /// Creates a model; the defaults give CartPole-v1 for `.balance` and PCKit's swing-up (<doc:Tasks#Cart-pole-swing-up>) for `.swingUp`.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for non-positive masses, lengths, force or step.
    public init(task: CartPoleTask = .balance, force: CartPoleForce? = nil, gravity: Double = 9.8,
                cartMass: Double = 1.0, poleMass: Double = 0.1, halfLength: Double = 0.5,
                forceMagnitude: Double = 10.0, timeStep: Double? = nil) throws {
        let step = timeStep ?? (task == .balance ? 0.02 : 0.01)
        for (name, value) in [("cartMass", cartMass), ("poleMass", poleMass), ("halfLength", halfLength),
                              ("forceMagnitude", forceMagnitude), ("timeStep", step)] where !(value.isFinite && value > 0) {
            throw EnvironmentError.invalidConfiguration("CartPole \(name) must be finite and positive, got \(value)")
        }
        guard gravity.isFinite else { throw EnvironmentError.invalidConfiguration("CartPole gravity \(gravity)") }
        self.task = task
        self.force = force ?? (task == .balance ? .bangBang : .continuous)
        self.gravity = gravity
        self.cartMass = cartMass
        self.poleMass = poleMass
        self.halfLength = halfLength
        self.forceMagnitude = forceMagnitude
        self.timeStep = step
        self.trackLimit = task == .balance ? 2.4 : 1.8
        self.angleLimit = 12 * 2 * Double.pi / 360
        // Gymnasium: total_mass = masspole + masscart; polemass_length = masspole * length.
        self.totalMass = poleMass + cartMass
        self.poleMassLength = poleMass * halfLength
    }

    /// CartPole-v1.
    public static let balance = try! CartPoleModel(task: .balance)
    /// PCKit's swing-up variant (<doc:Tasks#Cart-pole-swing-up>).
    public static let swingUp = try! CartPoleModel(task: .swingUp)

    public var stateDimension: Int { 4 }
    public var actionDimension: Int { 1 }

    /// The force F (N) for the action a.
    @inline(__always)
    public func appliedForce(_ action: Double) -> Double {
        switch force {
        case .bangBang: action >= 0 ? forceMagnitude : -forceMagnitude
        case .continuous: forceMagnitude * clamped(action, -1, 1)
        }
    }

    /// (ẍ, θ̈) at angle θ and rate θ̇ under force F.
    @inline(__always)
    public func acceleration(angle: Double, angularVelocity: Double, force: Double) -> SIMD2<Double> {
        let cosine = cos(angle), sine = sin(angle)
        let temp = (force + poleMassLength * (angularVelocity * angularVelocity) * sine) / totalMass
        let angular = (gravity * sine - cosine * temp)
            / (halfLength * (4.0 / 3.0 - poleMass * (cosine * cosine) / totalMass))
        let linear = temp - poleMassLength * angular * cosine / totalMass
        return SIMD2(linear, angular)
    }

    /// Whether the balance task's failure region is reached (never for swing-up).
    @inline(__always)
    public func isTerminal(position: Double, angle: Double) -> Bool {
        task == .balance && (position < -trackLimit || position > trackLimit || angle < -angleLimit || angle > angleLimit)
    }

    /// One step: (x, ẋ, θ, θ̇) → (x′, ẋ′, θ′, θ̇′) under action a.
    @inline(__always)
    public func advance(_ state: SIMD4<Double>, action: Double) -> SIMD4<Double> {
        let f = appliedForce(action)
        var position = SIMD2(state[0], state[2])   // (x, θ)
        var velocity = SIMD2(state[1], state[3])   // (ẋ, θ̇)
        // Balance: Gymnasium's explicit Euler; swing-up: RK4 (closures written inline so they stay on the stack).
        switch task {
        case .balance:
            integrate(.explicitEuler, position: &position, velocity: &velocity, timeStep: timeStep) { q, v in
                acceleration(angle: q[1], angularVelocity: v[1], force: f)
            }
        case .swingUp:
            integrate(.rk4, position: &position, velocity: &velocity, timeStep: timeStep) { q, v in
                acceleration(angle: q[1], angularVelocity: v[1], force: f)
            }
            // Inelastic end stops of the track.
            if position[0] > trackLimit { position[0] = trackLimit; velocity[0] = 0 }
            if position[0] < -trackLimit { position[0] = -trackLimit; velocity[0] = 0 }
        }
        return SIMD4(position[0], velocity[0], position[1], velocity[1])
    }

    /// The step's reward. Balance: 1 if the pre-step state is not terminal, else 0 (Gymnasium's
    /// rule until an episode first terminates). Swing-up: dm_control's smooth reward on the
    /// post-step state and the clipped action, in [0, 1]:
    /// ```text
    /// upright = (cos θ + 1)/2;  centered = (1 + 0.1^((x/2)²))/2;
    /// smallControl = (4 + max(0, 1 − a²))/5;  smallVelocity = (1 + 0.1^((θ̇/5)²))/2
    /// ```
    @inline(__always)
    public func reward(before: SIMD4<Double>, action: Double, after: SIMD4<Double>) -> Double {
        switch task {
        case .balance:
            return isTerminal(position: before[0], angle: before[2]) ? 0 : 1
        case .swingUp:
            let a = clamped(action, -1, 1)
            let upright = (cos(after[2]) + 1) / 2
            let centered = (1 + pow(0.1, (after[0] / 2) * (after[0] / 2))) / 2
            let smallControl = (4 + max(0, 1 - a * a)) / 5
            let smallVelocity = (1 + pow(0.1, (after[3] / 5) * (after[3] / 5))) / 2
            return upright * smallControl * smallVelocity * centered
        }
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let after = advance(SIMD4(state[0], state[1], state[2], state[3]), action: action[0])
        for i in 0..<4 { next[i] = after[i] }
    }

    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        reward(before: SIMD4(state[0], state[1], state[2], state[3]), action: action[0],
               after: SIMD4(next[0], next[1], next[2], next[3]))
    }
}
