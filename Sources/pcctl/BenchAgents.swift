import Foundation
import ArgumentParser
import PCAgents
import PCEnvironment
import PCSims
import PCBridge
import PCKitC
import PCWire
import PCRecording
import _PCAllocationCounter

/// `pcctl bench agents`: per-step compute time (median, p99) and allocations per step after
/// warm-up, for each agent on its task, in closed loop with the real environment. Wall time
/// (`value`, `p99`, `max`) includes preemption by other processes; `cpuMedian`/`cpuP99` are the
/// thread's CPU time per step (CLOCK_THREAD_CPUTIME_ID), which a loaded machine does not inflate.
/// Rows ending in `.record` time the same loop with `--record` (a ``SessionRecorder`` writing a
/// temporary MCAP file from its own thread): step plus recording, with `overhead` the relative
/// change of the step's mean (fastest 90% of steps, `mean90`) over the row without recording and
/// allocations counted on the control thread.
struct BenchAgents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Per-step time (median, p99) and allocations per step of each agent on its task.")

    @OptionGroup var options: BenchOptions

    @Option(name: .long, help: "Episodes per agent (each step is timed individually).")
    var episodes: Int = 20

    @Option(name: .long, help: "Run only the rows whose name starts with this prefix (e.g. LearningAgent).")
    var only: String?

    /// Whether rows named `name` (or starting with it) are wanted.
    func wants(_ name: String) -> Bool {
        guard let only else { return true }
        return name.hasPrefix(only) || only.hasPrefix(name)
    }

    func run() throws {
        var report = BenchReport(suite: "agents")
        if wants("PredictiveController.pendulum") {
            report.results += try benchPendulum()
        }
        if wants("PredictiveController.learned.pendulum") { report.results.append(try benchLearnedPendulum()) }
        if wants("LearningAgent.pendulum") { report.results += try benchLearningPendulum() }
        for task in ControlTasks.names where task != "pendulum" && wants("LearningAgent.\(task)") {
            report.results += try benchLearningTask(task)
        }
        for variant in [ReflexControllerOptions.Variant.aic, .unbiased] where wants("ReflexController.\(variant.rawValue).arm-uaic") {
            let agent = try ReflexController(options: .twoLinkArm(variant: variant))
            let session = RecordedSession(task: "arm-uaic", agent: AgentConfiguration(reflexController: agent.options), parameters: [:],
                                          firstSeed: 0, episodes: episodes, ownRandomStarts: false,
                                          layout: SessionLayout(observationDimension: agent.observationDimension, actionDimension: agent.actionDimension,
                                                                beliefs: AgentBeliefs.reflex(agent), controlPeriod: agent.options.controlPeriod))
            report.results += try withRecording(session, beliefs: AgentBeliefs.writeReflex) { recording in
                try measureRecorded(name: "ReflexController.\(variant.rawValue).arm-uaic", agent: agent,
                                    environment: PlanarArm.unbiasedAICPlant(), steps: 2000, recording: recording) { env, _ in
                    env.reset(seed: 0)
                }
            }
            if variant == .aic {
                // The same agent and loop through libpckit's C ABI (pckit_agent_step), next to its Swift step.
                var row = try measureCABI(name: "ReflexController.aic.arm-uaic.cabi", options: .twoLinkArm(variant: .aic),
                                          environment: PlanarArm.unbiasedAICPlant(), steps: 2000) { env, _ in
                    env.reset(seed: 0)
                }
                let swift = report.results[report.results.count - 2]
                row.details["swiftMedian"] = swift.value
                row.details["overhead"] = row.value - swift.value
                row.details["cpuOverhead"] = row.details["cpuMedian"]! - swift.details["cpuMedian"]!
                report.results.append(row)
            }
        }
        if wants("KinematicHierarchy.kinematic-arm") {
            let hierarchy = try KinematicHierarchy(options: .referenceArm)
            report.results.append(try measure(name: "KinematicHierarchy.kinematic-arm", agent: hierarchy,
                                              environment: KinematicArm.priorelliReference(), steps: 500) { env, episode in
                env.reset(seed: UInt64(episode))
            })
        }
        if wants("ActiveSensingAgent.efe.lightdark") {
            let sensing = try ActiveSensingAgent(options: ActiveSensingOptions(policy: .expectedFreeEnergy))
            let session = RecordedSession(task: "lightdark", agent: AgentConfiguration(activeSensing: sensing.options), parameters: [:],
                                          firstSeed: 0, episodes: 3, ownRandomStarts: false,
                                          layout: SessionLayout(observationDimension: 5, actionDimension: 2,
                                                                beliefs: AgentBeliefs.sensing, controlPeriod: 1))
            report.results += try withRecording(session, beliefs: AgentBeliefs.writeSensing) { recording in
                try measureRecorded(name: "ActiveSensingAgent.efe.lightdark", agent: sensing, environment: LightDark(),
                                    steps: LightDark.episodeSteps, episodes: 3, recording: recording) { env, episode in
                    env.reset(seed: UInt64(episode))
                }
            }
        }
        report.emit(json: options.json)
    }

    /// Times every `agent.step` of closed-loop episodes, and counts allocations over all steps after
    /// the first episode's first 5 steps.
    func measure<A: Agent, E: Environment>(name: String, agent: A, environment: E, steps: Int, episodes: Int? = nil,
                                          recording: RunRecording<A>? = nil,
                                          reset: (inout E, Int) throws -> [Double]) throws -> BenchResult {
        var agent = agent, environment = environment
        return try sample(&agent, &environment, steps: steps, episodes: 0..<(episodes ?? self.episodes),
                          recording: recording, reset: reset).result(name: name)
    }

    /// The same loop timed without and with `recording`, alternating in rounds of a few episodes (the
    /// same episodes for both) so that a change of machine load between the two rows does not show
    /// up as the recording's overhead. Returns the two rows, the second with its overhead.
    func measureRecorded<A: Agent, E: Environment>(name: String, agent: A, environment: E, steps: Int, episodes: Int? = nil,
                                                  recording: RunRecording<A>,
                                                  reset: (inout E, Int) throws -> [Double]) throws -> (BenchResult, BenchResult) {
        let episodes = episodes ?? self.episodes, rounds = min(4, episodes)
        var plain = StepSamples(), recorded = StepSamples()
        var plainAgent = agent, recordedAgent = agent, plainEnvironment = environment, recordedEnvironment = environment
        for round in 0..<rounds {
            let range = (round * episodes / rounds)..<((round + 1) * episodes / rounds)
            plain.merge(try sample(&plainAgent, &plainEnvironment, steps: steps, episodes: range, recording: nil, reset: reset))
            recorded.merge(try sample(&recordedAgent, &recordedEnvironment, steps: steps, episodes: range, recording: recording, reset: reset))
        }
        let base = plain.result(name: name)
        var row = recorded.result(name: name + ".record")
        row.addOverhead(over: base)
        return (base, row)
    }

    /// Runs `episodes` of the closed loop, timing each step (and its recording, when given).
    func sample<A: Agent, E: Environment>(_ agent: inout A, _ environment: inout E, steps: Int, episodes: Range<Int>,
                                         recording: RunRecording<A>?,
                                         reset: (inout E, Int) throws -> [Double]) throws -> StepSamples {
        var action = [Double](repeating: 0, count: agent.actionDimension)
        var samples = StepSamples()
        samples.times.reserveCapacity(episodes.count * steps)
        samples.cpuTimes.reserveCapacity(episodes.count * steps)
        for episode in episodes {
            var observation = try reset(&environment, episode)
            agent.reset(seed: UInt64(episode))
            recording?.recorder.beginEpisode(episode, seed: UInt64(episode))
            for t in 0..<steps {
                let warm = episode > 0 || t >= 5
                let before = pck_thread_allocation_count()
                let cpuStart = threadCPUNanoseconds()
                let start = monotonicNanoseconds()
                let diagnostics = agent.step(observation, action: &action)
                recording?.record(&agent, observation: observation, action: action, diagnostics: diagnostics)
                let elapsed = monotonicNanoseconds() - start
                let cpuElapsed = threadCPUNanoseconds() - cpuStart
                let allocated = pck_thread_allocation_count() - before
                if warm {
                    samples.allocations += allocated
                    samples.times.append(Double(elapsed))
                    samples.cpuTimes.append(Double(cpuElapsed))
                }
                let transition = try environment.step(action, observation: &observation)
                if transition.done { break }
            }
        }
        return samples
    }

    /// As ``measure(name:agent:environment:steps:episodes:reset:)``, for a reflex controller made by
    /// `pckit_agent_create` from its options (the JSON a C caller passes) and stepped by
    /// `pckit_agent_step`: the C ABI's cost (handle check, argument checks, action clipping,
    /// diagnostics, the bridge adapter) on top of the agent's own step.
    func measureCABI<E: Environment>(name: String, options: ReflexControllerOptions, environment: E, steps: Int,
                                     reset: (inout E, Int) throws -> [Double]) throws -> BenchResult {
        let block = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(options))
        let configuration = EmbeddedAgentConfiguration(observationSpace: WireSpace(environment.observationSpace),
                                          actionSpace: WireSpace(environment.actionSpace),
                                          controlPeriod: options.controlPeriod,
                                          agent: ["agent": "reflexController", "reflexController": block])
        let json = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        var handle: OpaquePointer?
        guard json.withCString({ pckit_agent_create($0, &handle) }) == 0, let agent = handle else {
            throw ValidationError("pckit_agent_create: \(String(cString: pckit_thread_error()))")
        }
        defer { _ = pckit_agent_destroy(agent) }
        var environment = environment
        let n = UInt(environment.observationSpace.dimension), m = UInt(environment.actionSpace.dimension)
        var action = [Double](repeating: 0, count: Int(m))
        var times: [Double] = [], cpuTimes: [Double] = []
        times.reserveCapacity(episodes * steps)
        cpuTimes.reserveCapacity(episodes * steps)
        var allocations: UInt64 = 0, countedSteps = 0, failed: Int32 = 0
        for episode in 0..<episodes {
            var observation = try reset(&environment, episode)
            guard pckit_agent_reset(agent, UInt64(episode)) == 0 else {
                throw ValidationError("pckit_agent_reset: \(String(cString: pckit_agent_last_error(agent)))")
            }
            for t in 0..<steps {
                let warm = episode > 0 || t >= 5
                let before = pck_thread_allocation_count()
                let cpuStart = threadCPUNanoseconds()
                let start = monotonicNanoseconds()
                failed |= observation.withUnsafeBufferPointer { o in
                    action.withUnsafeMutableBufferPointer { a in pckit_agent_step(agent, o.baseAddress, n, a.baseAddress, m, nil) }
                }
                let elapsed = monotonicNanoseconds() - start
                let cpuElapsed = threadCPUNanoseconds() - cpuStart
                let allocated = pck_thread_allocation_count() - before
                if warm {
                    allocations += allocated
                    countedSteps += 1
                    times.append(Double(elapsed))
                    cpuTimes.append(Double(cpuElapsed))
                }
                let transition = try environment.step(action, observation: &observation)
                if transition.done { break }
            }
        }
        guard failed == 0 else { throw ValidationError("pckit_agent_step: \(String(cString: pckit_agent_last_error(agent)))") }
        times.sort()
        cpuTimes.sort()
        let active = pck_allocation_counter_active() != 0
        return BenchResult(name: name, value: median(times), unit: "ns/step",
                           details: ["p99": quantile(times, 0.99), "max": times.last ?? 0,
                                     "cpuMedian": median(cpuTimes), "cpuP99": quantile(cpuTimes, 0.99),
                                     "steps": Double(times.count),
                                     "allocationsPerStep": active ? Double(allocations) / Double(max(1, countedSteps)) : -1])
    }

    /// The pendulum planner on a ModelLearner's network (4–32–2, the one `pcctl run pendulum --agent
    /// learned` scores). Its cost depends on the network's shape, not on how well it is trained, so
    /// the model here learns from 2,000 babbling steps only (a few seconds) before it is timed.
    func benchLearnedPendulum() throws -> BenchResult {
        var run = LearnedPendulumRun(learnerOptions: try LearnedPendulumRun.defaultLearnerOptions(),
                                     controllerOptions: .pendulumSwingUp)
        run.learningSteps = 2_000
        run.babblingSteps = 2_000
        let (learner, _) = try run.learn()
        return try measure(name: "PredictiveController.learned.pendulum", agent: try run.controller(for: learner),
                           environment: Pendulum(), steps: Pendulum.episodeSteps) { env, episode in
            try env.reset(state: GymnasiumInitialStates.pendulum[episode % GymnasiumInitialStates.pendulum.count])
        }
    }

    /// The pendulum swing-up planner, without and with every step recorded (`pcctl run pendulum --record`).
    func benchPendulum() throws -> [BenchResult] {
        let agent = try PredictiveController(model: FiniteDifferenceLinearization(PendulumModel.gymnasium),
                                             options: .pendulumSwingUp)
        let session = RecordedSession.plan(task: "pendulum", controller: agent, firstSeed: 0, episodes: episodes, controlPeriod: 0.05)
        return try withRecording(session, beliefs: AgentBeliefs.writePredictive) { recording in
            try measureRecorded(name: "PredictiveController.pendulum", agent: agent, environment: Pendulum(),
                                steps: Pendulum.episodeSteps, recording: recording) { env, episode in
                try env.reset(state: GymnasiumInitialStates.pendulum[episode % GymnasiumInitialStates.pendulum.count])
            }
        }
    }

    /// Runs `body` with a recorder writing `session` to a temporary file, then finishes and removes
    /// it; `body` returns the rows without and with recording, and the second gains the recording's
    /// size and stalls.
    func withRecording<A: Agent>(_ session: RecordedSession, beliefs: @escaping (UnsafePointer<A>, UnsafeMutableBufferPointer<Double>) -> Void,
                                 _ body: (RunRecording<A>) throws -> (BenchResult, BenchResult)) throws -> [BenchResult] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcctl-bench-\(getpid())-\(session.task).mcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recording = RunRecording(recorder: try session.startRecorder(path: path), beliefs: beliefs)
        var (base, row) = try body(recording)
        let summary = try recording.recorder.finish()
        row.details["recordedBytesPerStep"] = Double(summary.bytes) / Double(max(1, summary.steps))
        row.details["stalls"] = Double(summary.stalls)
        return [base, row]
    }
}


/// The JSON `pckit_agent_create` reads (Interfaces/c/pckit.h).
private struct EmbeddedAgentConfiguration: Encodable {
    var observationSpace: WireSpace
    var actionSpace: WireSpace
    var controlPeriod: Double
    var agent: JSONValue
}

/// Per-step wall and thread CPU times (ns) and allocations of warm steps.
struct StepSamples {
    var times: [Double] = [], cpuTimes: [Double] = []
    var allocations: UInt64 = 0

    mutating func merge(_ other: StepSamples) {
        times += other.times
        cpuTimes += other.cpuTimes
        allocations += other.allocations
    }

    /// The row: median (value), p99, max, `mean90`, CPU median and p99, steps, allocations per step.
    func result(name: String) -> BenchResult {
        let times = times.sorted(), cpuTimes = cpuTimes.sorted()
        let active = pck_allocation_counter_active() != 0
        return BenchResult(name: name, value: median(times), unit: "ns/step",
                           details: ["p99": quantile(times, 0.99), "max": times.last ?? 0, "mean90": lowerMean(times, 0.9),
                                     "cpuMedian": median(cpuTimes), "cpuP99": quantile(cpuTimes, 0.99),
                                     "steps": Double(times.count),
                                     "allocationsPerStep": active ? Double(allocations) / Double(max(1, times.count)) : -1])
    }
}

extension BenchResult {
    /// Adds `overhead` (relative change of `mean90`, the mean of the fastest 90% of steps),
    /// `medianOverhead` (of the median) and `cpuOverhead` (of the CPU-time median) over `base`.
    ///
    /// The overhead is taken on the mean because the clock ticks in 10 ns on some machines (this
    /// build machine's TSC through KVM): a median of a ~200 ns step moves in 5% quanta, while the
    /// mean of thousands of ticks resolves a nanosecond. The slowest 10% are left out so that
    /// preemptions on a loaded machine (which hit a few percent of steps) do not decide the figure.
    mutating func addOverhead(over base: BenchResult) {
        if let mean = details["mean90"], let baseMean = base.details["mean90"] { details["overhead"] = mean / baseMean - 1 }
        details["medianOverhead"] = value / base.value - 1
        if let cpu = details["cpuMedian"], let baseCPU = base.details["cpuMedian"] { details["cpuOverhead"] = cpu / baseCPU - 1 }
    }
}

/// The mean of the smallest `fraction` of `sorted` (ascending) values: a mean that one preemption
/// does not move.
func lowerMean(_ sorted: [Double], _ fraction: Double) -> Double {
    let count = max(1, Int((Double(sorted.count) * fraction).rounded(.down)))
    guard !sorted.isEmpty else { return 0 }
    return sorted.prefix(count).reduce(0, +) / Double(min(count, sorted.count))
}
