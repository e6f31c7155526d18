/// The largest values a configuration file or a bridge hello may give the agents' options.
///
/// Every count and size an agent allocates or loops over from its options is checked against these
/// in the options' `validate` before anything is allocated, so a value such as `1e9` or `2^62` is
/// refused with "field `horizon`: must be at most 1000 (got 1000000000)" instead of exhausting memory.
/// They lie far above what any task here needs; the per-type constants (e.g.
/// ``PredictiveControllerOptions/maximumHorizon``) repeat the ones each type uses.
///
/// Step sizes, gains and precisions are bounded too (``maximumStepSize``, ``maximumPrecision``).
/// The other real-valued options (goals, control bounds, lengths, periods, tolerances, noise
/// scales) size no buffer and bound no loop, so they are only checked for being well formed
/// (finite where the agent needs it; control bounds may be infinite, i.e. unbounded).
public enum AgentLimits {
    /// Largest state, outcome, observation or action dimension: 1024.
    public static let maximumDimension = 1024
    /// Largest inference budget per step (iterations, perception steps): 100,000 (convergence studies
    /// run tens of thousands; a control loop runs tens).
    public static let maximumIterations = 100_000
    /// Largest step size or gain that scales an update (η, κ, k): 10⁶.
    public static let maximumStepSize = 1e6
    /// Largest precision (inverse variance) or cost weight: 10¹².
    public static let maximumPrecision = 1e12
    /// Largest workspace one agent may allocate from its options, in bytes (1 GiB): checked against
    /// the options' `estimatedMemoryBytes`, which bounds the product of the separately bounded sizes.
    public static let maximumMemoryBytes = 1 << 30
}
