import Foundation
import Testing

/// The agent examples, run as built binaries, do what they teach — checked against the same agents
/// run through `pcctl`, not against numbers copied from their output.
@Suite struct AgentExamplesTests {
    /// PendulumSwingUp swings up from Gymnasium's seed-0 start, ends upright, and its return equals
    /// `pcctl run pendulum --episodes 1 --seed 0` (the same agent and start, through the CLI).
    @Test(.timeLimit(.minutes(2)))
    func pendulumSwingUpMatchesTheCLI() throws {
        let products = productsDirectory()
        let example = try launch(products.appendingPathComponent("PendulumSwingUp"), [])
        let output = finish(example, within: 60)
        #expect(example.process.terminationStatus == 0, "PendulumSwingUp failed: \(output)")
        let last = try #require(output.split(separator: "\n").last.map(String.init))
        #expect(last.hasSuffix("upright: true"), "\(last)")
        // "return over 200 steps: R   upright: true"
        let value = try #require(last.split(separator: " ").map(String.init).dropFirst(4).first.flatMap(Double.init))
        let cli = try launch(products.appendingPathComponent("pcctl"), ["run", "pendulum", "--episodes", "1", "--seed", "0", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(finish(cli, within: 60).utf8)) as? [String: Any]
        let expected = try #require((report?["returns"] as? [Double])?.first)
        #expect(abs(value - expected) <= 0.05, "example \(value), pcctl \(expected)")
    }

    /// ArmReaching reaches all ten random reachable targets to within 1% of the arm's 230 px reach.
    @Test(.timeLimit(.minutes(2)))
    func armReachingReachesEveryTarget() throws {
        let example = try launch(productsDirectory().appendingPathComponent("ArmReaching"), [])
        let output = finish(example, within: 60)
        #expect(example.process.terminationStatus == 0, "ArmReaching failed: \(output)")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 10, "\(output)")
        for line in lines {
            // "target k: (x, y) px reached to D px in S steps"
            let words = line.split(separator: " ").map(String.init)
            let distance = try #require(words.firstIndex(of: "to").flatMap { Double(words[$0 + 1]) }, "\(line)")
            #expect(distance < 0.01 * 230, "\(line)")
        }
    }

    /// ActiveSensing locates as many targets by expected free energy as `pcctl run lightdark
    /// --agent efe` does on the same seeds, and at least as many as the go-to-mean baseline.
    @Test(.timeLimit(.minutes(3)))
    func activeSensingAgreesWithTheCLI() throws {
        let products = productsDirectory()
        let example = try launch(products.appendingPathComponent("ActiveSensing"), ["2"])
        let output = finish(example, within: 120)
        #expect(example.process.terminationStatus == 0, "ActiveSensing failed: \(output)")
        // "policy: k/2 targets located within 0.25"
        var located: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count > 1, let k = parts[1].split(separator: "/").first.flatMap({ Int($0) }) else { continue }
            located[String(parts[0].dropLast())] = k
        }
        let efe = try #require(located["expectedFreeEnergy"], "\(output)")
        let goToMean = try #require(located["goToMean"], "\(output)")
        #expect(efe >= goToMean)
        let cli = try launch(products.appendingPathComponent("pcctl"), ["run", "lightdark", "--agent", "efe", "--episodes", "2", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(finish(cli, within: 120).utf8)) as? [String: Any]
        let results = try #require(report?["results"] as? [[String: Any]])
        let grid = try #require(results.first { $0["policy"] as? String == "expectedFreeEnergy" })
        let rate = try #require(grid["successRate"] as? Double)
        #expect(Int((rate * 2).rounded()) == efe)
    }
}

/// The built PendulumModelLearning example learns the pendulum's dynamics by babbling and swings
/// up on the learned model, ending upright within 10 return points of the true-model planner on the
/// same start (`pcctl run pendulum --episodes 1 --seed 0`).
@Suite struct ModelLearningExampleTests {
    @Test(.timeLimit(.minutes(3)))
    func learnedModelSwingsUpNearTheTrueModel() throws {
        let products = productsDirectory()
        let example = try launch(products.appendingPathComponent("PendulumModelLearning"), [])
        let output = finish(example, within: 150)
        #expect(example.process.terminationStatus == 0, "PendulumModelLearning failed: \(output)")
        let last = try #require(output.split(separator: "\n").last.map(String.init))
        #expect(last.hasSuffix("upright: true"), "\(last)")
        // "return over 200 steps on the learned model: R   upright: true"
        let words = last.split(separator: " ").map(String.init)
        let learned = try #require(words.firstIndex(of: "model:").flatMap { Double(words[$0 + 1]) }, "\(last)")
        let cli = try launch(products.appendingPathComponent("pcctl"), ["run", "pendulum", "--episodes", "1", "--seed", "0", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(finish(cli, within: 60).utf8)) as? [String: Any]
        let trueModel = try #require((report?["returns"] as? [Double])?.first)
        #expect(learned >= trueModel - 10, "learned \(learned), true model \(trueModel)")
    }
}
