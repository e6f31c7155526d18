import PCAgents
import PCWire

/// One step's diagnostics in the data frame's fixed types (Interfaces/protocol/PROTOCOL.md: an
/// unsigned 32-bit `iterations`, a 64-bit `freeEnergy` and the `converged`, `warning` and
/// `deadlineExceeded` flag bits): the one place where PCAgents' ``PCAgents/StepDiagnostics``
/// becomes wire values, used by the action and telemetry frames, session recordings and the C ABI.
package struct WireDiagnostics: Sendable, Equatable {
    /// The agent's free energy (NaN for an agent that has none).
    package var freeEnergy: Double
    /// The agent's iteration count, if it fits 0…UInt32.max (else saturated, with ``warning`` set).
    package var iterations: UInt32
    /// Whether the step's inference met its stopping rule.
    package var converged: Bool
    /// Trouble the agent recovered from (any warning but running out of iterations or time), an
    /// iteration count the wire cannot carry, or (set by the host) a non-finite action replaced.
    package var warning: Bool
    /// Whether planning stopped at the deadline (set by the host also when the step finished late).
    package var deadlineExceeded: Bool

    /// Before any step: no free energy, no iterations, converged, no warning.
    package init() {
        freeEnergy = .nan
        iterations = 0
        converged = true
        warning = false
        deadlineExceeded = false
    }

    /// The checked conversion of an agent's diagnostics.
    package init(_ diagnostics: StepDiagnostics) {
        freeEnergy = diagnostics.freeEnergy
        converged = diagnostics.converged
        deadlineExceeded = diagnostics.warnings.contains(.deadlineExceeded)
        // (Two subtractions, not an array literal: a literal would allocate on the hot path.)
        warning = !diagnostics.warnings.subtracting(.notConverged).subtracting(.deadlineExceeded).isEmpty
        if let count = UInt32(exactly: diagnostics.iterations) {
            iterations = count
        } else {
            // Not representable on the wire: saturate and say so rather than wrap.
            iterations = diagnostics.iterations < 0 ? 0 : .max
            warning = true
        }
    }

    /// The frame flags these diagnostics set (besides the scalar type and `outOfBounds`).
    package var flags: DataFrameFlags {
        var flags: DataFrameFlags = []
        if converged { flags.insert(.converged) }
        if warning { flags.insert(.warning) }
        if deadlineExceeded { flags.insert(.deadlineExceeded) }
        return flags
    }
}
