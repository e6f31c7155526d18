#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension KinematicHierarchy {
    /// Fills the kinematic errors and ∂F/∂θ, ∂F/∂θ′, ∂F/∂e (see the type's F); returns F.
    mutating func computeGradients() -> Double {
        let n = linkCount, o = options
        var energy = 0.0
        for k in 0..<extrinsicGradient.count { extrinsicGradient[k] = 0 }
        // Kinematic links: ε_ℓ = e_ℓ − g_ext(e_{ℓ−1}, θ_ℓ), sent to e_ℓ, e_{ℓ−1} and θ_ℓ.
        for l in 1...n {
            let p = (extrinsic[3 * (l - 1)], extrinsic[3 * (l - 1) + 1], extrinsic[3 * (l - 1) + 2])
            let phi = p.2 + angles[l - 1]
            let length = lengths[l - 1]
            let s = length * sin(phi), c = length * cos(phi)
            let ex = extrinsic[3 * l] - (p.0 + c)
            let ey = extrinsic[3 * l + 1] - (p.1 + s)
            let ephi = extrinsic[3 * l + 2] - phi
            kinematicError[3 * l] = ex; kinematicError[3 * l + 1] = ey; kinematicError[3 * l + 2] = ephi
            let w = o.extrinsicPrecision
            energy += 0.5 * w * (ex * ex + ey * ey + ephi * ephi)
            extrinsicGradient[3 * l] += w * ex
            extrinsicGradient[3 * l + 1] += w * ey
            extrinsicGradient[3 * l + 2] += w * ephi
            // −Jᵀ π ε: columns (x_{ℓ−1}, y_{ℓ−1}, φ_{ℓ−1}, θ_ℓ) of KinematicLink.jacobian.
            let angleTerm = w * (-s * ex + c * ey + ephi)
            if l > 1 {
                extrinsicGradient[3 * (l - 1)] -= w * ex
                extrinsicGradient[3 * (l - 1) + 1] -= w * ey
                extrinsicGradient[3 * (l - 1) + 2] -= angleTerm
            }
            angleGradient[l - 1] = -angleTerm
        }
        for i in 0..<n {
            // Proprioception.
            let e = sensedAngles[i] - angles[i]
            energy += 0.5 * o.proprioceptivePrecision * e * e
            angleGradient[i] -= o.proprioceptivePrecision * e
            // Joint limits as an attractor on θ′: f = k_lim(clamp(θ) − θ), f′ = −k_lim outside the limits.
            var pull = 0.0, slope = 0.0
            if let low = o.lowerLimits?[i], angles[i] < low { pull = o.limitGain * (low - angles[i]); slope = -o.limitGain }
            if let high = o.upperLimits?[i], angles[i] > high { pull = o.limitGain * (high - angles[i]); slope = -o.limitGain }
            let d = angularVelocities[i] - pull
            energy += 0.5 * o.intrinsicPrecision * d * d
            angleGradient[i] -= o.intrinsicPrecision * d * slope
            angleVelocityGradient[i] = o.intrinsicPrecision * d
        }
        // Vision of the end effector.
        let end = 3 * n
        if o.visualPrecision > 0 {
            let vx = seenTip.x - extrinsic[end], vy = seenTip.y - extrinsic[end + 1]
            energy += 0.5 * o.visualPrecision * (vx * vx + vy * vy)
            extrinsicGradient[end] -= o.visualPrecision * vx
            extrinsicGradient[end + 1] -= o.visualPrecision * vy
        }
        // The intention: ∂/∂p_N of ½π_μ‖p′ − k(i − p)‖² = π_μ k (p′ − k(i − p)).
        let k = o.intentionGain
        let dx = extrinsicVelocity[end] - k * (target.x - extrinsic[end])
        let dy = extrinsicVelocity[end + 1] - k * (target.y - extrinsic[end + 1])
        energy += 0.5 * o.intentionPrecision * (dx * dx + dy * dy)
        extrinsicGradient[end] += o.intentionPrecision * k * dx
        extrinsicGradient[end + 1] += o.intentionPrecision * k * dy
        return energy
    }
}
