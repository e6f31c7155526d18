import Foundation
import Testing

/// The built `pendulum-robot` example, run against a real `pcctl serve`, balances the pendulum and
/// scores exactly what the same agent scores in process (`pcctl run pendulum --own-rng`, seed 7).
@Suite struct PendulumRobotExampleTests {
    @Test(.timeLimit(.minutes(1)))
    func pendulumRobotBalancesOverTheBridge() throws {
        let products = productsDirectory()
        let socket = "/tmp/pckit-example-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(socket) }
        let server = try launch(products.appendingPathComponent("pcctl"), ["serve", "--bind", "ipc://" + socket])
        defer { stop(server.process) }
        let announced = firstLine(server.output)
        #expect(announced == "listening ipc://" + socket)

        let robot = try launch(products.appendingPathComponent("pendulum-robot"), ["ipc://" + socket])
        let output = finish(robot, within: 30)
        #expect(robot.process.terminationStatus == 0, "pendulum-robot failed: \(output)")
        // "return R final-angle A upright true"
        let words = output.split(separator: " ").map(String.init)
        try #require(words.count == 6 && words[0] == "return", "unexpected output: \(output)")
        #expect(words[5].trimmingCharacters(in: .whitespacesAndNewlines) == "true", "not upright: \(output)")

        let inProcess = try launch(products.appendingPathComponent("pcctl"),
                                   ["run", "pendulum", "--episodes", "1", "--seed", "7", "--own-rng", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(finish(inProcess, within: 30).utf8)) as? [String: Any]
        let expected = try #require((report?["returns"] as? [Double])?.first)
        let remote = try #require(Double(words[1]))
        #expect(abs(remote - expected) <= 0.05, "remote \(remote), in process \(expected)")
    }
}

/// Where SwiftPM put the built products: next to the test runner, else .build/debug.
func productsDirectory() -> URL {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if FileManager.default.isExecutableFile(atPath: runner.appendingPathComponent("pendulum-robot").path) { return runner }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug")
}

struct Launched {
    let process: Process
    let output: FileHandle
}

func launch(_ executable: URL, _ arguments: [String]) throws -> Launched {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    return Launched(process: process, output: pipe.fileHandleForReading)
}

/// The first line a process prints ("" if it exits first).
func firstLine(_ handle: FileHandle) -> String {
    var bytes = Data()
    while !bytes.contains(UInt8(ascii: "\n")) {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        bytes.append(chunk)
    }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
}

/// Reads a process's whole output and waits for it; terminates it after `seconds`.
func finish(_ launched: Launched, within seconds: Double) -> String {
    let watchdog = DispatchWorkItem { if launched.process.isRunning { launched.process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
    let data = launched.output.readDataToEndOfFile()
    launched.process.waitUntilExit()
    watchdog.cancel()
    return String(decoding: data, as: UTF8.self)
}

/// SIGTERM (pcctl serve stops cleanly and removes its ipc file), SIGKILL after 5 s.
func stop(_ process: Process) {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(5)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}
