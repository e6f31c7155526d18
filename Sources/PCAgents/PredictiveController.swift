import PCEnvironment
import PCNumerics

/// Predictive control by PC inference over a horizon (<doc:PredictiveControl>).
///
/// The latents are the future states x_{1:H} and controls u_{0:H−1}; goals are a prior on future
/// outcomes g(x_t), controls have a prior N(ū, Π_u⁻¹) and hard bounds, and the dynamics are a
/// prior N(f(x_t, u_t), Π_x⁻¹) on each next state. One step:
/// 1. **perceive**: x₀ ← the state the observation encodes (``ObservationLayout``), clamped.
/// 2. **plan**: optionally move the warm start by a sampled proposal (MPPI, `SampledProposal.swift`);
///    roll f out so every ε = 0; run `iterations` of gradient inference on E — in collocation mode
///    on x and u with finite Π_x (`HorizonInference.swift`), in shooting mode (Π_x → ∞) on u with
///    the dynamics errors at their equilibrium (`HorizonInference+Shooting.swift`); optionally keep
///    the proposal if it has the lower hard-dynamics energy. With `replanInterval` k > 1 this
///    happens every k-th step and the action is held in between.
/// 3. **act**: emit u₀, shift the plan one step (appending ū) as the next warm start.
///
/// Numerical trouble (non-finite energy, NaN plan) resets the warm start to ū and emits the safe
/// action ū; a bad observation does the same. Both are recorded in ``StepDiagnostics``.
/// After the first step nothing is allocated: all buffers live in one arena sized at `init`.
///
/// **Anytime planning**: with a ``planningDeadline`` set, the proposal stops drawing samples and
/// inference stops iterating once the deadline has passed (one clock read per chunk of 16 samples
/// and per iteration); the step acts on the best plan so far and reports ``AgentWarnings/deadlineExceeded``.
/// Without a deadline no clock is read and planning is unchanged.
public struct PredictiveController<Model: LinearizableModel>: AnytimeAgent {
    /// The dynamics f the controller plans with (``replaceModel(_:)`` swaps it).
    public private(set) var model: Model
    /// The options this controller was built with (validated).
    public let options: PredictiveControllerOptions
    var workspace: HorizonWorkspace
    private var generator: Xoshiro256
    private var diagnostics = StepDiagnostics()
    private var planValid = false
    /// Steps since the last plan (the action is held until it reaches replanInterval).
    private var stepsSincePlan = 0
    var heldAction: [Double]
    private var planned = false
    /// The monotonic time (seconds, the clock of ``monotonicSeconds()``) by which ``plan()`` stops
    /// refining and keeps its best plan so far; nil (the default): no deadline.
    public var planningDeadline: Double?

    /// - Throws: ``AgentConfigurationError`` when the options do not fit the model.
    public init(model: Model, options: PredictiveControllerOptions) throws {
        let n = model.stateDimension, m = model.actionDimension
        try options.validate(stateDimension: n, actionDimension: m)
        self.model = model
        self.options = options
        let h = options.horizon, p = options.outcome.outcomeDimension
        let w = HorizonWorkspace(n: n, m: m, p: p, horizon: h, samples: options.proposal.samples,
                                 tape: model.adjointTapeCount)
        for i in 0..<n { w.modelPrecision[i] = options.modelPrecision[i] }
        for i in 0..<p {
            w.goal[i] = options.goal[i]
            for t in 0...h {
                w.goalPrecision[t * p + i] = options.goalPrecision[i] * (t == h ? options.terminalGoalScale : 1)
            }
        }
        for j in 0..<m {
            w.controlPrior[j] = options.controlPrior[j]
            w.controlPrecision[j] = options.controlPrecision[j]
            w.lower[j] = options.controlLower[j]
            w.upper[j] = options.controlUpper[j]
            w.noiseScale[j] = options.proposal.samples > 0 ? options.proposal.noiseScale[j] : 0
        }
        workspace = w
        generator = Xoshiro256(seed: 0)
        heldAction = [Double](repeating: 0, count: m)
        resetPlan()
    }

    public var observationDimension: Int { options.observation.observationDimension }
    public var actionDimension: Int { model.actionDimension }

    /// The current plan's controls u₀…u_{H−1}, (H·actionDimension) (allocates).
    public var plannedControls: [Double] { Array(UnsafeBufferPointer(start: workspace.u, count: options.horizon * actionDimension)) }
    /// The current plan's states x₀…x_H, (H+1)·stateDimension (allocates).
    public var plannedStates: [Double] {
        Array(UnsafeBufferPointer(start: workspace.x, count: (options.horizon + 1) * model.stateDimension))
    }
    /// The perceived state x₀, (stateDimension) (allocates).
    public var belief: [Double] { Array(UnsafeBufferPointer(start: workspace.x, count: model.stateDimension)) }

    public mutating func reset(seed: UInt64) {
        makeWorkspaceUnique()
        generator = Xoshiro256(seed: seed)
        resetPlan()
        diagnostics = StepDiagnostics()
        stepsSincePlan = 0
    }

    public mutating func perceive(_ observation: [Double]) {
        makeWorkspaceUnique()
        diagnostics = StepDiagnostics()
        planValid = options.observation.decode(observation, into: workspace.x)
        if !planValid {
            diagnostics.warnings.insert(.invalidObservation)
            resetPlan()
        }
    }

    public mutating func plan() {
        planned = false
        guard planValid else { return }
        // Between decisions the held action stands (replanInterval > 1).
        if stepsSincePlan > 0 && stepsSincePlan < options.replanInterval {
            diagnostics.iterations = 0
            return
        }
        planned = true
        let w = workspace
        let stateCount = (options.horizon + 1) * model.stateDimension
        let controlCount = options.horizon * model.actionDimension

        // A sampled proposal moves the warm start (MPPI; the warm start itself is sample 0).
        var scoreProposal = false
        if options.proposal.samples > 0 {
            let (best, stopped) = w.propose(model, outcomeMap: options.outcome, temperature: options.proposal.temperature,
                                            deadline: planningDeadline, generator: &generator)
            if stopped { diagnostics.warnings.insert(.deadlineExceeded) }
            if best.isFinite && options.keepBetterProposal {
                w.proposalControls.update(from: w.u, count: controlCount)
                scoreProposal = true
            }
        }

        // The proposal's hard-dynamics energy (shootingEnergy) is summed on the rollout of its
        // controls, which each mode makes anyway: f is not run again for it.
        var proposalEnergy = Double.infinity
        let outcome: InferenceOutcome
        switch options.mode {
        case .collocation:
            // Initialise the states by rolling f out (every ε = 0), then settle E.
            w.rollout(model, controls: w.u, states: w.x)
            if scoreProposal { proposalEnergy = w.trajectoryEnergy(controls: w.u, states: w.x, outcomeMap: options.outcome) }
            outcome = w.infer(model, outcomeMap: options.outcome, iterations: options.iterations,
                              stateStepSize: options.stateStepSize, controlStepSize: options.controlStepSize,
                              tolerance: options.tolerance, preconditioned: options.preconditioned,
                              deadline: planningDeadline)
        case .shooting:
            // Its first sweep rolls f out (every ε = 0), then it settles E.
            outcome = w.inferShooting(model, outcomeMap: options.outcome, iterations: options.iterations,
                                      controlStepSize: options.controlStepSize, tolerance: options.tolerance,
                                      deadline: planningDeadline, scoreStart: scoreProposal)
            if scoreProposal { proposalEnergy = outcome.startEnergy }
        }
        diagnostics.freeEnergy = outcome.energy
        diagnostics.iterations = outcome.iterations
        diagnostics.converged = outcome.converged
        diagnostics.warnings.formUnion(outcome.warnings)

        // Keep the proposal if the settled plan is worse under the true rollout.
        if options.keepBetterProposal && proposalEnergy.isFinite {
            // Shooting leaves x on the rollout of u; collocation's states are its own.
            let settled = options.mode == .shooting
                ? w.trajectoryEnergy(controls: w.u, states: w.x, outcomeMap: options.outcome)
                : w.shootingEnergy(model, controls: w.u, outcomeMap: options.outcome)
            if !(settled <= proposalEnergy) {
                w.u.update(from: w.proposalControls, count: controlCount)
                w.rollout(model, controls: w.u, states: w.x)
                diagnostics.warnings.insert(.refinementRejected)
            }
        }

        // Recover from numerical trouble: a non-finite plan restarts from the prior.
        var finite = diagnostics.freeEnergy.isFinite
        for i in 0..<controlCount where !w.u[i].isFinite { finite = false }
        for i in 0..<stateCount where !w.x[i].isFinite { finite = false }
        if !finite {
            diagnostics.warnings.insert(.warmStartReset)
            resetPlan()
            planValid = false
        }
    }

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        precondition(action.count == actionDimension,
                     "PredictiveController.act: action buffer holds \(action.count) values, expected \(actionDimension)")
        let w = workspace, m = model.actionDimension, h = options.horizon
        guard planValid else {
            // Safe action: the control prior, clipped; the next valid step replans.
            for j in 0..<m { action[j] = min(max(w.controlPrior[j], w.lower[j]), w.upper[j]) }
            stepsSincePlan = 0
            return diagnostics
        }
        if !planned {
            for j in 0..<m { action[j] = heldAction[j] }
            stepsSincePlan += 1
            return diagnostics
        }
        for j in 0..<m {
            action[j] = min(max(w.u[j], w.lower[j]), w.upper[j])
            heldAction[j] = action[j]
        }
        stepsSincePlan = options.replanInterval > 1 ? 1 : 0
        // Receding horizon: shift the plan, append ū.
        if h > 1 { (w.u).update(from: w.u + m, count: (h - 1) * m) }
        for j in 0..<m { w.u[(h - 1) * m + j] = w.controlPrior[j] }
        return diagnostics
    }

    /// Plans with `model` from the next ``plan()`` on, keeping the warm start, the generator and the
    /// held action (a learning agent swaps in a newly trained model this way). Allocates nothing.
    /// - Precondition: `model` has this controller's state and action dimensions.
    mutating func replaceModel(_ model: Model) {
        precondition(model.stateDimension == self.model.stateDimension && model.actionDimension == self.model.actionDimension
                     && model.adjointTapeCount == workspace.tapeCount,
                     "PredictiveController.replaceModel: the new model has other dimensions or another adjoint tape")
        self.model = model
    }

    /// The plan restarts from the control prior ū.
    private mutating func resetPlan() {
        let w = workspace, m = model.actionDimension
        for t in 0..<options.horizon {
            for j in 0..<m { w.u[t * m + j] = w.controlPrior[j] }
            w.clipControls(w.u, step: t)
        }
    }

    private mutating func makeWorkspaceUnique() {
        if !isKnownUniquelyReferenced(&workspace) { workspace = workspace.copy() }
    }
}
