extension ReflexController {
    /// ∂F/∂(μ, μ′, μ″) of joint i at sensors (q, q̇) and the current belief (<doc:ReflexControl#AIC>; <doc:ReflexControl#Unbiased-AIC>, with
    /// μ_past, μ′_past the current belief, for the unbiased AIC, whose μ″ is unused and gets 0).
    func gradient(joint i: Int, q: Double, qdot: Double) -> (Double, Double, Double) {
        let o = options
        let (mu, mu1, mu2) = (position[i], velocity[i], acceleration[i])
        switch o.variant {
        case .aic:
            // Errors of the attractor f(μ) = k(μ_d − μ) and of its derivative f′ = −kμ′.
            let k = o.attractorGain
            let prior = mu1 - k * (o.goal[i] - mu)
            let prior1 = mu2 + k * mu1
            return (-o.sensoryPrecision[i] * (q - mu) + k * o.priorPrecision[i] * prior,
                    -o.velocitySensoryPrecision[i] * (qdot - mu1) + o.priorPrecision[i] * prior + k * o.velocityPriorPrecision[i] * prior1,
                    o.velocityPriorPrecision[i] * prior1)
        case .unbiased:
            // With μ_past = μ and μ′_past = μ′: μ − (μ_past + hμ′_past) = −hμ′ and μ′ − μ′_past = 0.
            return (-o.sensoryPrecision[i] * (q - mu) + o.priorPrecision[i] * (-o.controlPeriod * mu1),
                    -o.velocitySensoryPrecision[i] * (qdot - mu1),
                    0)
        }
    }

    /// F at the decoded sensors and the current belief, summed over joints (<doc:ReflexControl>, up to the log-precision constants).
    func freeEnergyOfSensors() -> Double {
        let j = options.jointCount
        var total = 0.0
        for i in 0..<j {
            total += freeEnergy(joint: i, q: sensors[i], qdot: sensors[j + i],
                                belief: (position[i], velocity[i], acceleration[i]), past: (position[i], velocity[i]))
        }
        return total
    }

    /// F of one joint for an arbitrary belief (μ, μ′, μ″) and, for the unbiased AIC, past belief (μ_past, μ′_past).
    public func freeEnergy(joint i: Int, q: Double, qdot: Double, belief: (Double, Double, Double),
                           past: (Double, Double)) -> Double {
        let o = options
        let (mu, mu1, mu2) = belief
        let sensory = 0.5 * o.sensoryPrecision[i] * (q - mu) * (q - mu)
            + 0.5 * o.velocitySensoryPrecision[i] * (qdot - mu1) * (qdot - mu1)
        switch o.variant {
        case .aic:
            let k = o.attractorGain
            let prior = mu1 - k * (o.goal[i] - mu), prior1 = mu2 + k * mu1
            return sensory + 0.5 * o.priorPrecision[i] * prior * prior + 0.5 * o.velocityPriorPrecision[i] * prior1 * prior1
        case .unbiased:
            let prior = mu - (past.0 + o.controlPeriod * past.1), prior1 = mu1 - past.1
            return sensory + 0.5 * o.priorPrecision[i] * prior * prior + 0.5 * o.velocityPriorPrecision[i] * prior1 * prior1
        }
    }

    /// The analytic ∂F/∂(μ, μ′, μ″) of joint i at sensors (q, q̇) and the current belief (past = current).
    public func freeEnergyGradient(joint i: Int, q: Double, qdot: Double) -> [Double] {
        let g = gradient(joint: i, q: q, qdot: qdot)
        return [g.0, g.1, g.2]
    }

    /// Overrides the belief of joint i (for tests and warm starts).
    public mutating func setBelief(joint i: Int, position mu: Double, velocity mu1: Double, acceleration mu2: Double) {
        position[i] = mu; velocity[i] = mu1; acceleration[i] = mu2
    }
}
