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
    /// Seconds an action stays valid after the step's timestamp (default 3 × controlPeriod).
    public var actionValidity: Double?

    enum CodingKeys: String, CodingKey {
        case kind, protocolVersion = "protocol", robot, observationSpace, actionSpace, controlPeriod, scalar, agent
        case actionValidity
    }

    public init(protocolVersion: String = ProtocolVersion.current.description, robot: String,
                observationSpace: WireSpace, actionSpace: WireSpace, controlPeriod: Double,
                scalar: ScalarType = .float32, agent: JSONValue = .object([:])) {
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
        if let validity = actionValidity {
            guard validity.isFinite, validity > 0, validity <= WireLimits.maximumActionValidity else {
                throw .invalidMessage("actionValidity \(validity) s must be in (0, \(WireLimits.maximumActionValidity)]")
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
}

/// `welcome`: the server's answer to a hello (server → robot).
public struct Welcome: Sendable, Equatable, Codable {
    public var kind = "welcome"
    public var protocolVersion: String
    /// The session id to put in every data frame of this session.
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
    /// Seconds an action stays valid after its step's timestamp (the action frame's validUntil).
    public var actionValidity: Double?
    /// Seconds of compute the server allows each step of this session.
    public var computeDeadline: Double?

    enum CodingKeys: String, CodingKey {
        case kind, protocolVersion = "protocol", session, observationDimension, actionDimension,
             heartbeatInterval, idleTimeout, warnings, endpoint, actionValidity, computeDeadline
    }

    public init(session: UInt64, observationDimension: Int, actionDimension: Int,
                heartbeatInterval: Double, idleTimeout: Double, warnings: [String] = [], endpoint: String? = nil,
                protocolVersion: String = ProtocolVersion.current.description) {
        self.endpoint = endpoint
        self.protocolVersion = protocolVersion
        self.session = session
        self.observationDimension = observationDimension
        self.actionDimension = actionDimension
        self.heartbeatInterval = heartbeatInterval
        self.idleTimeout = idleTimeout
        self.warnings = warnings
    }
}

/// `reset`: start a new episode in a session; the server resets the agent with `seed` and echoes
/// the message back as the acknowledgement.
public struct Reset: Sendable, Equatable, Codable {
    public var kind = "reset"
    public var session: UInt64
    public var seed: UInt64

    public init(session: UInt64, seed: UInt64) {
        self.session = session
        self.seed = seed
    }
}

/// `bye`: end a session; the server drops it and echoes the message back.
public struct Bye: Sendable, Equatable, Codable {
    public var kind = "bye"
    public var session: UInt64

    public init(session: UInt64) { self.session = session }
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

    public init(code: ErrorCode, message: String, session: UInt64? = nil, sequence: UInt64? = nil) {
        self.code = code
        self.message = message
        self.session = session
        self.sequence = sequence
    }
}
