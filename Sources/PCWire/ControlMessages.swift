/// A bounded box as sent on the wire: `null` stands for an unbounded side (JSON has no infinity).
public struct WireSpace: Sendable, Equatable, Codable {
    /// Lower bounds, (dimension); `nil` = −∞.
    public var low: [Double?]
    /// Upper bounds, (dimension); `nil` = +∞.
    public var high: [Double?]

    public init(low: [Double?], high: [Double?]) {
        self.low = low
        self.high = high
    }

    public var dimension: Int { low.count }
}

/// The width of the values a robot sends and wants back.
public enum ScalarType: String, Sendable, Codable {
    case float32, float64
}

/// `hello`: a robot asks for a session and an agent (robot → server).
public struct Hello: Sendable, Equatable, Codable {
    public var kind = "hello"
    /// The robot's protocol version, `"MAJOR.MINOR.PATCH"`.
    public var protocolVersion: String
    /// A name for logs and telemetry (≤ ``WireLimits/maximumRobotNameBytes`` bytes).
    public var robot: String
    public var observationSpace: WireSpace
    public var actionSpace: WireSpace
    /// Seconds between steps (the control period), > 0.
    public var controlPeriod: Double
    /// The scalar width of data frames in this session.
    public var scalar: ScalarType
    /// The agent configuration, passed to the server's agent factory as is.
    public var agent: JSONValue
    /// Seconds an action stays valid after the step it answers (protocol 1.1; optional): finite,
    /// > 0 and ≤ ``WireLimits/maximumActionValidity``. `nil` means 3 × `controlPeriod`.
    public var actionValidity: Double?

    enum CodingKeys: String, CodingKey {
        case kind, protocolVersion = "protocol", robot, observationSpace, actionSpace, controlPeriod, scalar, agent,
             actionValidity
    }

    public init(protocolVersion: String = ProtocolVersion.current.description, robot: String,
                observationSpace: WireSpace, actionSpace: WireSpace, controlPeriod: Double,
                scalar: ScalarType = .float32, agent: JSONValue = .object([:]), actionValidity: Double? = nil) {
        self.actionValidity = actionValidity
        self.protocolVersion = protocolVersion
        self.robot = robot
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.controlPeriod = controlPeriod
        self.scalar = scalar
        self.agent = agent
    }

    /// Checks the protocol's limits and the consistency of the spaces and period.
    /// - Returns: a warning for a minor-version difference, else `nil`.
    /// - Throws: ``WireError`` naming the offending field.
    public func validate() throws(WireError) -> String? {
        let warning = try ProtocolVersion.current.compatibility(with: ProtocolVersion(parsing: protocolVersion))
        guard robot.utf8.count <= WireLimits.maximumRobotNameBytes else {
            throw .invalidMessage("robot name has \(robot.utf8.count) bytes, limit \(WireLimits.maximumRobotNameBytes)")
        }
        guard controlPeriod.isFinite, controlPeriod > 0 else {
            throw .invalidMessage("controlPeriod \(controlPeriod) must be finite and > 0")
        }
        if let actionValidity {
            guard actionValidity.isFinite, actionValidity > 0, actionValidity <= WireLimits.maximumActionValidity else {
                throw .invalidMessage("actionValidity \(actionValidity) must be seconds, finite, > 0 and ≤ "
                    + "\(WireLimits.maximumActionValidity); leave it out for 3 × controlPeriod")
            }
        }
        for (name, space) in [("observationSpace", observationSpace), ("actionSpace", actionSpace)] {
            guard space.low.count == space.high.count else {
                throw .invalidMessage("\(name) has \(space.low.count) low and \(space.high.count) high bounds")
            }
            guard space.dimension >= 1, space.dimension <= WireLimits.maximumValues else {
                throw .invalidMessage("\(name) dimension \(space.dimension) outside 1…\(WireLimits.maximumValues)")
            }
            for i in 0..<space.dimension {
                let lo = space.low[i] ?? -.infinity, hi = space.high[i] ?? .infinity
                guard lo.isFinite || space.low[i] == nil, hi.isFinite || space.high[i] == nil, lo <= hi else {
                    throw .invalidMessage("\(name) bound \(i): low \(lo) and high \(hi) are not an interval")
                }
            }
        }
        return warning
    }

    /// The action validity in force for this hello, in seconds: `actionValidity`, or 3 ×
    /// `controlPeriod` when the hello leaves it out.
    public var resolvedActionValidity: Double { actionValidity ?? 3 * controlPeriod }
}

/// `welcome`: the server's answer to a hello (server → robot).
public struct Welcome: Sendable, Equatable, Codable {
    public var kind = "welcome"
    public var protocolVersion: String
    /// The session id to put in every data frame of this session, 1…``WireLimits/maximumSessionID``
    /// (a welcome with any other id is refused when decoded).
    public var session: UInt64
    public var observationDimension: Int
    public var actionDimension: Int
    /// Seconds between heartbeats the server expects while the robot is otherwise silent.
    public var heartbeatInterval: Double
    /// Seconds of silence after which the server drops the session.
    public var idleTimeout: Double
    /// Non-fatal remarks (e.g. a minor-version difference).
    public var warnings: [String]
    /// When present, the endpoint the robot must use for the rest of this session (a worker
    /// behind a broker answers hellos forwarded by the broker with its own endpoint).
    public var endpoint: String?
    /// Seconds each action stays valid after its step's timestamp: the value in force for this
    /// session (protocol 1.1; absent from a 1.0 server's welcome).
    public var actionValidity: Double?
    /// Seconds of compute the server gives each step of this session; planning stops there and the
    /// action is flagged ``DataFrameFlags/deadlineExceeded`` (protocol 1.1; absent from 1.0).
    public var computeDeadline: Double?

    enum CodingKeys: String, CodingKey {
        case kind, protocolVersion = "protocol", session, observationDimension, actionDimension,
             heartbeatInterval, idleTimeout, warnings, endpoint, actionValidity, computeDeadline
    }

    public init(session: UInt64, observationDimension: Int, actionDimension: Int,
                heartbeatInterval: Double, idleTimeout: Double, warnings: [String] = [], endpoint: String? = nil,
                protocolVersion: String = ProtocolVersion.current.description,
                actionValidity: Double? = nil, computeDeadline: Double? = nil) {
        self.actionValidity = actionValidity
        self.computeDeadline = computeDeadline
        self.endpoint = endpoint
        self.protocolVersion = protocolVersion
        self.session = session
        self.observationDimension = observationDimension
        self.actionDimension = actionDimension
        self.heartbeatInterval = heartbeatInterval
        self.idleTimeout = idleTimeout
        self.warnings = warnings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        protocolVersion = try c.decode(String.self, forKey: .protocolVersion)
        session = try c.decodeWireInteger(.session, in: 1...WireLimits.maximumSessionID)
        observationDimension = Int(try c.decodeWireInteger(.observationDimension, in: 1...UInt64(WireLimits.maximumValues)))
        actionDimension = Int(try c.decodeWireInteger(.actionDimension, in: 1...UInt64(WireLimits.maximumValues)))
        heartbeatInterval = try c.decode(Double.self, forKey: .heartbeatInterval)
        idleTimeout = try c.decode(Double.self, forKey: .idleTimeout)
        warnings = try c.decode([String].self, forKey: .warnings)
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
        actionValidity = try c.decodeIfPresent(Double.self, forKey: .actionValidity)
        computeDeadline = try c.decodeIfPresent(Double.self, forKey: .computeDeadline)
    }
}

/// `reset`: start a new episode in the same session; the agent clears its belief and warm start
/// and reseeds its generator with `seed` (what a learning agent has learned is kept). The server
/// echoes the message back as the acknowledgement.
public struct Reset: Sendable, Equatable, Codable {
    public var kind = "reset"
    /// The session (servers issue 1…``WireLimits/maximumSessionID``; any other id is unknown).
    public var session: UInt64
    /// Required; 0…``WireLimits/maximumSeed``. Seeds the agent's generator only.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey { case kind, session, seed }

    public init(session: UInt64, seed: UInt64) {
        self.session = session
        self.seed = seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        // Any whole number: an id outside 1…maximumSessionID names no session (`unknownSession`),
        // as in a data frame.
        session = try c.decodeWireInteger(.session, in: 0...UInt64.max)
        seed = try c.decodeWireInteger(.seed, in: 0...WireLimits.maximumSeed)
    }
}

/// `bye`: end a session; the server drops it and echoes the message back.
public struct Bye: Sendable, Equatable, Codable {
    public var kind = "bye"
    /// The session (servers issue 1…``WireLimits/maximumSessionID``; any other id is unknown).
    public var session: UInt64

    enum CodingKeys: String, CodingKey { case kind, session }

    public init(session: UInt64) { self.session = session }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        session = try c.decodeWireInteger(.session, in: 0...UInt64.max)  // see Reset
    }
}

/// `error`: the reply to any request the server could not honour.
public struct ErrorMessage: Sendable, Equatable, Codable {
    public var kind = "error"
    public var code: ErrorCode
    /// A sentence naming the problem (field, expected and received values).
    public var message: String
    /// The session the request named, when it could be read.
    public var session: UInt64?
    /// The sequence number of the request, when it could be read.
    public var sequence: UInt64?

    enum CodingKeys: String, CodingKey { case kind, code, message, session, sequence }

    public init(code: ErrorCode, message: String, session: UInt64? = nil, sequence: UInt64? = nil) {
        self.code = code
        self.message = message
        self.session = session
        self.sequence = sequence
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        code = try c.decode(ErrorCode.self, forKey: .code)
        message = try c.decode(String.self, forKey: .message)
        // An error may name whatever session id the request carried (even 0 or a huge one).
        session = try c.decodeWireInteger(.session, in: 0...UInt64.max, required: false)
        sequence = try c.decodeWireInteger(.sequence, in: 0...UInt64.max, required: false)
    }
}

/// A control-message field that is missing, not a number, or outside its range; its text names
/// the field and what would be accepted.
struct FieldProblem: Error {
    /// `true`: a number of the wrong value (→ `invalidMessage`); `false`: missing or not a number
    /// (→ `malformedJSON`).
    var outOfRange: Bool
    var text: String
}

extension KeyedDecodingContainer {
    /// Decodes `key` as a JSON integer in `range`. `7` and `7.0` are the same number (JSON does not
    /// tell integers from decimals); a fraction, a negative number or a number beyond the range is
    /// refused with a ``FieldProblem`` naming the field and the range.
    func decodeWireInteger(_ key: Key, in range: ClosedRange<UInt64>) throws -> UInt64 {
        // `required: true` never returns nil.
        try decodeWireInteger(key, in: range, required: true) ?? range.lowerBound
    }

    func decodeWireInteger(_ key: Key, in range: ClosedRange<UInt64>, required: Bool) throws -> UInt64? {
        let name = (codingPath + [key]).map(\.stringValue).joined(separator: ".")
        let expected = "an integer in \(range.lowerBound)…\(range.upperBound)"
        guard contains(key), !((try? decodeNil(forKey: key)) ?? false) else {
            if !required { return nil }
            throw FieldProblem(outOfRange: false, text: "missing field \"\(name)\": expected \(expected)")
        }
        if let value = try? decode(UInt64.self, forKey: key) {
            guard range.contains(value) else {
                throw FieldProblem(outOfRange: true, text: "field \"\(name)\" is \(value): expected \(expected)")
            }
            return value
        }
        if let number = try? decode(Double.self, forKey: key) {
            guard let value = UInt64(exactly: number), range.contains(value) else {
                throw FieldProblem(outOfRange: true, text: "field \"\(name)\" is \(number): expected \(expected)")
            }
            return value
        }
        throw FieldProblem(outOfRange: false, text: "field \"\(name)\" is not a number: expected \(expected)")
    }
}
