import Foundation
import Testing

/// The built MuPCDepth example at 48 hidden layers for one epoch: μPC keeps the deepest layer O(1)
/// at initialisation and trains; the standard parameterisation blows up and stalls.
@Suite struct MuPCDepthExampleTests {
    @Test(.timeLimit(.minutes(3)))
    func muPCTrainsWhereStandardStalls() throws {
        let example = try launch(productsDirectory().appendingPathComponent("MuPCDepth"), ["48", "1"])
        let output = finish(example, within: 150)
        #expect(example.process.terminationStatus == 0, "MuPCDepth failed: \(output)")
        // Lines: "<param>: 48 hidden layers of 64, RMS(z_48) at init = R" then "  epoch 1: energy E, test accuracy A%".
        var rms: [String: Double] = [:], accuracy: [String: Double] = [:]
        var current = ""
        for line in output.split(separator: "\n").map(String.init) {
            if let range = line.range(of: "at init = ") {
                current = String(line.prefix { $0 != ":" })
                rms[current] = Double(line[range.upperBound...])
            } else if let range = line.range(of: "test accuracy ") {
                accuracy[current] = Double(line[range.upperBound...].dropLast())
            }
        }
        let muRMS = try #require(rms["muPC"], "\(output)"), standardRMS = try #require(rms["standard"], "\(output)")
        #expect(muRMS >= 0.1 && muRMS <= 10)
        #expect(!(standardRMS <= 10), "standard RMS \(standardRMS) should grow with depth")
        #expect(try #require(accuracy["muPC"]) >= 80)
        #expect(try #require(accuracy["standard"]) <= 30)
    }
}
