/// How an observation encodes the physical state, so that perception can invert it.
///
/// The observation lists the state coordinates in order, except that each coordinate in
/// ``angleIndices`` appears as the pair (cos xᵢ, sin xᵢ). The pendulum's (cos θ, sin θ, θ̇) is
/// `ObservationLayout(stateDimension: 2, angleIndices: [0])`; a fully observed linear plant has no angles.
/// Perception inverts it exactly: xᵢ = atan2(sin, cos) for angles, the value itself otherwise.
///
/// Any other layout is given coordinate by coordinate with ``init(observationDimension:sources:)``
/// (e.g. Reacher's (cos q, sin q, target, q̇, tip − target)).
public struct ObservationLayout: Sendable, Equatable, Codable {
    /// Where one state coordinate is read from.
    public enum Source: Sendable, Equatable, Codable {
        /// xᵢ = observation[index].
        case value(Int)
        /// xᵢ = atan2(observation[sin], observation[cos]).
        case angle(cos: Int, sin: Int)
    }

    /// Dimension of the state x, 1…``AgentLimits/maximumDimension``.
    public let stateDimension: Int
    /// State coordinates observed as (cos, sin) pairs in place, ascending (the default layout).
    public let angleIndices: [Int]
    /// Explicit sources, (stateDimension), or nil for the in-place layout.
    public let sources: [Source]?
    private let explicitObservationDimension: Int?

    /// - Throws: ``AgentConfigurationError`` for an out-of-range or repeated angle index.
    public init(stateDimension: Int, angleIndices: [Int] = []) throws {
        try Validate.within(stateDimension, 1, AgentLimits.maximumDimension, "observation.stateDimension")
        let sorted = angleIndices.sorted()
        for (k, i) in sorted.enumerated() {
            guard (0..<stateDimension).contains(i), k == 0 || sorted[k - 1] != i else {
                throw AgentConfigurationError.invalidValue(
                    field: "observation.angleIndices", value: "\(i)",
                    requirement: "must be distinct indices in 0..<\(stateDimension)")
            }
        }
        self.stateDimension = stateDimension
        self.angleIndices = sorted
        self.sources = nil
        self.explicitObservationDimension = nil
    }

    /// A layout given coordinate by coordinate.
    /// - Throws: ``AgentConfigurationError`` when a source index lies outside the observation.
    public init(observationDimension: Int, sources: [Source]) throws {
        try Validate.within(sources.count, 1, AgentLimits.maximumDimension, "observation.sources.count")
        try Validate.within(observationDimension, 1, 2 * AgentLimits.maximumDimension, "observation.observationDimension")
        for (i, source) in sources.enumerated() {
            let indices: [Int]
            switch source {
            case let .value(k): indices = [k]
            case let .angle(c, s): indices = [c, s]
            }
            for k in indices where !(0..<observationDimension).contains(k) {
                throw AgentConfigurationError.invalidValue(field: "observation.sources[\(i)]", value: "\(k)",
                                                           requirement: "must index an observation of \(observationDimension) values")
            }
        }
        stateDimension = sources.count
        angleIndices = []
        self.sources = sources
        explicitObservationDimension = observationDimension
    }

    /// Number of values in an observation: stateDimension + number of angles (in-place layout).
    public var observationDimension: Int { explicitObservationDimension ?? (stateDimension + angleIndices.count) }

    /// Writes the state encoded by `observation`.
    /// - Returns: false when the observation has the wrong length or a non-finite value (then
    ///   `state` is left unchanged).
    func decode(_ observation: [Double], into state: UnsafeMutablePointer<Double>) -> Bool {
        guard observation.count == observationDimension else { return false }
        for k in 0..<observation.count where !observation[k].isFinite { return false }
        if let sources {
            for i in 0..<sources.count {
                switch sources[i] {
                case let .value(k): state[i] = observation[k]
                case let .angle(c, s): state[i] = atan2Double(observation[s], observation[c])
                }
            }
            return true
        }
        var k = 0, a = 0
        for i in 0..<stateDimension {
            if a < angleIndices.count && angleIndices[a] == i {
                state[i] = atan2Double(observation[k + 1], observation[k])
                k += 2
                a += 1
            } else {
                state[i] = observation[k]
                k += 1
            }
        }
        return true
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func atan2Double(_ y: Double, _ x: Double) -> Double { Glibc.atan2(y, x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func atan2Double(_ y: Double, _ x: Double) -> Double { Darwin.atan2(y, x) }
#endif

extension ObservationLayout {
    enum CodingKeys: String, CodingKey, CaseIterable { case stateDimension, angleIndices, sources, observationDimension }
    /// Decodes and validates (a bad index or an unknown key throws ``AgentConfigurationError``).
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let sources = try c.decodeIfPresent([Source].self, forKey: .sources) {
            try self.init(observationDimension: try c.decodeInteger(.observationDimension, maximum: 2 * AgentLimits.maximumDimension), sources: sources)
        } else {
            try self.init(stateDimension: try c.decodeInteger(.stateDimension, maximum: AgentLimits.maximumDimension),
                          angleIndices: try c.decodeIntegersIfPresent(.angleIndices) ?? [])
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stateDimension, forKey: .stateDimension)
        if let sources {
            try c.encode(sources, forKey: .sources)
            try c.encode(observationDimension, forKey: .observationDimension)
        } else {
            try c.encode(angleIndices, forKey: .angleIndices)
        }
    }
}

extension ObservationLayout.Source {
    private enum SourceKeys: String, CodingKey, CaseIterable { case value, angle }
    private enum ValueKeys: String, CodingKey, CaseIterable { case index = "_0" }
    private enum AngleKeys: String, CodingKey, CaseIterable { case cos, sin }

    /// Decodes `{"value": {"_0": k}}` or `{"angle": {"cos": c, "sin": s}}`; an unknown key is refused.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(SourceKeys.self)
        let c = try decoder.container(keyedBy: SourceKeys.self)
        guard c.allKeys.count == 1, let kind = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a source needs exactly one of `value`, `angle`"))
        }
        let inner = try c.superDecoder(forKey: kind)
        switch kind {
        case .value:
            try inner.rejectUnknownKeys(ValueKeys.self)
            self = .value(try inner.container(keyedBy: ValueKeys.self).decodeInteger(.index))
        case .angle:
            try inner.rejectUnknownKeys(AngleKeys.self)
            let a = try inner.container(keyedBy: AngleKeys.self)
            self = .angle(cos: try a.decodeInteger(.cos), sin: try a.decodeInteger(.sin))
        }
    }
}
