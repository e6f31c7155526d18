/// A coding key with any name: lists the keys a JSON object actually holds.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

extension Decoder {
    /// Refuses any key of the object being decoded that `keys` does not name, so a typo such as
    /// `"horizn"` is an error instead of a silently ignored field.
    /// - Parameters:
    ///   - keys: the coding keys the type reads, in the order the error lists them.
    ///   - extra: further accepted key names (listed after `keys`).
    /// - Throws: ``AgentConfigurationError/unknownKey(path:suggestion:known:)`` for the first unknown
    ///   key in alphabetical order, with its full JSON path and the closest known key, if close.
    func rejectUnknownKeys<K: CodingKey & CaseIterable>(_ keys: K.Type, extra: [String] = []) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let known = keys.allCases.map(\.stringValue) + extra
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }
        guard let key = unknown.min() else { return }
        throw AgentConfigurationError.unknownKey(path: jsonPath(codingPath, key), suggestion: closestKey(to: key, in: known),
                                                 known: known)
    }
}

/// `a.b[2].c` from a decoder's coding path and a final key.
func jsonPath(_ codingPath: [CodingKey], _ key: String) -> String {
    var path = ""
    for component in codingPath {
        if let index = component.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + component.stringValue }
    }
    return path.isEmpty ? key : path + "." + key
}

/// Longest unknown key that is compared against the known ones (longer keys get no suggestion, so
/// the comparison costs at most 64 × (longest known key) steps per known key).
let maximumSuggestedKeyLength = 64

/// The known key closest to `key` by case-insensitive optimal-string-alignment (Damerau–Levenshtein)
/// distance, if that distance is at most max(2, key length / 3); nil otherwise.
func closestKey(to key: String, in known: [String]) -> String? {
    let a = Array(key.lowercased())
    guard a.count <= maximumSuggestedKeyLength else { return nil }
    var best: (key: String, distance: Int)?
    for candidate in known {
        let d = editDistance(a, Array(candidate.lowercased()))
        if d < (best?.distance ?? .max) { best = (candidate, d) }
    }
    guard let best, best.distance <= max(2, a.count / 3) else { return nil }
    return best.key
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
            current[j] = d
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}

extension KeyedDecodingContainer {
    /// Decodes a whole number, naming the field when the JSON number is not one an `Int` holds
    /// (`1e20`, `1.5`): the decoder alone reports those as invalid JSON, without a path.
    /// - Parameter maximum: the field's documented maximum, quoted in the error.
    /// - Throws: ``AgentConfigurationError/invalidValue(field:value:requirement:)`` with the full JSON path.
    func decodeInteger(_ key: Key, maximum: Int? = nil) throws -> Int {
        do {
            return try decode(Int.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw notInteger(key, maximum: maximum, value: (try? decode(Double.self, forKey: key)).map { "\($0)" })
        }
    }

    /// ``decodeInteger(_:maximum:)`` for an optional field.
    func decodeIntegerIfPresent(_ key: Key, maximum: Int? = nil) throws -> Int? {
        try contains(key) ? decodeInteger(key, maximum: maximum) : nil
    }

    /// ``decodeInteger(_:maximum:)`` for an array of whole numbers (indices, widths).
    func decodeIntegers(_ key: Key) throws -> [Int] {
        do {
            return try decode([Int].self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw notInteger(key, maximum: nil, value: (try? decode([Double].self, forKey: key)).map { "\($0)" })
        }
    }

    /// ``decodeIntegers(_:)`` for an optional field.
    func decodeIntegersIfPresent(_ key: Key) throws -> [Int]? {
        try contains(key) ? decodeIntegers(key) : nil
    }

    private func notInteger(_ key: Key, maximum: Int?, value: String?) -> AgentConfigurationError {
        .invalidValue(field: jsonPath(codingPath, key.stringValue), value: value ?? "a number no Double holds",
                      requirement: maximum.map { "must be a whole number at most \($0)" }
                          ?? "must be whole numbers from \(Int.min) to \(Int.max)")
    }
}

extension AgentConfigurationError {
    /// The error for `key` found at `path` (its parent's JSON path, empty at the top level) where
    /// only `known` keys are accepted, with the closest known key as a suggestion when one is close.
    /// For JSON read outside these options types (e.g. the bridge's reference controllers).
    public static func unknownKey(_ key: String, at path: String = "", known: [String]) -> AgentConfigurationError {
        .unknownKey(path: path.isEmpty ? key : path + "." + key, suggestion: closestKey(to: key, in: known), known: known)
    }
}
