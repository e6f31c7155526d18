#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PCBridge
import PCEnvironment
import PCWire

/// The JSON a C caller gives `pckit_agent_create`: the spaces and control period a robot's hello
/// carries, and the hello's agent configuration, untouched:
///
/// ```json
/// { "observationSpace": {"low": [-1, -1, -8], "high": [1, 1, 8]},
///   "actionSpace": {"low": [-2], "high": [2]},
///   "controlPeriod": 0.05,
///   "agent": {"agent": "predictiveController", "task": "pendulum"} }
/// ```
/// Every key is required and no other is accepted; a bound may be `null` (unbounded). The spaces
/// and period are checked by the bridge's own hello rules (``PCWire/Hello/validate()``).
enum EmbeddedConfiguration {
    /// The keys of the top-level object, in the order messages list them.
    static let keys = ["observationSpace", "actionSpace", "controlPeriod", "agent"]
    /// The keys of a space object.
    static let spaceKeys = ["low", "high"]
    /// Longest configuration accepted, bytes (the header's `PCKIT_MAX_CONFIG_BYTES`).
    static let maximumBytes = 1 << 20

    /// Parses and checks a configuration.
    /// - Throws: `PCKIT_E_JSON` when the bytes are not JSON; `PCKIT_E_CONFIG` naming the key or
    ///   value that is wrong (unknown, missing, of the wrong type, or outside the hello's rules).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(BoundaryError) -> SessionRequest {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw BoundaryError(.json, "the configuration is not valid JSON (\(describe(error))); expected an object like "
                + #"{"observationSpace": {"low": [...], "high": [...]}, "actionSpace": {...}, "controlPeriod": 0.05, "agent": {...}}"#)
        }
        guard case let .object(fields) = value else {
            throw BoundaryError(.config, "the configuration must be a JSON object with the keys \(list(keys)); got \(kind(of: value))")
        }
        try checkKeys(fields, known: keys, in: "the configuration")
        let observation = try space(fields["observationSpace"]!, name: "observationSpace")
        let action = try space(fields["actionSpace"]!, name: "actionSpace")
        guard let period = fields["controlPeriod"]!.numberValue else {
            throw BoundaryError(.config, "controlPeriod must be a number of seconds > 0; got \(kind(of: fields["controlPeriod"]!))")
        }
        let agent = fields["agent"]!
        guard case .object = agent else {
            throw BoundaryError(.config, "agent must be an object, e.g. {\"agent\": \"predictiveController\", \"task\": \"pendulum\"}; got \(kind(of: agent))")
        }
        let hello = Hello(robot: "libpckit", observationSpace: observation, actionSpace: action, controlPeriod: period, agent: agent)
        do { _ = try hello.validate() } catch {
            throw BoundaryError(.config, "\(error)")
        }
        do {
            let observationSpace = try BoxSpace(low: observation.low.map { $0 ?? -.infinity }, high: observation.high.map { $0 ?? .infinity })
            let actionSpace = try BoxSpace(low: action.low.map { $0 ?? -.infinity }, high: action.high.map { $0 ?? .infinity })
            return SessionRequest(robot: "libpckit", observationSpace: observationSpace, actionSpace: actionSpace,
                                  controlPeriod: period, agentConfiguration: agent)
        } catch {
            throw BoundaryError(.config, "\(error)")
        }
    }

    /// A space object: exactly `low` and `high`, arrays of numbers or `null`.
    private static func space(_ value: JSONValue, name: String) throws(BoundaryError) -> WireSpace {
        guard case let .object(fields) = value else {
            throw BoundaryError(.config, "\(name) must be an object {\"low\": [numbers or null], \"high\": [numbers or null]}; got \(kind(of: value))")
        }
        try checkKeys(fields, known: spaceKeys, in: name)
        var bounds: [[Double?]] = []
        for key in spaceKeys {
            guard case let .array(items) = fields[key]! else {
                throw BoundaryError(.config, "\(name).\(key) must be an array of numbers (null: unbounded); got \(kind(of: fields[key]!))")
            }
            var values: [Double?] = []
            for (i, item) in items.enumerated() {
                switch item {
                case let .number(x): values.append(x)
                case .null: values.append(nil)
                default: throw BoundaryError(.config, "\(name).\(key)[\(i)] must be a number or null (unbounded); got \(kind(of: item))")
                }
            }
            bounds.append(values)
        }
        return WireSpace(low: bounds[0], high: bounds[1])
    }

    /// Refuses unknown keys (naming the closest known one) and missing ones.
    private static func checkKeys(_ fields: [String: JSONValue], known: [String], in place: String) throws(BoundaryError) {
        if let unknown = fields.keys.filter({ !known.contains($0) }).min() {
            let suggestion = closest(to: unknown, in: known).map { ": did you mean `\($0)`?" } ?? ""
            throw BoundaryError(.config, "unknown key `\(unknown)` in \(place)\(suggestion) (known keys: \(list(known)))")
        }
        if let missing = known.first(where: { fields[$0] == nil }) {
            throw BoundaryError(.config, "\(place) has no `\(missing)` (required keys: \(list(known)))")
        }
    }

    private static func list(_ keys: [String]) -> String { keys.joined(separator: ", ") }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A decoding error's own words (its debug description and underlying error), not the type dump.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case let .dataCorrupted(context), let .typeMismatch(_, context), let .valueNotFound(_, context), let .keyNotFound(_, context):
                let underlying = context.underlyingError.map { ": \($0)" } ?? ""
                let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                let place = path.isEmpty ? "" : " at \(path.hasPrefix(".") ? String(path.dropFirst()) : path)"
                return context.debugDescription + underlying + place
            @unknown default: break
            }
        }
        return "\(error)"
    }

    /// The known key at most max(2, length / 3) edits from `key` (case-insensitive), if any.
    static func closest(to key: String, in known: [String]) -> String? {
        let a = Array(key.lowercased())
        guard a.count <= 64 else { return nil }
        var best: (key: String, distance: Int)?
        for candidate in known {
            let b = Array(candidate.lowercased())
            var previous = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var current = [i] + [Int](repeating: 0, count: b.count)
                for j in stride(from: 1, through: b.count, by: 1) {
                    current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                previous = current
            }
            let distance = a.isEmpty ? b.count : previous[b.count]
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, a.count / 3) else { return nil }
        return best.key
    }
}
