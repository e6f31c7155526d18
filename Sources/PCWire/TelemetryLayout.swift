/// `telemetryLayout`: what the values of a session's telemetry beliefs frame are (server → PUB
/// subscribers, one JSON frame).
///
/// The server publishes it before a session's first telemetry step and again at most once a
/// second while the session steps, so that a subscriber that joins late learns it too. The beliefs
/// frame of each step holds the fields' values in order, ``fields``' counts summing to the frame's
/// `count`. Subscribers skip JSON messages whose `kind` they do not read.
public struct TelemetryLayout: Sendable, Equatable, Codable {
    /// One named block of the beliefs frame.
    public struct Field: Sendable, Equatable, Codable {
        /// The field's name, e.g. `plannedStates`, `predictionError`.
        public var name: String
        /// Values in the block, ≥ 1.
        public var count: Int
        /// What the values are, with their order and units.
        public var description: String

        public init(name: String, count: Int, description: String) {
            self.name = name
            self.count = count
            self.description = description
        }
    }

    public var kind = "telemetryLayout"
    /// The session the layout belongs to.
    public var session: UInt64
    /// The robot's name from its hello.
    public var robot: String
    public var observationDimension: Int
    public var actionDimension: Int
    /// The beliefs frame's fields, in order.
    public var fields: [Field]

    public init(session: UInt64, robot: String, observationDimension: Int, actionDimension: Int, fields: [Field]) {
        self.session = session
        self.robot = robot
        self.observationDimension = observationDimension
        self.actionDimension = actionDimension
        self.fields = fields
    }

    /// Values in the beliefs frame: the fields' counts summed.
    public var beliefCount: Int { fields.reduce(0) { $0 + $1.count } }
}
