/// Applies each action `delay` steps late, as a slow actuator or a network hop would.
///
/// At step k the wrapped environment receives the action given at step k − `delay`; during the
/// first `delay` steps of an episode it receives `restAction`. `delay = 0` passes actions through.
/// The action is validated when it is given (bad input throws at once and changes nothing).
public struct ActionDelay<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// Steps between giving an action and its execution (≥ 0).
    public let delay: Int
    /// The action executed while the queue fills, (actionDimension).
    public let restAction: [Double]
    // Ring buffer of the queued actions, (delay × actionDimension), oldest at `head`.
    private var queue: [Double]
    private var head = 0
    // Scratch for the action handed to `base`, (actionDimension); reused, never reallocated.
    private var executed: [Double]

    /// Wraps `base`.
    /// - Parameters:
    ///   - delay: steps of delay, ≥ 0.
    ///   - restAction: the action executed before the first given one arrives, (actionDimension);
    ///     `nil` means zero clipped into the action space.
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` for a negative delay or a rest
    ///   action of the wrong length or outside the action space.
    public init(_ base: Base, delay: Int, restAction: [Double]? = nil) throws {
        guard delay >= 0 else { throw EnvironmentError.invalidConfiguration("ActionDelay: delay \(delay) < 0") }
        let space = base.actionSpace
        var rest = restAction ?? [Double](repeating: 0, count: space.dimension)
        if restAction == nil { space.clip(&rest) }
        guard rest.count == space.dimension, space.contains(rest) else {
            throw EnvironmentError.invalidConfiguration("ActionDelay: rest action \(rest) is not in the action space")
        }
        self.base = base
        self.delay = delay
        self.restAction = rest
        self.executed = rest
        self.queue = []
        fillQueue()
    }

    mutating func fillQueue() {
        queue = []
        for _ in 0..<delay { queue.append(contentsOf: restAction) }
        head = 0
    }

    public var observationSpace: BoxSpace { base.observationSpace }
    public var actionSpace: BoxSpace { base.actionSpace }
    public var info: [String: Double] { base.info }

    public mutating func reset(seed: UInt64?) -> [Double] {
        fillQueue()
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validate(action: action, observation: observation)
        guard delay > 0 else { return try base.step(action, observation: &observation) }
        let n = action.count
        // Take the oldest queued action out and put the new one in its slot.
        let offset = head * n
        for i in 0..<n {
            executed[i] = queue[offset + i]
            queue[offset + i] = action[i]
        }
        do {
            let transition = try base.step(executed, observation: &observation)
            head = (head + 1) % delay
            return transition
        } catch {
            // Undo the queue change so a refused step leaves everything as it was.
            for i in 0..<n { queue[offset + i] = executed[i] }
            throw error
        }
    }
}

extension ActionDelay: ModelBasedEnvironment where Base: ModelBasedEnvironment {
    public var model: Base.Model { base.model }
    public var state: [Double] { base.state }
}
