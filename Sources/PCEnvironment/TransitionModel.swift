/// The exact transition function of a simulated environment, for agents that plan with the true
/// model ("known dynamics").
///
/// The state x is the environment's physical state (for the pendulum (θ, θ̇)), not its
/// observation. `transition` must advance x exactly as the environment's `step` does, including
/// action clipping and any velocity limits, and `reward` must return what `step` would.
/// Both write into caller-owned buffers and allocate nothing.
public protocol TransitionModel: Sendable {
    /// Dimension of the physical state x.
    var stateDimension: Int { get }
    /// Dimension of the action u.
    var actionDimension: Int { get }
    /// Duration of one step in seconds.
    var timeStep: Double { get }

    /// x′ = f(x, u).
    /// - Parameters:
    ///   - state: x, (stateDimension).
    ///   - action: u, (actionDimension); clipped as the environment clips it.
    ///   - next: receives x′, (stateDimension). May not alias `state`.
    func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                    next: UnsafeMutableBufferPointer<Double>)

    /// The reward `step` returns for the step x → x′ under u.
    func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                next: UnsafeBufferPointer<Double>) -> Double
}

/// An environment that exposes its true model and its physical state.
public protocol ModelBasedEnvironment: Environment {
    associatedtype Model: TransitionModel
    /// The model whose `transition` reproduces `step`.
    var model: Model { get }
    /// The current physical state, (model.stateDimension).
    var state: [Double] { get }
}
