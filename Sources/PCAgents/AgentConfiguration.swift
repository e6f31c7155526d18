#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An agent described by a JSON file, as the CLI and the bridge read it.
///
/// ```json
/// { "agent": "predictiveController",
///   "predictiveController": { "horizon": 20, "modelPrecision": [1000, 1000], … } }
/// ```
/// Exactly the options block of the named agent must be present.
public struct AgentConfiguration: Sendable, Equatable, Codable {
    /// Which agent the file configures.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case predictiveController
    }

    public var agent: Kind
    public var predictiveController: PredictiveControllerOptions?

    public init(predictiveController options: PredictiveControllerOptions) {
        agent = .predictiveController
        predictiveController = options
    }

    /// Decodes a configuration from JSON bytes.
    /// - Throws: ``AgentConfigurationError`` naming the field that is missing or invalid.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> AgentConfiguration {
        let configuration: AgentConfiguration
        do {
            configuration = try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch let error as AgentConfigurationError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw AgentConfigurationError.unreadable(
                path: path, reason: "missing field `\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))`")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw AgentConfigurationError.unreadable(
                path: path, reason: "field `\(context.codingPath.map(\.stringValue).joined(separator: "."))`: \(context.debugDescription)")
        } catch {
            throw AgentConfigurationError.unreadable(path: path, reason: "\(error)")
        }
        switch configuration.agent {
        case .predictiveController:
            guard configuration.predictiveController != nil else {
                throw AgentConfigurationError.unreadable(path: path, reason: "missing field `predictiveController`")
            }
        }
        return configuration
    }

    /// Reads and decodes a configuration file.
    public static func load(path: String) throws -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentConfigurationError.unreadable(path: path, reason: "no such file")
        }
        return try decode(data, path: path)
    }

    /// Pretty-printed JSON of this configuration.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
