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
    /// The samples are drawn and rolled out in chunks of ``HorizonWorkspace/proposalChunk``, every
    /// sample of a chunk advanced one step together (``LinearizableModel/transitionBatch(states:actions:next:count:)``);
    /// each Sₖ sums in the same order as ``shootingEnergy(_:controls:outcomeMap:)``, so it is that
    /// sample's shooting energy (to the rounding of the batched transition).
    /// - Parameter deadline: monotonic seconds after which no further chunk of samples is drawn (the
    ///   first chunk, with sample 0, the warm start, always is); nil: all K samples.
    /// - Returns: the smallest sample energy min S, and whether the deadline cut the samples short.
    func propose<Model: LinearizableModel>(_ model: Model, outcomeMap: OutcomeMap, temperature: Double,
                                           deadline: Double?, generator: inout Xoshiro256) -> (best: Double, stopped: Bool) {
        let length = horizon * m, chunk = min(samples, Self.proposalChunk)
        var best = Double.infinity
        var drawn = samples
        for first in stride(from: 0, to: samples, by: chunk) {
            if first > 0, let deadline, monotonicSeconds() >= deadline {
                drawn = first
                break
            }
            let count = min(chunk, samples - first)
            var current = batchStates, following = batchStates + chunk * n
            for k in first..<(first + count) {
                let sample = sampledControls + k * length
                for t in 0..<horizon {
                    for j in 0..<m {
                        let i = t * m + j
                        let delta = k == 0 ? 0 : noiseScale[j] * generator.nextNormal()
                        sample[i] = min(max(u[i] + delta, lower[j]), upper[j])
                    }
                }
                for i in 0..<n { current[(k - first) * n + i] = x[i] }
                sampleCosts[k] = 0
            }
            for t in 0..<horizon {
                for s in 0..<count {
                    let sample = sampledControls + (first + s) * length
                    for j in 0..<m { batchActions[s * m + j] = sample[t * m + j] }
                }
                model.transitionBatch(states: current, actions: batchActions, next: following, count: count)
                for s in 0..<count {
                    let sample = sampledControls + (first + s) * length
                    sampleCosts[first + s] += controlEnergy(sample, step: t)
                        + goalEnergy(following + s * n, step: t + 1, outcomeMap: outcomeMap)
                }
                swap(&current, &following)
            }
            for k in first..<(first + count) {
                if !sampleCosts[k].isFinite { sampleCosts[k] = .infinity }
                best = min(best, sampleCosts[k])
            }
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
