extension PredictiveControllerOptions {
    /// Swing-up and balance of Gymnasium's Pendulum-v1 (state (θ, θ̇), torque bound ±2 N·m).
    ///
    /// The goal prior is on (wrap θ, θ̇) with o* = 0, and Π_g = (2, 0.2), Π_u = 0.002, so that the
    /// hard-dynamics energy of a trajectory equals the sum of Gymnasium's step costs
    /// wrap(θ)² + 0.1θ̇² + 0.001u² over the horizon. Observations are (cos θ, sin θ, θ̇).
    ///
    /// Inference: shooting mode (Π_x → ∞, the dynamics errors at their equilibrium), H = 20 (1 s),
    /// 30 gradient iterations per step with η_u = 1 and the backtracking safeguard, warm-started by
    /// the shifted previous plan; no sampled proposal. On the Gymnasium fixture (seeds 0..99) this
    /// scores −138.9 ± 77.9 with every episode upright at the end (`pcctl run pendulum`).
    public static var pendulumSwingUp: PredictiveControllerOptions {
        var options = PredictiveControllerOptions(
            // Π_x is used by collocation mode only.
            modelPrecision: [1e3, 1e3], goal: [0, 0], goalPrecision: [2, 0.2],
            controlPrior: [0], controlPrecision: [0.002], controlLower: [-2], controlUpper: [2],
            outcome: try! .identity(stateDimension: 2, angleIndices: [0]),
            observation: try! ObservationLayout(stateDimension: 2, angleIndices: [0]))
        options.mode = .shooting
        options.horizon = 20
        options.iterations = 30
        options.controlStepSize = 1
        options.proposal = ProposalOptions(samples: 0, noiseScale: [1], temperature: 0.1)
        return options
    }
}
