import Foundation
import Testing
import PCAgents
@testable import PCBridge
import PCWire

/// A robot whose learning agent learned something, then disconnected, resumes its model at its next
/// hello (``BridgeServerConfiguration/modelDirectory``): it controls at once, acting bit for bit as
/// the agent loaded in process from the saved file; damaged, mismatched and other-options files are
/// refused by name; hostile robot names stay inside the directory.
@Suite(.serialized) struct ResumedLearningAgentTests {
    /// The shipped pendulum learning configuration, shortened for a test: 200 exploration steps,
    /// swaps every 20 steps, a memory of 2,000 transitions, a planner of horizon 10 and 15
    /// iterations (so a debug build's step stays well inside the 50 ms deadline on a busy machine).
    static func agentConfiguration(_ edit: (inout [String: JSONValue]) -> Void = { _ in }) throws -> JSONValue {
        let data = try Data(contentsOf: ServedLearningAgentTests.config)
        guard case var .object(top) = try JSONDecoder().decode(JSONValue.self, from: data),
              case var .object(learning)? = top["learning"], case var .object(learner)? = learning["learner"],
              case var .object(planner)? = learning["planner"] else {
            throw LearnedModelError.notLearning("the shipped configuration is not a learning agent")
        }
        learning["explorationSteps"] = .number(200)
        learning["swapInterval"] = .number(20)
        learner["capacity"] = .number(2000)
        learning["learner"] = .object(learner)
        planner["horizon"] = .number(10)
        planner["iterations"] = .number(15)
        learning["planner"] = .object(planner)
        edit(&learning)
        top["learning"] = .object(learning)
        return .object(top)
    }

    /// The same robot observing (θ, θ̇, 0): observation dimension 3, no angle coordinate.
    static func threeDimensionalConfiguration() throws -> JSONValue {
        try agentConfiguration { learning in
            guard case var .object(learner)? = learning["learner"], case var .object(planner)? = learning["planner"] else { return }
            let layout = JSONValue.object(["stateDimension": .number(3), "angleIndices": .array([])])
            learning["observationDimension"] = .number(3)
            learning["angleIndices"] = .array([])
            learner["stateDimension"] = .number(3)
            learner["angleIndices"] = .array([])
            learner["observation"] = layout
            planner["observation"] = layout
            planner["goal"] = .array([0, 0, 0].map { .number($0) })
            planner["goalPrecision"] = .array([2, 0.2, 0.2].map { .number($0) })
            planner["modelPrecision"] = .array([1000, 1000, 1000].map { .number($0) })
            planner["outcome"] = .object(["stateDimension": .number(3), "angleIndices": .array([]),
                                          "matrix": .array([1, 0, 0, 0, 1, 0, 0, 0, 1].map { .number($0) })])
            learning["learner"] = .object(learner)
            learning["planner"] = .object(planner)
        }
    }

    static func hello(robot: String, agent: JSONValue, dimension: Int = 2) -> Hello {
        Hello(robot: robot, observationSpace: WireSpace(low: [Double?](repeating: nil, count: dimension),
                                                        high: [Double?](repeating: nil, count: dimension)),
              actionSpace: WireSpace(low: [-2], high: [2]), controlPeriod: 0.05, scalar: .float64, agent: agent)
    }

    /// Waits up to 10 s for `condition`.
    static func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(10_000) }
        return condition()
    }

    /// The reply's error message, or nil when the body did not fail with a remote error.
    static func remoteError(_ body: () throws -> Void) -> ErrorMessage? {
        do { try body() } catch let BridgeError.remote(message) { return message } catch { return nil }
        return nil
    }

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func aReconnectingRobotResumesItsModelAndBadFilesAreRefusedByName() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pckit-resume-\(UUID().uuidString)")
        let directory = root.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let log = Log()
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("resume")], idleTimeout: 1.5)
        // The quick (normal-priority) pool throughout and no planning deadline (NoDeadlineFactory): a
        // step cut by its deadline on a busy machine would make the bit-for-bit comparison meaningless.
        configuration.computeFraction = 1
        configuration.slowStepThreshold = 10
        configuration.modelDirectory = directory.path
        configuration.log = { log.append($0) }
        let server = try BridgeServer(configuration: configuration, factory: NoDeadlineFactory(base: PCAgentFactory(models: [:])))
        server.start()
        defer { server.stop() }
        let endpoint = server.endpoints[0]
        let options = BridgeClient.Options(timeoutMilliseconds: 10_000, retries: 0)

        // A robot whose name tries to leave the directory learns until it controls, then says bye.
        let robot = "../../outside/arm"
        let agent = try Self.agentConfiguration()
        let fileName = BridgeServer.modelFileName(robot: robot, curveKey: nil, agentConfiguration: agent)
        let file = directory.appendingPathComponent(fileName)
        let first = try BridgeClient(endpoint: endpoint, options: options)
        let firstWelcome = try first.hello(Self.hello(robot: robot, agent: agent))
        #expect(firstWelcome.warnings.isEmpty, "nothing to resume yet: \(firstWelcome.warnings)")
        var x = [Double.pi, 0.0]
        for _ in 0..<260 {
            let action = try first.step(x)
            ServedLearningAgentTests.advance(&x, torque: action[0])
        }
        try first.bye()
        // The bye is answered after the file is written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [fileName])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["models"], "a file was written outside the model directory")
        let saved = try Data(contentsOf: file)
        var oracle = try LearningAgent.load(from: file.path)
        #expect(oracle.phase == .controlling && oracle.modelVersion >= 2 && oracle.transitionCount == 259)

        // The same robot reconnects: its welcome says what it resumed, and its first actions are
        // those of the agent loaded in process from the same file, bit for bit — no exploration.
        let second = try BridgeClient(endpoint: endpoint, options: options)
        let welcome = try second.hello(Self.hello(robot: robot, agent: agent))
        #expect(welcome.warnings.contains { $0.hasPrefix("resumed model version \(oracle.modelVersion) from the saved model \(fileName)") },
                "\(welcome.warnings)")
        #expect(Self.eventually { server.statistics.modelsResumed == 1 })
        #expect(server.statistics.lastResumedModelVersion == oracle.modelVersion)
        #expect(log.all.contains { $0.contains("resumed model version \(oracle.modelVersion) from \(file.path)") })
        let explored = oracle.explorationStepsTaken
        x = [Double.pi, 0.0]
        var action = [0.0]
        for t in 0..<30 {
            let remote = try second.step(x)
            _ = oracle.step(x, action: &action)
            #expect(remote == action, "step \(t): served \(remote), loaded in process \(action)")
            if remote != action { break }
            ServedLearningAgentTests.advance(&x, torque: remote[0])
        }
        #expect(oracle.phase == .controlling && oracle.explorationStepsTaken == explored)

        // Silent past the idle timeout: the session is dropped and a worker saves what it learned since.
        #expect(Self.eventually { server.statistics.modelsSaved == 2 }, "the idle session's model was not saved")
        let resaved = try LearningAgent.load(from: file.path)
        #expect(resaved.transitionCount == 259 + 29 && resaved.modelVersion == oracle.modelVersion)
        #expect(log.all.contains { $0.contains("ended (idle timeout): saved model version") })

        // A flipped byte: the hello is refused with the file's name and the checksum error; the file stays.
        var damaged = [UInt8](saved)
        damaged[damaged.count / 2] ^= 0x40
        try Data(damaged).write(to: file)
        let corrupt = try #require(Self.remoteError { try BridgeClient(endpoint: endpoint, options: options).hello(Self.hello(robot: robot, agent: agent)) })
        #expect(corrupt.code == .agentRejected)
        #expect(corrupt.message.contains(fileName) && corrupt.message.contains("checksum") && corrupt.message.contains("delete that file"),
                "\(corrupt.message)")
        #expect(try Data(contentsOf: file) == Data(damaged), "a refused file must be left for the operator")

        // Another robot's file (observation dimension 2) where a 3-dimensional robot's would be.
        let wide = try Self.threeDimensionalConfiguration()
        let wideFile = directory.appendingPathComponent(BridgeServer.modelFileName(robot: robot, curveKey: nil, agentConfiguration: wide))
        try saved.write(to: wideFile)
        let mismatch = try #require(Self.remoteError {
            try BridgeClient(endpoint: endpoint, options: options).hello(Self.hello(robot: robot, agent: wide, dimension: 3))
        })
        #expect(mismatch.code == .agentRejected)
        #expect(mismatch.message.contains(wideFile.lastPathComponent)
                && mismatch.message.contains("\(LearningAgentFileError.dimensionMismatch(field: "observationDimension", expected: 3, found: 2))"),
                "\(mismatch.message)")
        // The wide robot's own agent is fine: without the file it is welcomed.
        try FileManager.default.removeItem(at: wideFile)
        let wideClient = try BridgeClient(endpoint: endpoint, options: options)
        #expect(try wideClient.hello(Self.hello(robot: robot, agent: wide, dimension: 3)).warnings.isEmpty)
        try wideClient.bye()

        // Learned with other options (batchesPerStep 3): refused, naming the option.
        let other = try Self.agentConfiguration { $0["batchesPerStep"] = .number(3) }
        let otherFile = directory.appendingPathComponent(BridgeServer.modelFileName(robot: robot, curveKey: nil, agentConfiguration: other))
        try saved.write(to: otherFile)
        let options3 = try #require(Self.remoteError { try BridgeClient(endpoint: endpoint, options: options).hello(Self.hello(robot: robot, agent: other)) })
        #expect(options3.message.contains(otherFile.lastPathComponent) && options3.message.contains("batchesPerStep differs"), "\(options3.message)")
        try FileManager.default.removeItem(at: otherFile)

        // Repaired, resumed again, and saved when the server stops.
        try saved.write(to: file)
        let third = try BridgeClient(endpoint: endpoint, options: options)
        #expect(try third.hello(Self.hello(robot: robot, agent: agent)).warnings.count == 1)
        for _ in 0..<3 { _ = try third.step(x) }
        server.stop()
        #expect(server.statistics.modelsSaved == 3 && server.statistics.modelsResumed == 2 && server.statistics.modelSaveFailures == 0)
        #expect(log.all.contains { $0.contains("ended (server stop): saved model version") })
        #expect(try LearningAgent.load(from: file.path).transitionCount == 259 + 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["models"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp.") }.isEmpty)
    }

    @Test func aRunningSessionIsSavedEveryNModelVersions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pckit-periodic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = Log()
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("periodic")])
        configuration.computeFraction = 1
        configuration.slowStepThreshold = 10
        configuration.modelDirectory = directory.path
        configuration.modelSaveInterval = 2
        configuration.log = { log.append($0) }
        let server = try BridgeServer(configuration: configuration, factory: PCAgentFactory(models: [:]))
        server.start()
        defer { server.stop() }
        let agent = try Self.agentConfiguration()
        let file = directory.appendingPathComponent(BridgeServer.modelFileName(robot: "arm", curveKey: nil, agentConfiguration: agent))
        let client = try BridgeClient(endpoint: server.endpoints[0], options: .init(timeoutMilliseconds: 10_000, retries: 0))
        try client.hello(Self.hello(robot: "arm", agent: agent))
        var x = [Double.pi, 0.0]
        // Versions 1 (end of exploration, step 200), 2 (220), 3 (240), 4 (260): saves at 2 and 4.
        for _ in 0..<265 {
            let action = try client.step(x)
            ServedLearningAgentTests.advance(&x, torque: action[0])
        }
        #expect(Self.eventually { server.statistics.modelsSaved == 2 }, "\(server.statistics.modelsSaved) periodic saves")
        let saved = try LearningAgent.load(from: file.path)
        #expect(saved.modelVersion == 4, "the last periodic save is version 4")
        #expect(log.all.filter { $0.contains("running (periodic save): saved model version") }.count == 2)
        // Still running: the session steps on, and its bye saves once more.
        _ = try client.step(x)
        try client.bye()
        // The file is written before the bye is answered; the counters are updated by the socket
        // thread when it collects the finished request, which may come just after the reply.
        #expect(Self.eventually { server.statistics.modelsSaved == 3 } && server.statistics.modelSaveFailures == 0,
                "\(server.statistics.modelsSaved) saves, \(server.statistics.modelSaveFailures) failures")

        var bad = configuration
        bad.modelDirectory = nil
        #expect(throws: BridgeError.invalidConfiguration("modelSaveInterval needs modelDirectory (where the models are saved)")) {
            try bad.validate()
        }
    }

    @Test func modelFileNamesStayInsideTheDirectory() throws {
        let agent = JSONValue.object(["agent": .string("learning")])
        let hostile = ["..", ".", "", "/", "../../etc/passwd", "/etc/passwd", "a/b", "a_b", "a\u{0}b", "robot\\..\\x",
                       String(repeating: "x", count: 10_000), "ロボット", ".hidden", "-rf"]
        var names = Set<String>()
        for robot in hostile {
            let name = BridgeServer.modelFileName(robot: robot, curveKey: nil, agentConfiguration: agent)
            #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }, "\(name)")
            #expect(name.hasPrefix("robot-") && name.hasSuffix(".pcla") && name.count <= 120, "\(name)")
            names.insert(name)
        }
        #expect(names.count == hostile.count, "two robot names share a file")
        // A clean name is kept as it is; the configuration changes the hash; a CURVE key wins over the name.
        #expect(BridgeServer.modelFileName(robot: "arm-1", curveKey: nil, agentConfiguration: agent).hasPrefix("robot-arm-1--"))
        let other = JSONValue.object(["agent": .string("learning"), "x": .number(1)])
        #expect(BridgeServer.modelFileName(robot: "arm-1", curveKey: nil, agentConfiguration: agent)
                != BridgeServer.modelFileName(robot: "arm-1", curveKey: nil, agentConfiguration: other))
        let key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        let keyed = BridgeServer.modelFileName(robot: "../x", curveKey: key, agentConfiguration: agent)
        #expect(keyed.hasPrefix("key-") && !keyed.contains("x--") && keyed.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        // Key order in the agent object does not matter; 1 and 1.0 are the same number.
        let a = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a": 1, "b": [true, null, "s"]}"#.utf8))
        let b = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"b": [true, null, "s"], "a": 1.0}"#.utf8))
        #expect(BridgeServer.modelFileName(robot: "r", curveKey: nil, agentConfiguration: a)
                == BridgeServer.modelFileName(robot: "r", curveKey: nil, agentConfiguration: b))
    }

    @Test func aModelDirectoryMustExistAndFilesAreBoundedBeforeReading() throws {
        var configuration = BridgeServerConfiguration(bind: [uniqueIPCEndpoint("resume-dir")])
        configuration.modelDirectory = "/nonexistent/pckit-models"
        #expect(throws: BridgeError.self) { try configuration.validate() }
        do { try configuration.validate() } catch {
            #expect("\(error)".contains("/nonexistent/pckit-models is not an existing directory"))
        }
        configuration.modelDirectory = nil
        configuration.maximumModelFileBytes = 10
        #expect(throws: BridgeError.self) { try configuration.validate() }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pckit-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        configuration.modelDirectory = directory.path
        configuration.maximumModelFileBytes = 1024
        let store = try #require(ModelStore(configuration))
        #expect(try store.read("absent.pcla") == nil)
        try Data(count: 1025).write(to: directory.appendingPathComponent("big.pcla"))
        #expect(throws: BridgeError.savedModel(file: "big.pcla", reason: "it holds 1025 bytes, above the server's limit of 1024 bytes (maximumModelFileBytes)")) {
            _ = try store.read("big.pcla")
        }
        try store.write([UInt8](repeating: 7, count: 1024), to: "ok.pcla")
        #expect(try store.read("ok.pcla") == [UInt8](repeating: 7, count: 1024))
        #expect(throws: ModelStoreError.self) { try store.write([UInt8](repeating: 7, count: 1025), to: "ok.pcla") }
        // A symbolic link is not followed.
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("link.pcla").path,
                                                   withDestinationPath: directory.appendingPathComponent("ok.pcla").path)
        #expect(throws: BridgeError.self) { _ = try store.read("link.pcla") }
    }
}
