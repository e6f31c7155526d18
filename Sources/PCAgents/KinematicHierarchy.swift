/// Hierarchical kinematic inference for N-link arm reaching (<doc:KinematicReaching>, after Priorelli & Stoianov).
///
/// Each joint ℓ holds an intrinsic belief θ_ℓ (with velocity θ′_ℓ) and an extrinsic belief
/// e_ℓ = (p_ℓ, φ_ℓ) (with velocity e′_ℓ); the base e₀ = (0, 0, φ₀) is fixed. Positions are divided
/// by the total length L. The free energy:
/// ```text
/// F = Σ_ℓ ½π_ext‖e_ℓ − g_ext(e_{ℓ−1}, θ_ℓ)‖²                 kinematic links (``KinematicLink``)
///   + ½π_prop‖y_q − θ‖² + ½π_vis‖y_tip − p_N‖²                proprioception, vision
///   + ½π_μ‖p′_N − k_ext(i − p_N)‖²                             the intention: reach the target i
///   + ½π_lim‖θ′ − k_lim(clamp(θ, θ_min, θ_max) − θ)‖²          joint limits as an attractor
/// ```
/// Perception is the generalized-coordinate Euler step μ̃ ← μ̃ + dt(Dμ̃ − κ ∂F/∂μ̃) on all beliefs; the kinematic errors
/// reach θ_ℓ and e_{ℓ−1} through the Jacobian of g_ext. Action (velocity level) is the reflex that
/// cancels the predicted proprioceptive error: a = clip(θ′ + k_a(θ − y_q)/dt, ±a_max).
///
/// Observation: (q (N), target (2), seen end effector (2)) — `KinematicArm`'s layout; the target sets
/// the intention i and the seen end effector is used when π_vis > 0. Action: joint velocities (N),
/// for a plant q ← clamp(q + dt·a).
public struct KinematicHierarchy: Agent {
    public let options: KinematicHierarchyOptions
    public let linkCount: Int
    let scale: Double
    let lengths: [Double]
    /// θ, θ′, (N) each.
    public internal(set) var angles: [Double], angularVelocities: [Double]
    /// e_ℓ = (x, y, φ) for ℓ = 0…N (normalised positions), (3(N+1)); e′ likewise.
    var extrinsic: [Double], extrinsicVelocity: [Double]
    var kinematicError: [Double]
    var angleGradient: [Double], angleVelocityGradient: [Double], extrinsicGradient: [Double]
    var sensedAngles: [Double]
    var target = (x: 0.0, y: 0.0), seenTip = (x: 0.0, y: 0.0)
    var initialised = false, valid = false
    var diagnostics = StepDiagnostics()

    /// - Throws: ``AgentConfigurationError`` naming a bad field.
    public init(options: KinematicHierarchyOptions) throws {
        try options.validate()
        self.options = options
        linkCount = options.lengths.count
        scale = options.lengths.reduce(0, +)
        lengths = options.lengths.map { $0 / options.lengths.reduce(0, +) }
        let n = linkCount
        angles = [Double](repeating: 0, count: n)
        angularVelocities = angles; angleGradient = angles; angleVelocityGradient = angles; sensedAngles = angles
        extrinsic = [Double](repeating: 0, count: 3 * (n + 1))
        extrinsicVelocity = extrinsic; kinematicError = extrinsic; extrinsicGradient = extrinsic
    }

    public var observationDimension: Int { linkCount + 4 }
    public var actionDimension: Int { linkCount }

    /// The believed end-effector position, in the options' length unit.
    public var believedEndEffector: (x: Double, y: Double) {
        (scale * extrinsic[3 * linkCount], scale * extrinsic[3 * linkCount + 1])
    }

    public mutating func reset(seed: UInt64) {
        // Deterministic agent: no random draws.
        initialised = false
        diagnostics = StepDiagnostics()
    }

    public mutating func perceive(_ observation: [Double]) {
        diagnostics = StepDiagnostics(iterations: 1)
        let n = linkCount
        valid = observation.count == observationDimension
        for k in 0..<observation.count where !observation[k].isFinite { valid = false }
        guard valid else {
            diagnostics.warnings.insert(.invalidObservation)
            return
        }
        for i in 0..<n { sensedAngles[i] = observation[i] }
        target = (observation[n] / scale, observation[n + 1] / scale)
        seenTip = (observation[n + 2] / scale, observation[n + 3] / scale)
        if !initialised { initialiseBelief() }
        var energy = 0.0
        for _ in 0..<options.inferenceSteps {
            energy = perceptionStep()
        }
        diagnostics.iterations = options.inferenceSteps
        diagnostics.freeEnergy = energy
        if !energy.isFinite {
            diagnostics.warnings.insert(.divergence)
            initialiseBelief()
        }
    }

    /// One Euler step of perception (<doc:KinematicReaching#Perception-and-action>), μ̃ ← μ̃ + dt(Dμ̃ − κ∂F/∂μ̃), on every belief (e₀ stays clamped); returns F before the step.
    private mutating func perceptionStep() -> Double {
        let n = linkCount
        let energy = computeGradients()
        let dt = options.timeStep, kappa = options.perceptionGain
        for i in 0..<n {
            angles[i] += dt * (angularVelocities[i] - kappa * angleGradient[i])
            angularVelocities[i] -= dt * kappa * angleVelocityGradient[i]
        }
        let end = 3 * n
        for k in 3..<(3 * (n + 1)) { extrinsic[k] += dt * (extrinsicVelocity[k] - kappa * extrinsicGradient[k]) }
        // Only the end effector's position has a velocity prior (the intention).
        let (dx, dy) = intentionError()
        extrinsicVelocity[end] -= dt * kappa * options.intentionPrecision * dx
        extrinsicVelocity[end + 1] -= dt * kappa * options.intentionPrecision * dy
        return energy
    }

    public mutating func plan() {}

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == linkCount, "KinematicHierarchy.act: action buffer holds \(action.count) values, expected \(linkCount)")
        guard valid else {
            for i in 0..<linkCount { action[i] = 0 }
            return diagnostics
        }
        let limit = options.maximumVelocity
        for i in 0..<linkCount {
            let a = angularVelocities[i] + options.actionGain * (angles[i] - sensedAngles[i]) / options.timeStep
            action[i] = min(max(a, -limit), limit)
        }
        return diagnostics
    }

    /// θ = y_q, θ′ = 0, e = forward kinematics of θ (every error zero), e′ = 0.
    private mutating func initialiseBelief() {
        let n = linkCount
        for i in 0..<n { angles[i] = sensedAngles[i]; angularVelocities[i] = 0 }
        extrinsic[0] = 0; extrinsic[1] = 0; extrinsic[2] = options.baseOrientation
        for l in 1...n {
            let e = KinematicLink.predict(parent: parent(l), angle: angles[l - 1], length: lengths[l - 1])
            extrinsic[3 * l] = e.x; extrinsic[3 * l + 1] = e.y; extrinsic[3 * l + 2] = e.phi
        }
        for k in 0..<extrinsicVelocity.count { extrinsicVelocity[k] = 0 }
        initialised = true
    }

    @inline(__always)
    private func parent(_ l: Int) -> (x: Double, y: Double, phi: Double) {
        (extrinsic[3 * (l - 1)], extrinsic[3 * (l - 1) + 1], extrinsic[3 * (l - 1) + 2])
    }

    /// p′_N − k_ext(i − p_N), (2).
    private func intentionError() -> (Double, Double) {
        let end = 3 * linkCount, k = options.intentionGain
        return (extrinsicVelocity[end] - k * (target.x - extrinsic[end]),
                extrinsicVelocity[end + 1] - k * (target.y - extrinsic[end + 1]))
    }
}
