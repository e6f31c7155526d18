extension PredictiveControllerOptions {
    /// The largest ``horizon``: 1000 steps.
    public static let maximumHorizon = 1000
    /// The largest ``iterations``: 100,000 (``AgentLimits/maximumIterations``).
    public static let maximumIterations = AgentLimits.maximumIterations
    /// The largest ``replanInterval``: 1000 steps.
    public static let maximumReplanInterval = 1000

    /// Checks every count, step size and precision against its documented maximum; needs no model.
    ///
    /// ``AgentConfiguration/decode(_:path:)`` runs it on decoding, ``validate(stateDimension:actionDimension:)``
    /// again before building a controller.
    /// - Throws: ``AgentConfigurationError/invalidValue(field:value:requirement:)`` naming the first
    ///   field out of range, e.g. "field `horizon`: must be at most 1000 (got 100000000)".
    public func validateBounds() throws {
        try Validate.within(horizon, 1, Self.maximumHorizon, "horizon")
        try Validate.within(iterations, 0, Self.maximumIterations, "iterations")
        try Validate.within(replanInterval, 1, Self.maximumReplanInterval, "replanInterval")
        try Validate.within(proposal.samples, 0, ProposalOptions.maximumSamples, "proposal.samples")
        try Validate.positive(stateStepSize, "stateStepSize")
        try Validate.atMost(stateStepSize, AgentLimits.maximumStepSize, "stateStepSize")
        try Validate.positive(controlStepSize, "controlStepSize")
        try Validate.atMost(controlStepSize, AgentLimits.maximumStepSize, "controlStepSize")
        try Validate.nonNegative(tolerance, "tolerance")
        try Validate.positive(terminalGoalScale, "terminalGoalScale")
        try Validate.atMost(terminalGoalScale, AgentLimits.maximumStepSize, "terminalGoalScale")
        try Validate.allAtMost(modelPrecision, AgentLimits.maximumPrecision, "modelPrecision")
        try Validate.allAtMost(goalPrecision, AgentLimits.maximumPrecision, "goalPrecision")
        try Validate.allAtMost(controlPrecision, AgentLimits.maximumPrecision, "controlPrecision")
    }

    /// An upper bound on the bytes building a ``PredictiveController`` with these options allocates:
    /// its workspace (trajectory, Jacobians, gradients, the proposal's K·H·m samples) and small buffers.
    ///
    /// An estimate for refusing sessions above a memory budget; construction refuses anything above
    /// ``AgentLimits/maximumMemoryBytes``. Never traps: absurd sizes give a huge value (at most `Int.max`).
    /// - Parameters:
    ///   - stateDimension: n, the model's state dimension.
    ///   - actionDimension: m, the model's action dimension.
    /// - Returns: bytes, ≥ 8 × the workspace's Double count for a model without an adjoint tape (a
    ///   learned model's tape adds H × ``LinearizableModel/adjointTapeCount`` doubles).
    public func estimatedMemoryBytes(stateDimension n: Int, actionDimension m: Int) -> Int {
        let doubles = HorizonWorkspace.sizes(n: Double(n), m: Double(m), p: Double(outcome.outcomeDimension),
                                             horizon: Double(horizon), samples: Double(max(proposal.samples, 0)))
            .reduce(0, +) + Double(m)  // + the held action
        // Object headers, the workspace's slice table and the controller's arrays.
        let bytes = 8 * doubles + 1024
        return bytes < 0x1p62 ? Int(bytes) : Int.max
    }

    func checkMemory(stateDimension n: Int, actionDimension m: Int) throws {
        let bytes = estimatedMemoryBytes(stateDimension: n, actionDimension: m)
        guard bytes <= AgentLimits.maximumMemoryBytes else {
            throw AgentConfigurationError.invalidValue(
                field: "horizon, proposal.samples", value: "\(bytes) bytes",
                requirement: "the workspace must fit in \(AgentLimits.maximumMemoryBytes) bytes; lower horizon or proposal.samples")
        }
    }
}
