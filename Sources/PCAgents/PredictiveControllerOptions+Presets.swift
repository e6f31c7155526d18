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

    /// Swing-up and balance of PCKit's CartPoleSwingUp (PCSims article Tasks, section Cart-pole swing-up): state (x, ẋ, θ, θ̇), force
    /// F = 10·clip(a, −1, 1), observation (x, ẋ, cos θ, sin θ, θ̇). Plan with
    /// `ActionRepeat(CartPoleModel.swingUp, count: 5)` (one latent step = 0.05 s): H = 40 (2 s),
    /// replanning every 5 environment steps. The goal prior is on (x, ẋ, wrap θ, θ̇) at 0 with
    /// Π = (4, 0.5, 8, 0.5): a firm hold on the cart's position keeps it off the track's ends
    /// (which matters most for a learned model, which knows them only from a few collisions).
    public static var cartPoleSwingUp: PredictiveControllerOptions {
        var options = PredictiveControllerOptions(
            modelPrecision: [1e3, 1e3, 1e3, 1e3], goal: [0, 0, 0, 0], goalPrecision: [4, 0.5, 8, 0.5],
            controlPrior: [0], controlPrecision: [0.05], controlLower: [-1], controlUpper: [1],
            outcome: try! .identity(stateDimension: 4, angleIndices: [2]),
            observation: try! ObservationLayout(stateDimension: 4, angleIndices: [2]))
        options.mode = .shooting
        options.horizon = 40
        options.iterations = 30
        options.controlStepSize = 1
        options.replanInterval = 5
        return options
    }

    /// Reaching with Reacher-v5's 2-link arm (PCSims article Tasks, section Reacher): state (q₁, q₂, q̇₁, q̇₂, target x, y),
    /// a ∈ [−1, 1]², Δt = 0.02 s, observation (cos q, sin q, target, q̇, tip − target). The goal
    /// prior is on the fingertip-minus-target (``OutcomeMap/PlanarReach``, Π = 2000) and on the joint
    /// velocities (Π = 0.1, so the arm stops there); Π_u = 1. H = 10 (0.2 s), 20 iterations, shooting mode.
    public static var reacher: PredictiveControllerOptions {
        var velocityRows = [Double](repeating: 0, count: 12)
        velocityRows[2] = 1; velocityRows[6 + 3] = 1
        var options = PredictiveControllerOptions(
            modelPrecision: [Double](repeating: 1e3, count: 6), goal: [0, 0, 0, 0], goalPrecision: [2000, 2000, 0.1, 0.1],
            controlPrior: [0, 0], controlPrecision: [1, 1], controlLower: [-1, -1], controlUpper: [1, 1],
            outcome: try! OutcomeMap(stateDimension: 6, matrix: velocityRows,
                                     reach: .init(lengths: [0.1, 0.11], firstAngleIndex: 0, targetIndices: [4, 5])),
            observation: try! ObservationLayout(observationDimension: 10, sources: [
                .angle(cos: 0, sin: 2), .angle(cos: 1, sin: 3), .value(6), .value(7), .value(4), .value(5)]))
        options.mode = .shooting
        options.horizon = 10
        options.iterations = 20
        options.controlStepSize = 1
        return options
    }
}

extension PredictiveControllerOptions {
    /// MountainCarContinuous-v0 (state and observation (x, v), force a ∈ [−1, 1]), planned with
    /// `ActionRepeat(model, count: 5)` (one latent step = 5 environment steps) and replanned every
    /// 5 steps. The goal prior pulls x towards 0.5, just past the flag at 0.45 (Π = 1 per latent
    /// step, 10× on the last one), leaves the velocity free, and Π_u = 0.1 keeps the task's
    /// 0.1·a² cost low. H = 30 latent steps (150 environment steps) with a 64-sample proposal
    /// (σ = 1, λ = 0.5): a local gradient alone cannot find that the car must back up first.
    public static var mountainCar: PredictiveControllerOptions {
        var options = PredictiveControllerOptions(
            modelPrecision: [1e3, 1e3], goal: [0.5, 0], goalPrecision: [1, 0],
            controlPrior: [0], controlPrecision: [0.1], controlLower: [-1], controlUpper: [1],
            outcome: try! .identity(stateDimension: 2), observation: try! ObservationLayout(stateDimension: 2))
        options.terminalGoalScale = 10
        options.mode = .shooting
        options.horizon = 30
        options.iterations = 20
        options.controlStepSize = 1
        options.replanInterval = 5
        options.proposal = ProposalOptions(samples: 64, noiseScale: [1], temperature: 0.5)
        return options
    }

    /// InvertedPendulum-v5 (state and observation (x, θ, ẋ, θ̇), a ∈ [−3, 3], Δt = 0.04 s): the goal
    /// prior holds the cart at 0 (Π = 1) and the pole upright (Π = 20) with small velocities
    /// (Π = 0.1); Π_u = 0.01. H = 15 (0.6 s), 15 iterations, shooting mode.
    public static var invertedPendulum: PredictiveControllerOptions {
        var options = PredictiveControllerOptions(
            modelPrecision: [1e3, 1e3, 1e3, 1e3], goal: [0, 0, 0, 0], goalPrecision: [1, 20, 0.1, 0.1],
            controlPrior: [0], controlPrecision: [0.01], controlLower: [-3], controlUpper: [3],
            outcome: try! .identity(stateDimension: 4), observation: try! ObservationLayout(stateDimension: 4))
        options.mode = .shooting
        options.horizon = 15
        options.iterations = 15
        options.controlStepSize = 1
        return options
    }

    /// Acrobot with continuous elbow torque (state (θ₁, θ₂, θ̇₁, θ̇₂), angles from hanging down,
    /// torque ∈ [−1, 1] N·m, Δt = 0.2 s, observation Gymnasium's (cos θ₁, sin θ₁, cos θ₂, sin θ₂,
    /// θ̇₁, θ̇₂)). The goal prior is on the tip of the two 1 m links (``OutcomeMap/PlanarReach``
    /// without target indices: tip = (cos θ₁ + cos(θ₁ + θ₂), sin θ₁ + sin(θ₁ + θ₂)), its first
    /// coordinate pointing down): o* = (−2, 0), the tip straight up, with Π = 1 on the vertical and
    /// 0 on the lateral coordinate (so the energy rewards height), and Π = 0.01 on both joint
    /// velocities; Π_u = 0.01. H = 30 (6 s), 20 iterations, 64-sample proposal (σ = 1, λ = 0.1):
    /// the planner pumps energy in over several swings. An angle-space goal (θ₁ = π) does not
    /// work here: from the bottom every plan settles on a constant torque.
    public static var acrobotSwingUp: PredictiveControllerOptions {
        var options = PredictiveControllerOptions(
            modelPrecision: [1e3, 1e3, 1e3, 1e3], goal: [-2, 0, 0, 0], goalPrecision: [1, 0, 0.01, 0.01],
            controlPrior: [0], controlPrecision: [0.01], controlLower: [-1], controlUpper: [1],
            outcome: try! OutcomeMap(stateDimension: 4, matrix: [0, 0, 1, 0,
                                                                 0, 0, 0, 1],
                                     reach: .init(lengths: [1, 1], firstAngleIndex: 0, targetIndices: [])),
            observation: try! ObservationLayout(stateDimension: 4, angleIndices: [0, 1]))
        options.mode = .shooting
        options.horizon = 30
        options.iterations = 20
        options.controlStepSize = 1
        options.proposal = ProposalOptions(samples: 64, noiseScale: [1], temperature: 0.1)
        return options
    }
}
