import PCEnvironment

/// A transition model that holds each action for `count` steps of a base model (zero-order hold):
/// f_k(x, u) = f(…f(f(x, u), u)…, u). It lets the ``PredictiveController`` plan a long horizon with
/// few latent steps (see ``PredictiveControllerOptions/replanInterval``). Scratch lives on the stack.
public struct ActionRepeat<Base: TransitionModel>: TransitionModel {
    public let base: Base
    /// k, base steps per action.
    public let count: Int

    public init(_ base: Base, count: Int) {
        precondition(count >= 1, "ActionRepeat: count must be at least 1, got \(count)")
        self.base = base
        self.count = count
    }

    public var stateDimension: Int { base.stateDimension }
    public var actionDimension: Int { base.actionDimension }
    public var timeStep: Double { Double(count) * base.timeStep }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let n = stateDimension
        withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { scratch in
            for i in 0..<n { scratch[i] = state[i] }
            for _ in 0..<count {
                base.transition(state: UnsafeBufferPointer(scratch), action: action, next: next)
                for i in 0..<n { scratch[i] = next[i] }
            }
        }
    }

    /// The sum of the base rewards over the held steps.
    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double {
        let n = stateDimension
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { scratch in
            let a = UnsafeMutableBufferPointer(rebasing: scratch[0..<n]), b = UnsafeMutableBufferPointer(rebasing: scratch[n..<(2 * n)])
            for i in 0..<n { a[i] = state[i] }
            var total = 0.0
            for _ in 0..<count {
                base.transition(state: UnsafeBufferPointer(a), action: action, next: b)
                total += base.reward(state: UnsafeBufferPointer(a), action: action, next: UnsafeBufferPointer(b))
                for i in 0..<n { a[i] = b[i] }
            }
            return total
        }
    }
}
