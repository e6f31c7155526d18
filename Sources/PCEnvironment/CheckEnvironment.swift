/// The outcome of ``checkEnvironment(_:seed:steps:)``: every broken rule, in words.
public struct EnvironmentCheck: Sendable, CustomStringConvertible {
    /// One sentence per violated rule; empty when the environment passed.
    public var problems: [String] = []
    /// True when no rule was violated.
    public var passed: Bool { problems.isEmpty }
    public var description: String {
        passed ? "environment check passed" : "environment check failed:\n- " + problems.joined(separator: "\n- ")
    }
}

/// Checks an environment against the contract of ``Environment`` (Gymnasium's `check_env`).
///
/// Pass a freshly constructed environment. The checker works on copies and verifies:
/// 1. a `step` before the first `reset` throws ``EnvironmentError/resetNeeded(_:)``;
/// 2. observations have the declared dimension, are finite and lie in the observation space;
///    rewards are finite; this over `steps` steps of actions drawn uniformly from the action
///    space (coordinates with an infinite bound are drawn from [−1, 1]), resetting when an episode ends;
/// 3. a wrong-length action, a NaN action and a wrong-length observation buffer throw the
///    matching ``EnvironmentError`` and leave the state unchanged (the next step is bit-identical
///    to a copy that never saw the bad call);
/// 4. determinism: two copies reset with the same seed and fed the same actions produce
///    bit-identical observations, rewards and flags, and `reset(seed:)` twice gives the same start;
/// 5. ``Environment/step(_:)`` agrees with ``Environment/step(_:observation:)``.
///
/// - Parameters:
///   - environment: a fresh environment (never reset).
///   - seed: the seed of the episodes and of the checker's action draws.
///   - steps: steps to simulate (≥ 1).
/// - Returns: the list of problems found.
public func checkEnvironment<E: Environment>(_ environment: E, seed: UInt64 = 0, steps: Int = 300) -> EnvironmentCheck {
    var check = EnvironmentCheck()
    let actionSpace = environment.actionSpace
    let observationSpace = environment.observationSpace
    var sampler = ActionSampler(seed: seed, space: actionSpace)

    // 1. Order: step before reset.
    do {
        var fresh = environment
        var observation = [Double](repeating: 0, count: fresh.observationDimension)
        _ = try fresh.step(sampler.midpoint(), observation: &observation)
        check.problems.append("step before reset did not throw")
    } catch let error as EnvironmentError {
        if case .resetNeeded = error {} else { check.problems.append("step before reset threw \(error), expected resetNeeded") }
    } catch { check.problems.append("step before reset threw a non-EnvironmentError: \(error)") }

    // 2, 4, 5. Two copies, same seed, same actions.
    var first = environment
    var second = environment
    let firstStart = first.reset(seed: seed)
    let secondStart = second.reset(seed: seed)
    check.inspect(observation: firstStart, in: observationSpace, at: "reset")
    if !bitIdentical(firstStart, secondStart) { check.problems.append("reset(seed: \(seed)) is not deterministic") }
    var repeated = environment
    _ = repeated.reset(seed: seed &+ 1)
    if !bitIdentical(repeated.reset(seed: seed), firstStart) {
        check.problems.append("reset(seed:) after other episodes does not reproduce the first start")
    }
    var observation = firstStart
    for step in 0..<max(1, steps) {
        let action = sampler.next()
        let firstResult: Transition
        let secondResult: StepResult
        do {
            firstResult = try first.step(action, observation: &observation)
            secondResult = try second.step(action)
        } catch {
            check.problems.append("step \(step) threw \(error) for the in-space action \(action)")
            return check
        }
        check.inspect(observation: observation, in: observationSpace, at: "step \(step)")
        if !firstResult.reward.isFinite { check.problems.append("step \(step): reward \(firstResult.reward) is not finite") }
        if !bitIdentical(observation, secondResult.observation)
            || firstResult.reward.bitPattern != secondResult.reward.bitPattern
            || firstResult.terminated != secondResult.terminated || firstResult.truncated != secondResult.truncated {
            check.problems.append("step \(step): same seed and actions gave different results (or step(_:) disagrees with step(_:observation:))")
            return check
        }
        if firstResult.done {
            let next = UInt64(step) &+ seed &+ 1
            observation = first.reset(seed: next)
            _ = second.reset(seed: next)
            check.inspect(observation: observation, in: observationSpace, at: "reset after step \(step)")
        }
        if check.problems.count > 20 { return check }
    }

    // 3. Bad input leaves the state unchanged.
    let good = sampler.next()
    var wrongLength = good
    wrongLength.append(0)
    var withNaN = good
    if !withNaN.isEmpty { withNaN[0] = .nan }
    var shortBuffer = [Double](repeating: 0, count: max(0, observationSpace.dimension - 1))
    var reference = first
    var referenceObservation = observation
    let expected = try? reference.step(good, observation: &referenceObservation)
    var probe = first
    expectThrow(&check, "wrong-length action") { obs in _ = try probe.step(wrongLength, observation: &obs) } matching: {
        if case .actionShape = $0 { true } else { false }
    }
    if !good.isEmpty {
        expectThrow(&check, "NaN action") { obs in _ = try probe.step(withNaN, observation: &obs) } matching: {
            if case .nonFiniteAction = $0 { true } else { false }
        }
    }
    do {
        _ = try probe.step(good, observation: &shortBuffer)
        check.problems.append("a short observation buffer did not throw")
    } catch EnvironmentError.observationBufferShape {
    } catch { check.problems.append("a short observation buffer threw \(error), expected observationBufferShape") }
    var probeObservation = observation
    let after = try? probe.step(good, observation: &probeObservation)
    if after != expected || !bitIdentical(probeObservation, referenceObservation) {
        check.problems.append("a rejected step changed the environment's state")
    }
    return check

    func expectThrow(_ check: inout EnvironmentCheck, _ what: String, _ body: (inout [Double]) throws -> Void,
                     matching: (EnvironmentError) -> Bool) {
        var buffer = [Double](repeating: 0, count: observationSpace.dimension)
        do {
            try body(&buffer)
            check.problems.append("a \(what) did not throw")
        } catch let error as EnvironmentError {
            if !matching(error) { check.problems.append("a \(what) threw \(error)") }
        } catch { check.problems.append("a \(what) threw a non-EnvironmentError: \(error)") }
    }
}

/// Checks that an environment's ``ModelBasedEnvironment/model`` reproduces its `step`: from the
/// environment's own states, `model.transition` must give the next `state` bit for bit and
/// `model.reward` the step's reward, over `steps` random in-space actions. Also runs
/// ``checkEnvironment(_:seed:steps:)``.
public func checkEnvironment<E: ModelBasedEnvironment>(_ environment: E, seed: UInt64 = 0, steps: Int = 300) -> EnvironmentCheck {
    var check: EnvironmentCheck = checkEnvironment(environment as E?, seed: seed, steps: steps)
    var env = environment
    let model = env.model
    var sampler = ActionSampler(seed: seed &+ 7, space: env.actionSpace)
    var observation = env.reset(seed: seed)
    var predicted = [Double](repeating: 0, count: model.stateDimension)
    for step in 0..<max(1, steps) {
        let action = sampler.next()
        let before = env.state
        guard before.count == model.stateDimension else {
            check.problems.append("state has \(before.count) values, model.stateDimension is \(model.stateDimension)")
            return check
        }
        let transition: Transition
        do { transition = try env.step(action, observation: &observation) } catch {
            check.problems.append("step \(step) threw \(error)"); return check
        }
        let after = env.state
        before.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in
                predicted.withUnsafeMutableBufferPointer { model.transition(state: x, action: u, next: $0) }
            }
        }
        if !bitIdentical(predicted, after) {
            check.problems.append("step \(step): model.transition gave \(predicted), the environment reached \(after)")
            return check
        }
        let reward = before.withUnsafeBufferPointer { x in
            action.withUnsafeBufferPointer { u in after.withUnsafeBufferPointer { model.reward(state: x, action: u, next: $0) } }
        }
        if reward.bitPattern != transition.reward.bitPattern {
            check.problems.append("step \(step): model.reward gave \(reward), step returned \(transition.reward)")
            return check
        }
        if transition.done { observation = env.reset(seed: seed &+ UInt64(step) &+ 1) }
    }
    return check
}

// Routes the model-based overload to the plain checks without recursion.
private func checkEnvironment<E: Environment>(_ environment: E?, seed: UInt64, steps: Int) -> EnvironmentCheck {
    checkEnvironment(environment!, seed: seed, steps: steps) as EnvironmentCheck
}

extension EnvironmentCheck {
    mutating func inspect(observation: [Double], in space: BoxSpace, at place: String) {
        if observation.count != space.dimension {
            problems.append("\(place): observation has \(observation.count) values, the space \(space.dimension)")
        } else if observation.contains(where: { !$0.isFinite }) {
            problems.append("\(place): observation \(observation) is not finite")
        } else if !space.contains(observation) {
            problems.append("\(place): observation \(observation) lies outside the observation space")
        }
    }
}

func bitIdentical(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Uniform actions in a box from a SplitMix64 stream (the checker's own generator, so that
/// PCEnvironment needs no dependency).
struct ActionSampler {
    var state: UInt64
    let space: BoxSpace

    init(seed: UInt64, space: BoxSpace) {
        self.state = seed ^ 0x5DEE_CE66_D1CE_4E5B
        self.space = space
    }

    mutating func nextUniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) * 0x1.0p-53
    }

    mutating func next() -> [Double] {
        (0..<space.dimension).map { i in
            let low = space.low[i].isFinite ? space.low[i] : -1
            let high = space.high[i].isFinite ? space.high[i] : 1
            return low + (high - low) * nextUniform()
        }
    }

    func midpoint() -> [Double] {
        (0..<space.dimension).map { i in
            let low = space.low[i].isFinite ? space.low[i] : -1
            let high = space.high[i].isFinite ? space.high[i] : 1
            return 0.5 * (low + high)
        }
    }
}
