/// The classical reference controller for Gymnasium's Pendulum-v1 (PCSims article Tasks, section Pendulum): energy swing-up,
/// then LQR near the top. Used to check the bridge end to end against known returns
/// (about −143 mean over seeds 0..99); it is not a predictive-coding agent.
///
/// Observation y = (cos θ, sin θ, θ̇), θ = 0 upright; action u ∈ [−2, 2].
/// Energy E = ½θ̇² + 15 cos θ, target E* = 15, swing-up u = clip((E* − E)·θ̇·k, −2, 2) with k = `energyGain`.
/// LQR when |wrap θ| < 0.6 and |θ̇| < 4: u = clip(−(19.6932·wrap θ + 5.2625·θ̇), −2, 2).
public final class PendulumSwingUpAgent: BridgeAgent {
    /// The swing-up gain k (default 1; 0.3 in the Gymnasium check quoted in PCSims article Tasks, section Pendulum).
    public let energyGain: Double

    public init(energyGain: Double = 1) { self.energyGain = energyGain }

    public func reset(seed: UInt64) throws {}

    public func step(observation: UnsafeBufferPointer<Double>, action: UnsafeMutableBufferPointer<Double>) -> AgentStepDiagnostics {
        let theta = atan2(observation[1], observation[0])
        let velocity = observation[2]
        let u: Double
        if abs(theta) < 0.6 && abs(velocity) < 4 {
            u = -(19.6932 * theta + 5.2625 * velocity)
        } else {
            let energy = 0.5 * velocity * velocity + 15 * cos(theta)
            u = (15 - energy) * velocity * energyGain
        }
        action[0] = min(max(u, -2), 2)
        return AgentStepDiagnostics()
    }
}

import Foundation
