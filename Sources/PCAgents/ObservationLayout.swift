/// How an observation encodes the physical state, so that perception can invert it.
///
/// The observation lists the state coordinates in order, except that each coordinate in
/// ``angleIndices`` appears as the pair (cos xᵢ, sin xᵢ). The pendulum's (cos θ, sin θ, θ̇) is
/// `ObservationLayout(stateDimension: 2, angleIndices: [0])`; a fully observed linear plant has no angles.
/// Perception inverts it exactly: xᵢ = atan2(sin, cos) for angles, the value itself otherwise.
public struct ObservationLayout: Sendable, Equatable, Codable {
    /// Dimension of the state x.
    public let stateDimension: Int
    /// State coordinates observed as (cos, sin) pairs, ascending.
    public let angleIndices: [Int]

    /// - Throws: ``AgentConfigurationError`` for an out-of-range or repeated angle index.
    public init(stateDimension: Int, angleIndices: [Int] = []) throws {
        try Validate.atLeast(stateDimension, 1, "observation.stateDimension")
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
    }

    /// Number of values in an observation: stateDimension + number of angles.
    public var observationDimension: Int { stateDimension + angleIndices.count }

    /// Writes the state encoded by `observation`.
    /// - Returns: false when the observation has the wrong length or a non-finite value (then
    ///   `state` is left unchanged).
    func decode(_ observation: [Double], into state: UnsafeMutablePointer<Double>) -> Bool {
        guard observation.count == observationDimension else { return false }
        for k in 0..<observation.count where !observation[k].isFinite { return false }
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
    enum CodingKeys: String, CodingKey { case stateDimension, angleIndices }
    /// Decodes and validates (a bad index throws ``AgentConfigurationError``).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(stateDimension: try c.decode(Int.self, forKey: .stateDimension),
                      angleIndices: try c.decodeIfPresent([Int].self, forKey: .angleIndices) ?? [])
    }
}
