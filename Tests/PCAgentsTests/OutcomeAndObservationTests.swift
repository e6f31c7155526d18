import Foundation
import Testing
@testable import PCAgents
import PCSims
import _PCTestSupport

@Suite struct OutcomeAndObservationTests {
    @Test func planarReachOutcomeAndJacobianMatchForwardKinematicsAndFiniteDifferences() throws {
        let map = PredictiveControllerOptions.reacher.outcome
        #expect(map.outcomeDimension == 4)
        let x = [0.7, -1.9, 0.3, -0.2, 0.05, -0.12]
        func g(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 4), scratch = [Double](repeating: 0, count: 6)
            x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { map.apply(xs.baseAddress!, into: o.baseAddress!, wrapped: $0.baseAddress!) } } }
            return out
        }
        // The reach rows are the sims' fingertip minus the target.
        let tip = PlanarArm.reacher().model.chain.endEffector(q: [0.7, -1.9])
        assertClose(Array(g(x)[0..<2]), [tip.x - 0.05, tip.y + 0.12], rtol: 0, atol: 1e-14)
        assertClose(Array(g(x)[2...]), [0.3, -0.2], rtol: 0, atol: 0)
        var jacobian = [Double](repeating: 0, count: 24)
        x.withUnsafeBufferPointer { xs in jacobian.withUnsafeMutableBufferPointer { map.jacobian(xs.baseAddress!, into: $0.baseAddress!) } }
        let numeric = finiteDifferenceJacobian(at: x, g).flatMap { $0 }
        assertClose(jacobian, numeric, rtol: 1e-7, atol: 1e-9)
    }

    /// Without target indices the reach rows are the tip itself: the acrobot preset's goal is on
    /// the tip of its two 1 m links, (cos θ₁ + cos(θ₁ + θ₂), sin θ₁ + sin(θ₁ + θ₂)), whose first
    /// coordinate is minus the height Acrobot's goal test uses.
    @Test func reachWithoutTargetIsTheTipForTheAcrobot() throws {
        let map = PredictiveControllerOptions.acrobotSwingUp.outcome
        #expect(map.outcomeDimension == 4)
        let x = [2.1, -0.7, 1.5, -3.0]
        func g(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 4), scratch = [Double](repeating: 0, count: 4)
            x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { map.apply(xs.baseAddress!, into: o.baseAddress!, wrapped: $0.baseAddress!) } } }
            return out
        }
        let height = -cos(x[0]) - cos(x[0] + x[1])
        assertClose(g(x), [-height, sin(x[0]) + sin(x[0] + x[1]), 1.5, -3.0], rtol: 0, atol: 1e-14)
        var jacobian = [Double](repeating: 0, count: 16)
        x.withUnsafeBufferPointer { xs in jacobian.withUnsafeMutableBufferPointer { map.jacobian(xs.baseAddress!, into: $0.baseAddress!) } }
        assertClose(jacobian, finiteDifferenceJacobian(at: x, g).flatMap { $0 }, rtol: 1e-7, atol: 1e-9)
        // One target index alone is neither form.
        #expect(throws: AgentConfigurationError.self) {
            try OutcomeMap(stateDimension: 4, matrix: [], reach: .init(lengths: [1, 1], firstAngleIndex: 0, targetIndices: [3]))
        }
    }

    @Test func explicitObservationSourcesDecodeReachersLayout() throws {
        let layout = PredictiveControllerOptions.reacher.observation
        #expect(layout.observationDimension == 10 && layout.stateDimension == 6)
        let q = [2.5, -0.4], v = [0.3, -1.1], target = [0.1, 0.05]
        let observation = [cos(q[0]), cos(q[1]), sin(q[0]), sin(q[1]), target[0], target[1], v[0], v[1], 9, 9]
        var state = [Double](repeating: 0, count: 6)
        let ok = state.withUnsafeMutableBufferPointer { layout.decode(observation, into: $0.baseAddress!) }
        #expect(ok)
        assertClose(state, q + v + target, rtol: 0, atol: 1e-15)
        // JSON round trip, and a bad index is named.
        let data = try JSONEncoder().encode(layout)
        #expect(try JSONDecoder().decode(ObservationLayout.self, from: data) == layout)
        #expect(throws: AgentConfigurationError.self) {
            try ObservationLayout(observationDimension: 3, sources: [.value(5)])
        }
    }
}
