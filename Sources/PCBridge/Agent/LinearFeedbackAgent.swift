import PCWire

/// A linear state-feedback policy `u = b − K (y − r)`: the simplest real agent, used to test and
/// benchmark the bridge without PCAgents.
///
/// Configuration (`"type": "linear"`): `gain` K, (actionDimension × observationDimension) rows;
/// optional `target` r, (observationDimension), default 0; optional `bias` b, (actionDimension),
/// default 0.
public final class LinearFeedbackAgent: BridgeAgent {
    /// K, row-major (actionDimension × observationDimension).
    let gain: [Double]
    /// r, (observationDimension).
    let target: [Double]
    /// b, (actionDimension).
    let bias: [Double]
    let observationDimension: Int
    let actionDimension: Int

    public init(gain: [[Double]], target: [Double]? = nil, bias: [Double]? = nil) throws(AgentConfigurationError) {
        guard let n = gain.first?.count, n > 0, gain.allSatisfy({ $0.count == n }) else {
            throw .invalidField("gain", expected: "a non-empty matrix with rows of equal length")
        }
        guard gain.joined().allSatisfy(\.isFinite) else { throw .invalidField("gain", expected: "finite numbers") }
        observationDimension = n
        actionDimension = gain.count
        self.gain = Array(gain.joined())
        self.target = target ?? Array(repeating: 0, count: n)
        self.bias = bias ?? Array(repeating: 0, count: gain.count)
        guard self.target.count == n else { throw .invalidField("target", expected: "\(n) numbers") }
        guard self.bias.count == gain.count else { throw .invalidField("bias", expected: "\(gain.count) numbers") }
    }

    /// Builds the agent from a hello's configuration and checks it against the spaces.
    public convenience init(configuration: JSONValue, request: SessionRequest) throws(AgentConfigurationError) {
        func vector(_ value: JSONValue?, _ field: String) throws(AgentConfigurationError) -> [Double]? {
            guard let value else { return nil }
            guard case let .array(items) = value else { throw .invalidField(field, expected: "an array of numbers") }
            var out: [Double] = []
            for item in items {
                guard let x = item.numberValue else { throw .invalidField(field, expected: "an array of numbers") }
                out.append(x)
            }
            return out
        }
        guard case let .array(rows)? = configuration["gain"] else {
            throw .invalidField("gain", expected: "an array of rows (actionDimension × observationDimension)")
        }
        var gain: [[Double]] = []
        for row in rows { gain.append(try vector(row, "gain") ?? []) }
        try self.init(gain: gain, target: vector(configuration["target"], "target"), bias: vector(configuration["bias"], "bias"))
        guard observationDimension == request.observationSpace.dimension, actionDimension == request.actionSpace.dimension else {
            throw .spaceMismatch("gain is \(actionDimension)×\(observationDimension), spaces are action \(request.actionSpace.dimension), observation \(request.observationSpace.dimension)")
        }
    }

    public func reset(seed: UInt64) throws {}

    public func step(observation: UnsafeBufferPointer<Double>, action: UnsafeMutableBufferPointer<Double>) -> AgentStepDiagnostics {
        for i in 0..<actionDimension {
            var u = bias[i]
            for j in 0..<observationDimension { u -= gain[i * observationDimension + j] * (observation[j] - target[j]) }
            action[i] = u
        }
        return AgentStepDiagnostics()
    }
}
