import Testing
import PCEnvironment

/// A one-dimensional integrator x′ = x + u with u ∈ [−1, 1] (rejected outside), terminating at |x| ≥ 3.
struct Integrator: ModelBasedEnvironment {
    struct Model: TransitionModel {
        var stateDimension: Int { 1 }
        var actionDimension: Int { 1 }
        var timeStep: Double { 1 }
        func transition(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                        next: UnsafeMutableBufferPointer<Double>) { next[0] = state[0] + action[0] }
        func reward(state: UnsafeBufferPointer<Double>, action: UnsafeBufferPointer<Double>,
                    next: UnsafeBufferPointer<Double>) -> Double { -abs(next[0]) }
    }
    let model = Model()
    let observationSpace = try! BoxSpace(low: [-10], high: [10])
    let actionSpace = try! BoxSpace(low: [-1], high: [1])
    var x = 0.0
    var started = false
    var state: [Double] { [x] }

    mutating func reset(seed: UInt64?) -> [Double] {
        x = Double(seed ?? 0).truncatingRemainder(dividingBy: 2)
        started = true
        return [x]
    }

    mutating func step(_ action: [Double], observation: inout [Double]) throws -> Transition {
        try validate(action: action, observation: observation)
        guard started else { throw EnvironmentError.resetNeeded("not started") }
        x += action[0]
        observation[0] = x
        return Transition(reward: -abs(x), terminated: abs(x) >= 3)
    }
}

@Suite struct WrapperTests {
    @Test func timeLimitTruncatesAtTheLimitAndResets() throws {
        var env = TimeLimit(Integrator(), maxEpisodeSteps: 3)
        _ = env.reset(seed: 0)
        #expect(try env.step([0.1]).truncated == false)
        #expect(try env.step([0.1]).truncated == false)
        let last = try env.step([0.1])
        #expect(last.truncated && !last.terminated)
        _ = env.reset(seed: 0)
        #expect(env.elapsedSteps == 0)
        #expect(try env.step([0.1]).truncated == false)
    }

    @Test func orderEnforcingRefusesStepsBeforeResetAndAfterTheEnd() throws {
        var env = OrderEnforcing(Integrator())
        #expect(throws: EnvironmentError.resetNeeded("step called before reset or after the episode ended")) {
            _ = try env.step([1])
        }
        _ = env.reset(seed: 0)
        _ = try env.step([1]); _ = try env.step([1])
        #expect(try env.step([1]).terminated)
        #expect(env.state == [3])
        #expect(throws: EnvironmentError.self) { _ = try env.step([1]) }
        #expect(env.state == [3])
    }

    @Test func actionDelayExecutesActionsLate() throws {
        var env = try ActionDelay(Integrator(), delay: 2)
        _ = env.reset(seed: 0)
        // Rest action 0 for two steps, then the actions in order.
        var positions: [Double] = []
        for u in [0.5, 0.25, -1.0, 0.0] { positions.append(try env.step([u]).observation[0]) }
        #expect(positions == [0, 0, 0.5, 0.75])
        // A rejected action leaves the queue unchanged.
        #expect(throws: EnvironmentError.self) { _ = try env.step([.nan]) }
        #expect(try env.step([0]).observation[0] == -0.25)
        #expect(throws: EnvironmentError.self) { _ = try ActionDelay(Integrator(), delay: -1) }
    }

    @Test func checkerPassesACorrectEnvironmentAndCatchesAWrongModel() {
        #expect(checkEnvironment(Integrator()).passed)
        struct Broken: ModelBasedEnvironment {
            var inner = Integrator()
            var model: Integrator.Model { inner.model }
            var observationSpace: BoxSpace { inner.observationSpace }
            var actionSpace: BoxSpace { inner.actionSpace }
            var state: [Double] { [inner.x * 1.000001] }
            mutating func reset(seed: UInt64?) -> [Double] { inner.reset(seed: seed) }
            mutating func step(_ a: [Double], observation: inout [Double]) throws -> Transition {
                try inner.step(a, observation: &observation)
            }
        }
        #expect(!checkEnvironment(Broken()).passed)
    }
}
