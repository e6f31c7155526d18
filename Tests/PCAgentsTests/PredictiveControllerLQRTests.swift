import Testing
import PCAgents
import _PCTestSupport

/// The LQR oracle (PCAgents article PredictiveControl, section LQR oracle): for a linear plant and quadratic E, the minimiser of E as Π_x → ∞ is the
/// finite-horizon LQR control sequence, and gradient inference converges to the direct solve of ∇E = 0.
@Suite struct PredictiveControllerLQRTests {
    static let horizon = 12
    static let q = [1.0, 0.1]
    static let r = 0.05
    static let x0 = [1.0, -0.5]

    static func controller(modelPrecision: Double, iterations: Int = 0) throws -> PredictiveController<LinearPlant> {
        var options = PredictiveControllerOptions(
            modelPrecision: [modelPrecision, modelPrecision], goal: [0, 0], goalPrecision: q,
            controlPrior: [0], controlPrecision: [r], controlLower: [-1e9], controlUpper: [1e9],
            outcome: try .identity(stateDimension: 2), observation: try ObservationLayout(stateDimension: 2))
        options.horizon = horizon
        options.iterations = iterations
        options.tolerance = 1e-13
        return try PredictiveController(model: .doubleIntegrator(), options: options)
    }

    /// Solves ∇E = 0 directly: E is quadratic, so its Hessian's columns are ∇E(eᵢ) − ∇E(0),
    /// assembled from the controller's own gradient code.
    static func directSolve(_ agent: PredictiveController<LinearPlant>) -> (states: [Double], controls: [Double]) {
        let h = horizon, n = 2, m = 1, k = h * (n + m)
        func gradient(_ z: [Double]) -> [Double] {
            let e = agent.evaluateEnergy(initialState: x0, states: Array(z[0..<(h * n)]), controls: Array(z[(h * n)...]))
            return e.stateGradient + e.controlGradient
        }
        let zero = [Double](repeating: 0, count: k)
        let g0 = gradient(zero)
        var hessian = [Double](repeating: 0, count: k * k)
        for j in 0..<k {
            var unit = zero
            unit[j] = 1
            let column = gradient(unit)
            for i in 0..<k { hessian[i * k + j] = column[i] - g0[i] }
        }
        let z = solveDense(hessian, g0.map { -$0 })
        return (Array(z[0..<(h * n)]), Array(z[(h * n)...]))
    }

    @Test func directSolveWithStiffDynamicsIsRiccatiLQR() throws {
        let agent = try Self.controller(modelPrecision: 1e8)
        let solution = Self.directSolve(agent)
        let lqr = riccatiControls(plant: .doubleIntegrator(), q: Self.q, terminalQ: Self.q, r: Self.r,
                                  horizon: Self.horizon, initialState: Self.x0)
        #expect(lqr.contains { abs($0) > 0.1 }, "the oracle must be non-trivial")
        assertClose(solution.controls, lqr, rtol: 0, atol: 1e-5)
    }

    @Test func gradientInferenceConvergesToDirectSolve() throws {
        var agent = try Self.controller(modelPrecision: 1e2, iterations: 100_000)
        let solution = Self.directSolve(agent)
        agent.reset(seed: 0)
        var action = [0.0]
        agent.perceive(Self.x0)
        agent.plan()
        let (controls, states) = (agent.plannedControls, agent.plannedStates)
        let diagnostics = agent.act(into: &action)
        #expect(diagnostics.converged, "inference should meet its stopping rule: \(diagnostics)")
        #expect(action[0] == controls[0], "the executed action is the first planned control")
        assertClose(controls, solution.controls, rtol: 0, atol: 1e-6)
        assertClose(Array(states[2...]), solution.states, rtol: 0, atol: 1e-6)
        // Finite Π_x is collocation: the solution is not the Π_x → ∞ one.
        let lqr = riccatiControls(plant: .doubleIntegrator(), q: Self.q, terminalQ: Self.q, r: Self.r,
                                  horizon: Self.horizon, initialState: Self.x0)
        #expect(maxRelativeDifference(solution.controls, lqr, floor: 1e-3) > 1e-4)
    }
}
