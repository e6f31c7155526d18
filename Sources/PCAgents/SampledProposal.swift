import PCEnvironment
import PCNumerics

/// The sampled proposal that seeds PC inference (<doc:PredictiveControl#Sampled-proposal>, MPPI).
///
/// Around the warm-started plan u, draw K control sequences uᵏ = clip(u + δᵏ), δᵏ ~ N(0, diag σ²)
/// (the first sample has δ = 0, so the warm start itself competes), score each by the energy
/// with hard dynamics Sₖ = E(x(uᵏ), uᵏ) (every ε = 0), and replace u by the softmin average
/// ```text
/// wₖ = exp(−(Sₖ − min S)/λ) / Z,     u ← Σₖ wₖ uᵏ.
/// ```
/// This only moves the starting point of the gradient inference: the plan the controller
/// executes is the one PC inference on E settles to (or the proposal, when it scores better).
extension HorizonWorkspace {
    /// - Parameter deadline: monotonic seconds after which no further sample is drawn (sample 0, the
    ///   warm start, always is); nil: all K samples.
    /// - Returns: the smallest sample energy min S, and whether the deadline cut the samples short.
    func propose<Model: TransitionModel>(_ model: Model, outcomeMap: OutcomeMap, temperature: Double,
                                         deadline: Double?, generator: inout Xoshiro256) -> (best: Double, stopped: Bool) {
        let length = horizon * m
        var best = Double.infinity
        var drawn = samples
        for k in 0..<samples {
            if k > 0, let deadline, monotonicSeconds() >= deadline {
                drawn = k
                break
            }
            let sample = sampledControls + k * length
            for t in 0..<horizon {
                for j in 0..<m {
                    let i = t * m + j
                    let delta = k == 0 ? 0 : noiseScale[j] * generator.nextNormal()
                    sample[i] = min(max(u[i] + delta, lower[j]), upper[j])
                }
            }
            let cost = shootingEnergy(model, controls: sample, outcomeMap: outcomeMap)
            sampleCosts[k] = cost.isFinite ? cost : .infinity
            best = min(best, sampleCosts[k])
        }
        guard best.isFinite else { return (best, drawn < samples) }
        // Softmin average; the minimiser has weight 1 before normalisation, so Z ≥ 1.
        for i in 0..<length { u[i] = 0 }
        var normaliser = 0.0
        for k in 0..<drawn {
            let w = expDouble(-(sampleCosts[k] - best) / temperature)
            if w == 0 { continue }
            normaliser += w
            let sample = sampledControls + k * length
            for i in 0..<length { u[i] += w * sample[i] }
        }
        for i in 0..<length { u[i] /= normaliser }
        return (best, drawn < samples)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func expDouble(_ x: Double) -> Double { Glibc.exp(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func expDouble(_ x: Double) -> Double { Darwin.exp(x) }
#endif
