#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Expected free energy of a sensing action (<doc:ActiveSensing#Expected-free-energy>): G(a) = pragmatic(a) − epistemic(a).
///
/// The outcome is the reading's mean o = x − p_a (target relative to the moved sensor); the goal
/// prior is N(o* = 0, Λ⁻¹ I), i.e. "the sensor on the target".
public enum ExpectedFreeEnergy {
    /// Linear-Gaussian epistemic value, y = x − p + v, v ~ N(0, R), belief covariance Σ (2 × 2):
    /// I(x; y | a) = ½ ln det(I + Σ R⁻¹), nats. Σ and R symmetric positive-definite, given as (xx, yy, xy).
    public static func gaussianEpistemic(covariance s: (xx: Double, yy: Double, xy: Double),
                                         noise r: (xx: Double, yy: Double, xy: Double)) -> Double {
        // det(I + ΣR⁻¹) = det(R + Σ)/det(R).
        let detR = r.xx * r.yy - r.xy * r.xy
        let detSum = (r.xx + s.xx) * (r.yy + s.yy) - (r.xy + s.xy) * (r.xy + s.xy)
        return 0.5 * log(detSum / detR)
    }

    /// Pragmatic value with o = x − p_a and goal N(0, Λ⁻¹ I): ½Λ‖μ − p_a‖² + ½Λ tr Σ.
    public static func pragmatic(meanX: Double, meanY: Double, sensorX: Double, sensorY: Double,
                                 covarianceTrace: Double, preferencePrecision: Double) -> Double {
        let dx = meanX - sensorX, dy = meanY - sensorY
        return 0.5 * preferencePrecision * (dx * dx + dy * dy + covarianceTrace)
    }

    /// Monte-Carlo epistemic value on a grid belief: H[b] − (1/M) Σ_m H[b | yᵐ, a], with xᵐ ~ b
    /// given as cell indices and yᵐ = xᵐ − p_a + σ(xᵐ, p_a) zᵐ, zᵐ ~ N(0, I) given as `normals`
    /// (2M values). Each posterior is an exact Bayes update on the grid. Reusing the same xᵐ and zᵐ
    /// for every action (common random numbers) makes the comparison across actions exact when σ
    /// does not depend on the action (<doc:ActiveSensing#Why-the-noise-must-depend-on-the-action>).
    public static func monteCarloEpistemic(belief: GridBelief, priorEntropy: Double, sensorX: Double, sensorY: Double,
                                           noise: SensorNoiseModel, sampleCells: UnsafeBufferPointer<Int>,
                                           normals: UnsafeBufferPointer<Double>) -> Double {
        let n = belief.size
        let sensorOnlySigma = noise.standardDeviation(targetX: 0, targetY: 0, sensorX: sensorX, sensorY: sensorY)
        var posteriorEntropy = 0.0
        for m in 0..<sampleCells.count {
            let cell = sampleCells[m]
            let tx = belief.coordinates[cell / n], ty = belief.coordinates[cell % n]
            let sigma = noise.standardDeviation(targetX: tx, targetY: ty, sensorX: sensorX, sensorY: sensorY)
            let readingX = tx - sensorX + sigma * normals[2 * m]
            let readingY = ty - sensorY + sigma * normals[2 * m + 1]
            // Two passes: the maximum of log b + log L, then Z and Σ w·log w.
            var top = -Double.infinity
            for i in 0..<n {
                for j in 0..<n {
                    let l = belief.logProbability[i * n + j]
                        + belief.logLikelihood(i: i, j: j, readingX: readingX, readingY: readingY, sensorX: sensorX,
                                               sensorY: sensorY, noise: noise, sensorOnlySigma: sensorOnlySigma)
                    top = max(top, l)
                }
            }
            var z = 0.0, weighted = 0.0
            for i in 0..<n {
                for j in 0..<n {
                    let l = belief.logProbability[i * n + j]
                        + belief.logLikelihood(i: i, j: j, readingX: readingX, readingY: readingY, sensorX: sensorX,
                                               sensorY: sensorY, noise: noise, sensorOnlySigma: sensorOnlySigma) - top
                    if l < -745 { continue }
                    let w = exp(l)
                    z += w
                    weighted += w * l
                }
            }
            posteriorEntropy += log(z) - weighted / z
        }
        return priorEntropy - posteriorEntropy / Double(sampleCells.count)
    }
}
