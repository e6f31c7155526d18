/// Reflex control by active inference in generalized coordinates of order 2 (<doc:ReflexControl>).
///
/// Per joint, the sensors are y = (q, q̇) and the belief is μ̃ = (μ, μ′, μ″).
///
/// **AIC** (Pezzato et al. 2020), attractor f(μ) = k(μ_d − μ) (k = 1 in the paper):
/// ```text
/// F = ½Π_q(q−μ)² + ½Π_q̇(q̇−μ′)² + ½Π_μ(μ′ − k(μ_d−μ))² + ½Π_μ′(μ″ + kμ′)²
/// μ̃ ← μ̃ + h(Dμ̃ − κ_μ ∂F/∂μ̃),        u ← u − h κ_a [Π_q̇(q̇−μ′) + Π_q(q−μ)]
/// ```
/// The action is the reflex arc ȧ = −κ_a (∂ỹ/∂a)ᵀ Π̃_y ε̃_y with ∂ỹ/∂a = I (<doc:ReflexControl#AIC>).
///
/// **Unbiased AIC** (Baioumy et al.): the goal leaves the perception prior, which becomes the
/// previous estimate propagated one tick:
/// ```text
/// F = ½Π_q(q−μ)² + ½Π_q̇(q̇−μ′)² + ½Π_μ(μ − μ_past − hμ′_past)² + ½Π_μ′(μ′ − μ′_past)²
/// μ ← μ − hκ_μ ∂F/∂μ,  μ′ ← μ′ − hκ_μ ∂F/∂μ′,   I ← clip(I + (μ_d − μ), ±I_max)
/// u = K_p(μ_d − μ) − K_d μ′ + K_i I
/// ```
/// Both start from μ = q, μ′ = q̇, μ″ = 0, u = 0 at the first observation after ``reset(seed:)``.
/// The per-step cost is O(J) with no allocation.
public struct ReflexController: Agent {
    /// The validated options.
    public let options: ReflexControllerOptions
    /// μ, μ′, μ″ per joint, (J) each.
    public internal(set) var position: [Double], velocity: [Double], acceleration: [Double]
    /// The action u (torque), (J).
    public private(set) var torque: [Double]
    /// The unbiased AIC's integral I, (J).
    public private(set) var integral: [Double]
    /// The decoded sensors (q (J), q̇ (J)).
    var sensors: [Double]
    private var initialised = false
    private var observationValid = false
    private var diagnostics = StepDiagnostics()

    /// - Throws: ``AgentConfigurationError`` naming a bad field.
    public init(options: ReflexControllerOptions) throws {
        try options.validate()
        self.options = options
        let j = options.jointCount
        position = [Double](repeating: 0, count: j)
        velocity = position; acceleration = position; torque = position; integral = position
        sensors = [Double](repeating: 0, count: 2 * j)
    }

    public var observationDimension: Int { options.observation.observationDimension }
    public var actionDimension: Int { options.jointCount }

    public mutating func reset(seed: UInt64) {
        // Deterministic: the seed is accepted for the protocol, no random draws are made.
        initialised = false
        for i in 0..<options.jointCount { position[i] = 0; velocity[i] = 0; acceleration[i] = 0; torque[i] = 0; integral[i] = 0 }
        diagnostics = StepDiagnostics()
    }

    public mutating func perceive(_ observation: [Double]) {
        diagnostics = StepDiagnostics(iterations: 1)
        observationValid = sensors.withUnsafeMutableBufferPointer { options.observation.decode(observation, into: $0.baseAddress!) }
        guard observationValid else {
            diagnostics.warnings.insert(.invalidObservation)
            return
        }
        let j = options.jointCount
        if !initialised {
            for i in 0..<j { position[i] = sensors[i]; velocity[i] = sensors[j + i]; acceleration[i] = 0 }
            initialised = true
        }
        let h = options.controlPeriod, kappa = options.perceptionGain
        for i in 0..<j {
            let q = sensors[i], qdot = sensors[j + i]
            let g = gradient(joint: i, q: q, qdot: qdot)
            switch options.variant {
            case .aic:
                // μ̃ ← μ̃ + h(Dμ̃ − κ_μ ∂F/∂μ̃), all orders from the same old values.
                let (mu, mu1, mu2) = (position[i], velocity[i], acceleration[i])
                position[i] = mu + h * (mu1 - kappa * g.0)
                velocity[i] = mu1 + h * (mu2 - kappa * g.1)
                acceleration[i] = mu2 + h * (-kappa * g.2)
            case .unbiased:
                position[i] -= h * kappa * g.0
                velocity[i] -= h * kappa * g.1
            }
        }
        diagnostics.freeEnergy = freeEnergyOfSensors()
        // Numerical trouble: restart the belief from the sensors and drop the integral.
        if !diagnostics.freeEnergy.isFinite {
            diagnostics.warnings.insert(.divergence)
            for i in 0..<j { position[i] = sensors[i]; velocity[i] = sensors[j + i]; acceleration[i] = 0; integral[i] = 0 }
            diagnostics.freeEnergy = freeEnergyOfSensors()
        }
    }

    public mutating func plan() {}

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == actionDimension,
                     "ReflexController.act: action buffer holds \(action.count) values, expected \(actionDimension)")
        let j = options.jointCount, h = options.controlPeriod
        guard observationValid else {
            // Hold the last torque: the safest command for a reflex loop without a fresh reading.
            for i in 0..<j { action[i] = min(max(torque[i], options.actionLower[i]), options.actionUpper[i]) }
            return diagnostics
        }
        for i in 0..<j {
            let q = sensors[i], qdot = sensors[j + i]
            switch options.variant {
            case .aic:
                torque[i] -= h * options.actionGain[i]
                    * (options.velocitySensoryPrecision[i] * (qdot - velocity[i]) + options.sensoryPrecision[i] * (q - position[i]))
            case .unbiased:
                let error = options.goal[i] - position[i]
                integral[i] = min(max(integral[i] + error, -options.integralLimit[i]), options.integralLimit[i])
                torque[i] = options.proportionalGain[i] * error - options.derivativeGain[i] * velocity[i]
                    + options.integralGain[i] * integral[i]
            }
            if !torque[i].isFinite { torque[i] = 0; diagnostics.warnings.insert(.divergence) }
            torque[i] = min(max(torque[i], options.actionLower[i]), options.actionUpper[i])
            action[i] = torque[i]
        }
        return diagnostics
    }
}
