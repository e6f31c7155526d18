#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCAgents

/// The classical reference controller for Gymnasium's Pendulum-v1 (PCSims article Tasks, section
/// Pendulum) as a PCAgents ``PCAgents/Agent``: energy swing-up, then LQR near the top. Used to
/// check the bridge end to end against known returns (about −143 mean over seeds 0..99); it is
/// not a predictive-coding agent (no free energy: its diagnostics report NaN).
///
/// Observation y = (cos θ, sin θ, θ̇), θ = 0 upright; action u ∈ [−2, 2].
/// Energy E = ½θ̇² + 15 cos θ, target E* = 15, swing-up u = clip((E* − E)·θ̇·k, −2, 2) with k = `energyGain`.
/// LQR when |wrap θ| < 0.6 and |θ̇| < 4: u = clip(−(19.6932·wrap θ + 5.2625·θ̇), −2, 2).
/// A wrong-length or non-finite observation gives u = 0 and ``PCAgents/AgentWarnings/invalidObservation``.
public struct PendulumSwingUpController: Agent, Sendable {
    /// The swing-up gain k (default 1; 0.3 in the Gymnasium check quoted in PCSims article Tasks, section Pendulum).
    public let energyGain: Double
    public var observationDimension: Int { 3 }
    public var actionDimension: Int { 1 }
    /// θ and θ̇ of the last valid observation.
    private var angle = 0.0, velocity = 0.0
    private var observationIsValid = false

    public init(energyGain: Double = 1) { self.energyGain = energyGain }

    public mutating func reset(seed: UInt64) { observationIsValid = false }

    public mutating func perceive(_ y: [Double]) {
        observationIsValid = y.count == 3 && y[0].isFinite && y[1].isFinite && y[2].isFinite
        if observationIsValid {
            angle = atan2(y[1], y[0])
            velocity = y[2]
        }
    }

    /// Nothing to plan: the policy is fixed.
    public mutating func plan() {}

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        guard observationIsValid else {
            action[0] = 0
            return StepDiagnostics(freeEnergy: .nan, warnings: .invalidObservation)
        }
        let u: Double
        if abs(angle) < 0.6 && abs(velocity) < 4 {
            u = -(19.6932 * angle + 5.2625 * velocity)
        } else {
            let energy = 0.5 * velocity * velocity + 15 * cos(angle)
            u = (15 - energy) * velocity * energyGain
        }
        action[0] = min(max(u, -2), 2)
        return StepDiagnostics(freeEnergy: .nan)
    }
}

/// ``PendulumSwingUpController`` hosted for a bridge session (`"type": "pendulumSwingUp"`).
public typealias PendulumSwingUpAgent = AgentAdapter<PendulumSwingUpController>
