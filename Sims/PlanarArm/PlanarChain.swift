import PCEnvironment

/// One rigid link of a planar chain, hinged to its parent (or the base) at its start.
public struct PlanarLink: Sendable, Equatable, Codable {
    /// Distance from this link's joint to the next joint (or the end effector), m.
    public var length: Double
    /// Mass, kg.
    public var mass: Double
    /// Distance of the centre of mass from the joint, along the link, m.
    public var centerOfMass: Double
    /// Moment of inertia about the centre of mass, perpendicular to the plane, kg·m².
    public var inertia: Double
    /// Viscous damping of the joint, N·m·s/rad (torque −damping·q̇).
    public var damping: Double
    /// Reflected rotor inertia added to the joint's diagonal of the mass matrix (MuJoCo's armature), kg·m².
    public var armature: Double
    /// Lowest joint angle, rad (−∞ for none); relative to the parent link.
    public var lowerLimit: Double
    /// Highest joint angle, rad (+∞ for none).
    public var upperLimit: Double

    public init(length: Double, mass: Double, centerOfMass: Double? = nil, inertia: Double? = nil,
                damping: Double = 0, armature: Double = 0,
                lowerLimit: Double = -.infinity, upperLimit: Double = .infinity) {
        self.length = length
        self.mass = mass
        self.centerOfMass = centerOfMass ?? length / 2
        self.inertia = inertia ?? mass * length * length / 12
        self.damping = damping
        self.armature = armature
        self.lowerLimit = lowerLimit
        self.upperLimit = upperLimit
    }

    /// A uniform thin rod: centre of mass at the middle, I = m L²/12.
    public static func rod(length: Double, mass: Double, damping: Double = 0) -> PlanarLink {
        PlanarLink(length: length, mass: mass, damping: damping)
    }
}

/// A serial chain of 1…8 revolute joints moving in the (x, y) plane: the model of ``PlanarArm``.
///
/// Joint k turns link k by qₖ relative to link k − 1 (link 0 relative to the +x axis), so the
/// absolute angle of link i is φᵢ = q₀ + … + qᵢ. Gravity g acts along −y (set g = 0 for a
/// horizontal arm such as Reacher's). The equations of motion are
/// ```text
/// (M(q) + diag(armature)) q̈ = τ − C(q, q̇) q̇ − G(q) − D q̇
/// ```
/// with M from the link Jacobians (composite form), C q̇ + G from recursive Newton–Euler, and
/// q̈ by a Cholesky solve. Vectors are `SIMD8<Double>` with lanes ≥ n zero.
public struct PlanarChain: Sendable, Equatable {
    /// The largest number of links.
    public static let maximumLinks = 8

    /// The links, base first, (linkCount).
    public let links: [PlanarLink]
    /// g, m/s², acting along −y.
    public let gravity: Double
    /// Number of links n.
    public let linkCount: Int

    // Lane-wise copies of the link parameters (lanes ≥ n are zero, limits ±∞).
    let length: SIMD8<Double>
    let mass: SIMD8<Double>
    let centerOfMass: SIMD8<Double>
    let inertia: SIMD8<Double>
    let damping: SIMD8<Double>
    let armature: SIMD8<Double>
    let lowerLimit: SIMD8<Double>
    let upperLimit: SIMD8<Double>
    /// Whether any joint has a finite limit.
    let hasLimits: Bool

    /// Creates a chain.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for 0 or more than 8 links, a
    ///   non-positive length, a negative mass, inertia, damping or armature, a singular link
    ///   (mass and inertia both zero with no armature), or lowerLimit ≥ upperLimit.
    public init(links: [PlanarLink], gravity: Double = 9.81) throws {
        guard (1...Self.maximumLinks).contains(links.count) else {
            throw EnvironmentError.invalidConfiguration("a planar chain has 1…8 links, got \(links.count)")
        }
        guard gravity.isFinite else { throw EnvironmentError.invalidConfiguration("gravity \(gravity)") }
        var length = SIMD8<Double>(), mass = SIMD8<Double>(), com = SIMD8<Double>(), inertia = SIMD8<Double>()
        var damping = SIMD8<Double>(), armature = SIMD8<Double>()
        var lower = SIMD8<Double>(repeating: -.infinity), upper = SIMD8<Double>(repeating: .infinity)
        for (i, link) in links.enumerated() {
            let values = [link.length, link.mass, link.centerOfMass, link.inertia, link.damping, link.armature]
            guard values.allSatisfy(\.isFinite), link.length > 0, link.mass >= 0, link.inertia >= 0,
                  link.damping >= 0, link.armature >= 0 else {
                throw EnvironmentError.invalidConfiguration("link \(i) has invalid parameters: \(link)")
            }
            guard link.mass + link.inertia + link.armature > 0 else {
                throw EnvironmentError.invalidConfiguration("link \(i) has no mass, inertia or armature")
            }
            guard !link.lowerLimit.isNaN, !link.upperLimit.isNaN, link.lowerLimit < link.upperLimit else {
                throw EnvironmentError.invalidConfiguration("link \(i): joint limits [\(link.lowerLimit), \(link.upperLimit)]")
            }
            length[i] = link.length; mass[i] = link.mass; com[i] = link.centerOfMass; inertia[i] = link.inertia
            damping[i] = link.damping; armature[i] = link.armature
            lower[i] = link.lowerLimit; upper[i] = link.upperLimit
        }
        self.links = links
        self.gravity = gravity
        self.linkCount = links.count
        self.length = length
        self.mass = mass
        self.centerOfMass = com
        self.inertia = inertia
        self.damping = damping
        self.armature = armature
        self.lowerLimit = lower
        self.upperLimit = upper
        self.hasLimits = links.contains { $0.lowerLimit.isFinite || $0.upperLimit.isFinite }
    }

    /// n identical uniform rods, the test chains of the physics suite.
    public static func uniformRods(count: Int, length: Double = 1, mass: Double = 1,
                                   gravity: Double = 9.81) throws -> PlanarChain {
        try PlanarChain(links: Array(repeating: .rod(length: length, mass: mass), count: count), gravity: gravity)
    }

    /// Total reach Σ Lᵢ, m.
    public var reach: Double { links.reduce(0) { $0 + $1.length } }
}
