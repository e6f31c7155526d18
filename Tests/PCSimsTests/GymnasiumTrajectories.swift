import Foundation

/// One step of a Gymnasium reference trajectory.
struct ReferenceStep {
    var action: [Double]
    var reward: Double
    var terminated: Bool
    var truncated: Bool
    /// Gymnasium's float64 physical state after the step.
    var next: [Double]
    /// The state after the reset that followed this step, if the episode ended here.
    var resetState: [Double]?
}

/// The trajectories of one seed: the start and the steps.
struct ReferenceRun {
    var seed: Int
    var initial: [Double]
    var steps: [ReferenceStep]
}

/// Reads `Fixtures/<name>.trajectories.bin` written by Sims/Fixtures/export_gymnasium.py
/// (layout documented there).
func loadReferenceRuns(_ name: String) throws -> [ReferenceRun] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(name).trajectories.bin")
    let bytes = [UInt8](try Data(contentsOf: url))
    var offset = 0
    func read<T: FixedWidthInteger>(_: T.Type) -> T {
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + k]) << (8 * k) }
        offset += MemoryLayout<T>.size
        return value
    }
    func doubles(_ n: Int) -> [Double] { (0..<n).map { _ in Double(bitPattern: read(UInt64.self)) } }
    guard String(decoding: bytes[0..<8], as: UTF8.self) == "PCKTRAJ1" else {
        throw CocoaError(.fileReadCorruptFile)
    }
    offset = 8
    let stateDimension = Int(read(UInt32.self)), actionDimension = Int(read(UInt32.self))
    let seeds = Int(read(UInt32.self)), stepsPerSeed = Int(read(UInt32.self))
    var runs: [ReferenceRun] = []
    for seed in 0..<seeds {
        let initial = doubles(stateDimension)
        var steps: [ReferenceStep] = []
        for _ in 0..<stepsPerSeed {
            let action = doubles(actionDimension)
            let reward = Double(bitPattern: read(UInt64.self))
            let flags = read(UInt8.self)
            let next = doubles(stateDimension)
            let resetState = flags & 4 != 0 ? doubles(stateDimension) : nil
            steps.append(ReferenceStep(action: action, reward: reward, terminated: flags & 1 != 0,
                                       truncated: flags & 2 != 0, next: next, resetState: resetState))
        }
        runs.append(ReferenceRun(seed: seed, initial: initial, steps: steps))
    }
    precondition(offset == bytes.count, "trailing bytes in \(name) fixture")
    return runs
}

/// Replays reference runs through an environment that is reset to each recorded start, and
/// reports the largest deviations of state and reward, and any flag mismatches.
struct ReplayReport {
    var maxStateError = 0.0
    var maxRewardError = 0.0
    var bitIdenticalSteps = 0
    var steps = 0
    var flagMismatches: [String] = []
}

///
/// With `resynchronise` false the environment runs free from each episode start (errors
/// accumulate); with true it restarts from Gymnasium's state after every step (one-step errors).
func replay(_ runs: [ReferenceRun], resynchronise: Bool = false, reset: ([Double]) throws -> Void,
            step: ([Double]) throws -> (state: [Double], reward: Double, terminated: Bool)) rethrows -> ReplayReport {
    var report = ReplayReport()
    for run in runs {
        try reset(run.initial)
        for (index, reference) in run.steps.enumerated() {
            let (state, reward, terminated) = try step(reference.action)
            var identical = true
            for (a, b) in zip(state, reference.next) {
                report.maxStateError = max(report.maxStateError, abs(a - b))
                if a.bitPattern != b.bitPattern { identical = false }
            }
            report.maxRewardError = max(report.maxRewardError, abs(reward - reference.reward))
            if identical && reward == reference.reward { report.bitIdenticalSteps += 1 }
            report.steps += 1
            if terminated != reference.terminated {
                report.flagMismatches.append("seed \(run.seed) step \(index): terminated \(terminated), Gymnasium \(reference.terminated)")
            }
            if let restart = reference.resetState { try reset(restart) } else if resynchronise { try reset(reference.next) }
        }
    }
    return report
}
