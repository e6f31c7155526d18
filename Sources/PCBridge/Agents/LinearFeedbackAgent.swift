import PCAgents
import PCWire

/// A linear state-feedback policy `u = b − K (y − r)` as a PCAgents ``PCAgents/Agent``: the
/// simplest real agent, used to test and benchmark the bridge without a predictive-coding model.
///
/// It has no free energy (its diagnostics report NaN) and no iterations. A wrong-length or
/// non-finite observation is recorded as ``PCAgents/AgentWarnings/invalidObservation`` and the
/// action is the bias b (the policy at y = r).
public struct LinearFeedbackController: Agent, Sendable {
    /// K, row-major (actionDimension × observationDimension).
    let gain: [Double]
    /// r, (observationDimension).
    let target: [Double]
    /// b, (actionDimension).
    let bias: [Double]
    public let observationDimension: Int
    public let actionDimension: Int
    /// The last valid observation, (observationDimension), overwritten in place.
    private var observation: [Double]
    private var observationIsValid = false

    /// - Parameters:
    ///   - gain: K, (actionDimension) rows of (observationDimension) finite numbers.
    ///   - target: r, (observationDimension), default 0.
    ///   - bias: b, (actionDimension), default 0.
    /// - Throws: ``ReferenceAgentError/invalidField(_:expected:)`` naming the field that does not fit.
    public init(gain: [[Double]], target: [Double]? = nil, bias: [Double]? = nil) throws(ReferenceAgentError) {
        guard let n = gain.first?.count, n > 0, gain.allSatisfy({ $0.count == n }) else {
            throw .invalidField("gain", expected: "a non-empty matrix with rows of equal length")
        }
        guard gain.joined().allSatisfy(\.isFinite) else { throw .invalidField("gain", expected: "finite numbers") }
        observationDimension = n
        actionDimension = gain.count
        self.gain = Array(gain.joined())
        self.target = target ?? Array(repeating: 0, count: n)
        self.bias = bias ?? Array(repeating: 0, count: gain.count)
        observation = Array(repeating: 0, count: n)
        guard self.target.count == n else { throw .invalidField("target", expected: "\(n) numbers") }
        guard self.bias.count == gain.count else { throw .invalidField("bias", expected: "\(gain.count) numbers") }
    }

    public mutating func reset(seed: UInt64) { observationIsValid = false }

    public mutating func perceive(_ y: [Double]) {
        observationIsValid = y.count == observationDimension
        for j in 0..<min(y.count, observationDimension) {
            observation[j] = y[j]
            if !y[j].isFinite { observationIsValid = false }
        }
    }

    /// Nothing to plan: the policy is fixed.
    public mutating func plan() {}

    public mutating func act(into action: inout [Double]) -> StepDiagnostics {
        for i in 0..<actionDimension {
            var u = bias[i]
            if observationIsValid {
                for j in 0..<observationDimension { u -= gain[i * observationDimension + j] * (observation[j] - target[j]) }
            }
            action[i] = u
        }
        // A classical controller has no free energy.
        return StepDiagnostics(freeEnergy: .nan, warnings: observationIsValid ? [] : .invalidObservation)
    }
}

/// ``LinearFeedbackController`` hosted for a bridge session (`"type": "linear"`).
public typealias LinearFeedbackAgent = AgentAdapter<LinearFeedbackController>

extension AgentAdapter where Wrapped == LinearFeedbackController {
    /// Builds the controller from a hello's configuration and checks it against the spaces.
    ///
    /// Configuration (`"type": "linear"`): `gain` K, (actionDimension × observationDimension) rows;
    /// optional `target` r, (observationDimension), default 0; optional `bias` b, (actionDimension),
    /// default 0.
    /// - Throws: ``ReferenceAgentError`` naming the field or the space that does not fit.
    public convenience init(configuration: JSONValue, request: SessionRequest) throws(ReferenceAgentError) {
        func vector(_ value: JSONValue?, _ field: String) throws(ReferenceAgentError) -> [Double]? {
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
        let controller = try LinearFeedbackController(gain: gain, target: vector(configuration["target"], "target"),
                                                      bias: vector(configuration["bias"], "bias"))
        guard controller.observationDimension == request.observationSpace.dimension,
              controller.actionDimension == request.actionSpace.dimension else {
            throw .spaceMismatch("gain is \(controller.actionDimension)×\(controller.observationDimension), spaces are action \(request.actionSpace.dimension), observation \(request.observationSpace.dimension)")
        }
        self.init(controller)
    }
}
