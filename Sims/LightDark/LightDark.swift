#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PCEnvironment
import PCNumerics

/// 2-D light-dark active sensing (<doc:Tasks#Light-dark>): find a hidden static target with a movable sensor
/// whose noise depends on where the sensor is (``LightDarkVariant/main``) or on its distance to
/// the target (``LightDarkVariant/counterCheck``). See ``LightDarkModel``.
///
/// | | dimension | bounds | meaning |
/// |---|---|---|---|
/// | action | 2 | [−0.5, 0.5]² | move Δp; longer than 0.5 is shortened to 0.5; ``headings`` lists the 9 moves of the task |
/// | observation | 5 | p ∈ [0, 10]², y ∈ ℝ², precision ∈ [0, 100] | (p_x, p_y, y_x, y_y, 1/σ²) |
/// | state (``state``) | 4 | [0, 10]⁴ | (x*_x, x*_y, p_x, p_y) |
///
/// Each step the sensor moves, then reads y = x* − p′ + v, v ~ N(0, σ(p′)² I). The last entry
/// of the observation is the reading's precision 1/σ²; the reset observation carries no reading
/// and has precision 0 (a Bayes filter that weights by precision then ignores it).
/// - **Reward:** 0 every step; score with the agent's posterior (success ‖E[x*] − x*‖ < 0.25 at T, …).
/// - **Start:** x* ~ U([0, 10]²); p₀ = (2, 5) (main) or (5, 5) (counter-check); or ``reset(state:)``.
/// - **Episode end:** never terminates; T = 30 steps (``episodeSteps``) with ``TimeLimit``.
/// - **Source:** the light-dark domain of Platt et al., *Belief space planning assuming maximum
///   likelihood observations* (RSS 2010), in the form of <doc:Tasks#Light-dark> (PCKit's choices noted there).
public struct LightDark: ModelBasedEnvironment, StateResettable, Sendable {
    /// The horizon T.
    public static let episodeSteps = 30
    /// The task's nine moves: stay, then the eight headings k·45° (k = 0…7) of length 0.5.
    public static let headings: [[Double]] = [[0, 0]] + (0..<8).map { k in
        let angle = Double(k) * .pi / 4
        return [0.5 * cos(angle), 0.5 * sin(angle)]
    }

    public let model: LightDarkModel
    public let observationSpace: BoxSpace
    public let actionSpace: BoxSpace
    /// The environment's random generator (targets and sensor noise).
    public private(set) var generator: Xoshiro256
    /// The hidden target x*.
    public private(set) var target = SIMD2<Double>()
    /// The sensor position p.
    public private(set) var sensor = SIMD2<Double>()
    /// σ of the last reading (∞ before the first).
    public private(set) var lastNoise = Double.infinity
    private var hasReset = false

    public init(model: LightDarkModel = .main, seed: UInt64 = 0) {
        self.model = model
        self.generator = Xoshiro256(seed: seed)
        let size = model.worldSize, inf = Double.infinity, step = model.maximumStep
        let maxPrecision = 1 / (0.1 * 0.1)
        observationSpace = try! BoxSpace(low: [0, 0, -inf, -inf, 0], high: [size, size, inf, inf, maxPrecision])
        actionSpace = try! BoxSpace(low: [-step, -step], high: [step, step])
    }

    public var state: [Double] { [target.x, target.y, sensor.x, sensor.y] }
    public var info: [String: Double] { ["sensorNoise": lastNoise] }

    public mutating func reset(seed: UInt64?) -> [Double] {
        if let seed { generator = Xoshiro256(seed: seed) }
        target = SIMD2(generator.uniform(0, model.worldSize), generator.uniform(0, model.worldSize))
        sensor = model.startPosition
        return start()
    }

    /// Starts from (x*_x, x*_y, p_x, p_y), each in [0, worldSize].
    /// - Throws: ``EnvironmentError/invalidConfiguration(_:)`` otherwise.
    public mutating func reset(state: [Double]) throws -> [Double] {
        guard state.count == 4, state.allSatisfy({ $0 >= 0 && $0 <= model.worldSize }) else {
            throw EnvironmentError.invalidConfiguration("LightDark state must be 4 values in [0, \(model.worldSize)], got \(state)")
        }
        target = SIMD2(state[0], state[1])
        sensor = SIMD2(state[2], state[3])
        return start()
    }

    private mutating func start() -> [Double] {
        hasReset = true
        lastNoise = .infinity
        return [sensor.x, sensor.y, 0, 0, 0]
    }

    public mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validateStep(action: action, actionDimension: 2, observation: observation, observationDimension: 5)
        guard hasReset else { throw EnvironmentError.resetNeeded("LightDark.step before reset") }
        // Move, then read.
        sensor = model.move(sensor, by: SIMD2(action[0], action[1]))
        let sigma = model.sensorNoise(target: target, sensor: sensor)
        lastNoise = sigma
        observation[0] = sensor.x
        observation[1] = sensor.y
        observation[2] = target.x - sensor.x + sigma * generator.nextNormal()
        observation[3] = target.y - sensor.y + sigma * generator.nextNormal()
        observation[4] = 1 / (sigma * sigma)
        return Transition(reward: 0)
    }
}
