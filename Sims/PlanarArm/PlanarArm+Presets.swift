extension PlanarChain {
    /// Reacher-v5's arm (<doc:Tasks#Reacher>): two capsules of 0.1 m and radius 0.01 in the horizontal
    /// plane (g = 0), fingertip 0.11 m from the elbow; armature 1 and damping 1 on both joints; the
    /// elbow limited to ±3 rad. Masses and inertias are derived from the capsule geometry at MuJoCo's
    /// density 1000 kg/m³ (m = ρ(πr²L + 4πr³/3) ≈ 0.0356 kg, I ≈ m(3r² + L²)/12 about the centre),
    /// an approximation of MuJoCo's exact capsule inertia.
    public static let reacher: PlanarChain = {
        let radius = 0.01, length = 0.1
        let mass = 1000 * (Double.pi * radius * radius * length + 4 * Double.pi * radius * radius * radius / 3)
        let inertia = mass * (3 * radius * radius + length * length) / 12
        return try! PlanarChain(links: [
            PlanarLink(length: 0.1, mass: mass, centerOfMass: 0.05, inertia: inertia, damping: 1, armature: 1),
            PlanarLink(length: 0.11, mass: mass, centerOfMass: 0.05, inertia: inertia, damping: 1, armature: 1,
                       lowerLimit: -3, upperLimit: 3),
        ], gravity: 0)
    }()

    /// The 2-link test plant of the unbiased-AIC paper (<doc:Tasks#Two-link-test-plant>; cpezzato/unbiased_aic
    /// `RealrobotDynamics.m`): vertical plane, g = 9.81, q₁ from the horizontal, viscous
    /// D = diag(101.519, 103.8566), no joint limits.
    public static let unbiasedAICPlant = try! PlanarChain(links: [
        PlanarLink(length: 1.0446, mass: 2.1368, centerOfMass: 0.5451, inertia: 1.0209, damping: 101.519),
        PlanarLink(length: 1.0111, mass: 2.2418, centerOfMass: 0.5075, inertia: 1.0218, damping: 103.8566),
    ], gravity: 9.81)
}

extension PlanarArm {
    /// Reacher-v5 rebuilt on ``PlanarChain/reacher``: gear 200, a ∈ [−1, 1]², RK4 at 0.01 s with
    /// 2 sub-steps (Δt = 0.02 s), targets uniform on the disc of radius 0.2, start q ± 0.1 rad and
    /// q̇ ± 0.005 rad/s, reward −‖tip − target‖ − ‖a‖², 50 steps, Reacher's observation.
    public static func reacher(seed: UInt64 = 0) -> PlanarArm {
        let model = try! PlanarArmModel(chain: .reacher, timeStep: 0.02, substeps: 2, integrator: .rk4,
                                        gear: [200, 200], controlLimit: 1, controlCost: 1)
        let task = PlanarArmTask(startAngles: [0, 0], startAngleNoise: 0.1, startVelocityNoise: 0.005,
                                 targets: .disc(radius: 0.2), observation: .reacher, episodeSteps: 50)
        return try! PlanarArm(model: model, task: task, seed: seed)
    }

    /// The unbiased-AIC test plant (<doc:Tasks#Two-link-test-plant>): actions are joint torques in N·m without limits
    /// (gear 1, no clipping), explicit Euler at h = 1 ms, start q = (−π/2, 0) hanging down at
    /// rest, target the end effector at the goal μ_d = (−0.2, 0.3), joint-space observation (q, q̇),
    /// 10 s = 10 000 steps. Set ``isBlocked`` from 2 s to 5 s for the collision test; add sensor
    /// noise with ``ObservationNoise`` (σ = 0.001).
    public static func unbiasedAICPlant(seed: UInt64 = 0) -> PlanarArm {
        let model = try! PlanarArmModel(chain: .unbiasedAICPlant, timeStep: 0.001, substeps: 1,
                                        integrator: .explicitEuler, gear: [1, 1], controlLimit: .infinity,
                                        controlCost: 0)
        let task = PlanarArmTask(startAngles: [-Double.pi / 2, 0], startAngleNoise: 0, startVelocityNoise: 0,
                                 targets: .fixedJoints([-0.2, 0.3]), observation: .joints, episodeSteps: 10_000)
        return try! PlanarArm(model: model, task: task, seed: seed)
    }

    /// An n-link arm of uniform rods (each `length` m and `mass` kg, damping `damping`), with a
    /// reaching task to reachable random targets, gear `gear`, RK4 at `timeStep`.
    public static func rods(count: Int, length: Double = 1, mass: Double = 1, damping: Double = 0.5,
                            gravity: Double = 9.81, gear: Double = 20, timeStep: Double = 0.01,
                            episodeSteps: Int = 500, seed: UInt64 = 0) throws -> PlanarArm {
        let chain = try PlanarChain(links: Array(repeating: .rod(length: length, mass: mass, damping: damping), count: count),
                                    gravity: gravity)
        let model = try PlanarArmModel(chain: chain, timeStep: timeStep, gear: [Double](repeating: gear, count: count))
        let task = PlanarArmTask(startAngles: [Double](repeating: 0, count: count), targets: .reachable,
                                 episodeSteps: episodeSteps)
        return try PlanarArm(model: model, task: task, seed: seed)
    }
}
