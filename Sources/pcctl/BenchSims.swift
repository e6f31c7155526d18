import ArgumentParser
import PCEnvironment
import PCNumerics
import PCSims

/// `pcctl bench sims`: environment steps per second and heap allocations per step.
struct BenchSims: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sims",
        abstract: "Steps per second of every simulated environment (hot path, fixed action), and allocations per step.")

    @OptionGroup var options: BenchOptions

    /// Gymnasium's (or MuJoCo mj_step's) steps/s on this machine: (low, high), from issue 5.
    static let references: [String: (Double, Double, String)] = [
        "pendulum": (33e3, 42e3, "Gymnasium Pendulum-v1"),
        "cartpole": (61e3, 83e3, "Gymnasium CartPole-v1"),
        "acrobot": (10e3, 14e3, "Gymnasium Acrobot-v1"),
        "mountaincar": (142e3, 183e3, "Gymnasium MountainCarContinuous-v0"),
        "arm2-rk4-dt0.01": (43e3, 51e3, "MuJoCo mj_step on Reacher-v5"),
    ]

    func run() throws {
        var report = BenchReport(suite: "sims")
        report.results.append(measure("pendulum", Pendulum(), action: [0.7]))
        report.results.append(measure("cartpole", CartPole(), action: [1]))
        report.results.append(measure("cartpole-swingup", CartPole(model: .swingUp), action: [0.3]))
        report.results.append(measure("acrobot", Acrobot(), action: [1]))
        report.results.append(measure("acrobot-continuous", Acrobot(model: .continuous), action: [0.4]))
        report.results.append(measure("mountaincar", MountainCar(), action: [0.5]))
        report.results.append(measure("inverted-pendulum (2 RK4 substeps)", InvertedPendulum(), action: [0.1]))
        let arm2 = try PlanarArm(model: PlanarArmModel(chain: .uniformRods(count: 2), timeStep: 0.01, integrator: .rk4, gear: [20, 20]),
                                 task: PlanarArmTask(startAngles: [0, 0], episodeSteps: 500))
        report.results.append(measure("arm2-rk4-dt0.01", arm2, action: [0.3, -0.2]))
        report.results.append(measure("reacher (2 RK4 substeps)", PlanarArm.reacher(), action: [0.3, -0.2]))
        report.results.append(measure("arm-uaic (Euler, 1 ms)", PlanarArm.unbiasedAICPlant(), action: [10, 5]))
        report.results.append(measure("arm3-rk4-dt0.01", try PlanarArm.rods(count: 3), action: [0.3, -0.2, 0.1]))
        report.results.append(measure("arm7-rk4-dt0.01", try PlanarArm.rods(count: 7), action: [Double](repeating: 0.1, count: 7)))
        report.results.append(measure("lightdark", LightDark(), action: [0.3, 0.2]))
        report.emit(json: options.json)
    }

    /// Steps per second of `step(_:observation:)` with a fixed action, resetting at episode ends.
    /// Each timed call runs a batch of 1000 steps on local copies, so the closure's captured
    /// variables (and their exclusivity checks) are touched once per batch, not once per step.
    func measure<E: Environment>(_ name: String, _ environment: E, action: [Double]) -> BenchResult {
        var env = environment
        var observation = env.reset(seed: 1)
        var sink = 0.0
        let batch = 1000
        let body = {
            var localEnvironment = env
            var localObservation = observation
            var localSink = 0.0
            for _ in 0..<batch {
                let t = try! localEnvironment.step(action, observation: &localObservation)
                localSink += t.reward
                if t.terminated { localObservation = localEnvironment.reset(seed: nil) }
            }
            env = localEnvironment
            observation = localObservation
            sink += localSink
        }
        let iterations = max(1, calibrateIterations(body))
        let samples = measureNanosecondsPerCall(iterations: iterations, repeats: options.repeats, body).map { $0 / Double(batch) }
        let nanoseconds = median(samples)
        var details: [String: Double] = ["ns_per_step": nanoseconds, "best_steps_per_s": 1e9 / samples.first!]
        // Allocations: steps that do not end an episode (a reset returns a fresh array by design).
        if let allocations = allocationsPerCall(calls: 1000, {
            let t = try! env.step(action, observation: &observation)
            if t.terminated { _ = env.reset(seed: nil) }
        }) { details["allocations_per_step_incl_resets"] = allocations }
        var quiet = environment
        var quietObservation = quiet.reset(seed: 1)
        if let hot = allocationsPerCall(calls: 1000, { _ = try! quiet.step(action, observation: &quietObservation) }) {
            details["allocations_per_step"] = hot
        }
        if let (low, high, _) = Self.references[name] {
            details["reference_low_steps_per_s"] = low
            details["reference_high_steps_per_s"] = high
            details["speedup_vs_reference_high"] = (1e9 / nanoseconds) / high
        }
        if sink.isNaN { print("") }
        return BenchResult(name: name, value: 1e9 / nanoseconds, unit: "steps/s", details: details)
    }
}
