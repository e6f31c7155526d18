import Testing
import PCAgents
import PCWire
@testable import PCBridge

/// PCAgents' step diagnostics become the data frame's fixed types in one checked conversion.
struct WireDiagnosticsTests {
    @Test func warningsMapToTheWireFlags() {
        let plain = WireDiagnostics(StepDiagnostics(freeEnergy: 1.5, iterations: 12, converged: false, warnings: [.notConverged]))
        #expect(plain.freeEnergy == 1.5 && plain.iterations == 12 && !plain.converged)
        // Running out of iterations or time is not recovered trouble.
        #expect(!plain.warning && !plain.deadlineExceeded)
        #expect(plain.flags == [])
        let late = WireDiagnostics(StepDiagnostics(warnings: [.deadlineExceeded]))
        #expect(late.deadlineExceeded && !late.warning && late.flags == [.converged, .deadlineExceeded])
        for recovered in [AgentWarnings.invalidObservation, .divergence, .warmStartReset, .refinementRejected] {
            let d = WireDiagnostics(StepDiagnostics(warnings: recovered))
            #expect(d.warning && d.flags.contains(.warning), "\(recovered)")
        }
        // An agent without a free energy reports NaN, and the wire carries it.
        #expect(WireDiagnostics(StepDiagnostics(freeEnergy: .nan)).freeEnergy.isNaN)
        #expect(WireDiagnostics().freeEnergy.isNaN && WireDiagnostics().converged)
    }

    @Test func iterationCountsTheWireCannotCarrySaturateWithAWarning() {
        let largest = WireDiagnostics(StepDiagnostics(iterations: Int(UInt32.max)))
        #expect(largest.iterations == .max && !largest.warning)
        let beyond = WireDiagnostics(StepDiagnostics(iterations: Int(UInt32.max) + 1))
        #expect(beyond.iterations == .max && beyond.warning)
        let negative = WireDiagnostics(StepDiagnostics(iterations: -3))
        #expect(negative.iterations == 0 && negative.warning)
    }
}
