import PCEnvironment

/// Which light-dark task (<doc:Tasks#Light-dark>, <doc:Tasks#Light-dark-counter-check>).
public enum LightDarkVariant: String, Sendable, Codable, CaseIterable {
    /// σ(p) = 0.1 + 0.5·|p_x − 8| (a light strip at p_x = 8, away from the prior mean); start (2, 5).
    case main
    /// σ = 0.1 + 0.5·‖x* − p‖ (noise grows with the distance to the target); start (5, 5).
    case counterCheck
}

/// The dynamics and the sensor of the 2-D light-dark task.
///
/// State x = (x*_x, x*_y, p_x, p_y): the hidden target and the sensor, in [0, 10]² each.
/// Action Δp (2): a move of length ≤ ``maximumStep``; a longer Δp is scaled down to that length,
/// then p′ = clamp(p + Δp, 0, 10) (project choice). The target never moves. The sensor reads
/// y = x* − p′ + v with v ~ N(0, σ² I), σ from ``sensorNoise(target:sensor:)``.
public struct LightDarkModel: TransitionModel, Sendable, Equatable {
    /// The variant (noise law and start).
    public let variant: LightDarkVariant
    /// The side of the square world, m (10).
    public let worldSize: Double
    /// The longest move per step (0.5).
    public let maximumStep: Double

    public init(variant: LightDarkVariant = .main, worldSize: Double = 10, maximumStep: Double = 0.5) throws {
        guard worldSize > 0, worldSize.isFinite, maximumStep > 0, maximumStep.isFinite else {
            throw EnvironmentError.invalidConfiguration("LightDark worldSize \(worldSize), maximumStep \(maximumStep)")
        }
        self.variant = variant
        self.worldSize = worldSize
        self.maximumStep = maximumStep
    }

    public static let main = try! LightDarkModel(variant: .main)
    public static let counterCheck = try! LightDarkModel(variant: .counterCheck)

    public var stateDimension: Int { 4 }
    public var actionDimension: Int { 2 }
    /// One step is one reading; there is no physical time.
    public var timeStep: Double { 1 }

    /// The sensor's start: (2, 5) for `.main`, (5, 5) for `.counterCheck`.
    public var startPosition: SIMD2<Double> { variant == .main ? SIMD2(2, 5) : SIMD2(5, 5) }

    /// The reading's standard deviation σ (per axis) with the target at `target` and the sensor at `sensor`.
    @inline(__always)
    public func sensorNoise(target: SIMD2<Double>, sensor: SIMD2<Double>) -> Double {
        switch variant {
        case .main: 0.1 + 0.5 * abs(sensor.x - 8)
        case .counterCheck: 0.1 + 0.5 * ((target - sensor) * (target - sensor)).sum().squareRoot()
        }
    }

    /// The sensor after the move Δp: the move shortened to ``maximumStep``, the result clamped to the world.
    @inline(__always)
    public func move(_ sensor: SIMD2<Double>, by step: SIMD2<Double>) -> SIMD2<Double> {
        let length = (step * step).sum().squareRoot()
        let scaled = length > maximumStep ? step * (maximumStep / length) : step
        return (sensor + scaled).clamped(lowerBound: SIMD2(repeating: 0), upperBound: SIMD2(repeating: worldSize))
    }

    public func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                           next: UnsafeMutableBufferPointer<Double>) {
        let p = move(SIMD2(state[2], state[3]), by: SIMD2(action[0], action[1]))
        next[0] = state[0]; next[1] = state[1]; next[2] = p.x; next[3] = p.y
    }

    /// Always 0: the task is scored on the agent's belief, not on a reward (<doc:Tasks#Light-dark>).
    public func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                       next: UnsafeBufferPointer<Double>) -> Double { 0 }
}
