/// A ring buffer of transitions (x, u, Δ), flat row-major; Δ is the change of the predicted
/// coordinates (the newest observation: all of x unless the state stacks a history).
struct TransitionMemory: Sendable {
    let stateDimension: Int, actionDimension: Int, capacity: Int
    /// Values per Δ: the predicted coordinates, ≤ stateDimension.
    let deltaDimension: Int
    /// x, (count × stateDimension); u, (count × actionDimension); Δ, (count × deltaDimension).
    var states: [Double] = [], actions: [Double] = [], deltas: [Double] = []
    var count = 0
    /// Where the next transition goes once the memory is full.
    var cursor = 0

    init(stateDimension: Int, actionDimension: Int, capacity: Int, deltaDimension: Int? = nil) {
        self.stateDimension = stateDimension; self.actionDimension = actionDimension; self.capacity = capacity
        self.deltaDimension = deltaDimension ?? stateDimension
    }

    /// Reserves room for `capacity` transitions, so appending never allocates.
    mutating func reserve() {
        states.reserveCapacity(capacity * stateDimension)
        actions.reserveCapacity(capacity * actionDimension)
        deltas.reserveCapacity(capacity * deltaDimension)
    }

    mutating func append(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                         delta: UnsafeBufferPointer<Double>) {
        let n = stateDimension, m = actionDimension, o = deltaDimension
        if count < capacity {
            // Element by element: `append(contentsOf:)` allocates in unoptimised builds even with room reserved.
            for i in 0..<n { states.append(state[i]) }
            for i in 0..<o { deltas.append(delta[i]) }
            for j in 0..<m { actions.append(action[j]) }
            count += 1
        } else {
            for i in 0..<n { states[cursor * n + i] = state[i] }
            for i in 0..<o { deltas[cursor * o + i] = delta[i] }
            for j in 0..<m { actions[cursor * m + j] = action[j] }
            cursor = (cursor + 1) % capacity
        }
    }

    /// Mean and population standard deviation of `value(self, k)` over the stored transitions.
    func moments(_ value: (TransitionMemory, Int) -> Double) -> (mean: Double, deviation: Double) {
        var sum = 0.0, squares = 0.0
        for k in 0..<count { sum += value(self, k) }
        let mean = sum / Double(max(count, 1))
        for k in 0..<count { let d = value(self, k) - mean; squares += d * d }
        return (mean, (squares / Double(max(count, 1))).squareRoot())
    }
}
