/// Flags of a data frame (header bytes 6–7, little-endian).
public struct DataFrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Values are IEEE-754 binary64; otherwise binary32.
    public static let float64 = DataFrameFlags(rawValue: 1 << 0)
    /// (action) The agent's inference converged within its iteration budget.
    public static let converged = DataFrameFlags(rawValue: 1 << 1)
    /// (action) The agent met numerical trouble this step and recovered; see telemetry.
    public static let warning = DataFrameFlags(rawValue: 1 << 2)
    /// (action) This reply repeats the cached reply to a retried sequence number.
    public static let replayed = DataFrameFlags(rawValue: 1 << 3)
    /// (action) An observation coordinate was outside the hello's declared observation bounds
    /// (the server accepted it; a server started to refuse such steps answers
    /// ``ErrorCode/observationOutOfBounds`` instead).
    public static let outOfBounds = DataFrameFlags(rawValue: 1 << 4)
    /// (action) Planning stopped at the session's compute deadline; the action is the best plan so far.
    public static let deadlineExceeded = DataFrameFlags(rawValue: 1 << 5)
}

/// The fixed 48-byte header of a data frame (PROTOCOL.md §3). All integers are little-endian.
///
/// ```text
/// offset size field
///  0     4    magic "PCKW"
///  4     1    protocol major version
///  5     1    kind (step 3, action 4, heartbeat 7, telemetry 9)
///  6     2    flags (DataFrameFlags)
///  8     8    session id
/// 16     8    sequence number
/// 24     8    timestamp, nanoseconds: step = the robot's monotonic clock; action = validUntil
///             (the step's timestamp + the session's action validity, saturating); heartbeat
///             reply = the request's timestamp echoed
/// 32     4    count of values
/// 36     4    iterations (action, telemetry; else 0)
/// 40     8    free energy, binary64 (action, telemetry; else 0)
/// 48     …    count values, binary32 or binary64
/// ```
public struct DataFrameHeader: Sendable, Equatable {
    public var kind: MessageKind
    public var flags: DataFrameFlags
    public var session: UInt64
    public var sequence: UInt64
    public var timestampNanoseconds: UInt64
    /// Number of values that follow the header.
    public var count: Int
    /// Inference iterations the agent used (action and telemetry frames).
    public var iterations: UInt32
    /// The agent's free energy after this step (action and telemetry frames); NaN if unknown.
    public var freeEnergy: Double

    public init(kind: MessageKind, flags: DataFrameFlags = [], session: UInt64, sequence: UInt64,
                timestampNanoseconds: UInt64, count: Int, iterations: UInt32 = 0, freeEnergy: Double = 0) {
        self.kind = kind
        self.flags = flags
        self.session = session
        self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds
        self.count = count
        self.iterations = iterations
        self.freeEnergy = freeEnergy
    }

    /// The action frame's timestamp field read as what it means: the robot-clock instant (ns) after
    /// which the robot must stop applying this action.
    @inlinable public var validUntilNanoseconds: UInt64 {
        get { timestampNanoseconds }
        set { timestampNanoseconds = newValue }
    }

    /// Bytes per value: 8 with ``DataFrameFlags/float64``, else 4.
    @inlinable public var scalarBytes: Int { flags.contains(.float64) ? 8 : 4 }

    /// Total frame length implied by this header.
    @inlinable public var frameBytes: Int { WireLimits.headerBytes + count * scalarBytes }
}

extension DataFrame {
    /// The validUntil of an action answering a step stamped `stepTimestamp` (ns, robot clock):
    /// `stepTimestamp + actionValidity`, saturating at `UInt64.max` instead of wrapping.
    /// - Parameters:
    ///   - stepTimestamp: the step frame's timestamp, nanoseconds on the robot's clock.
    ///   - actionValidity: seconds, finite and ≥ 0 (``Hello/validate()`` keeps it in (0, 60]).
    @inlinable
    public static func validUntil(stepTimestamp: UInt64, actionValidity: Double) -> UInt64 {
        precondition(actionValidity.isFinite && actionValidity >= 0,
                     "DataFrame.validUntil: actionValidity \(actionValidity) must be finite and >= 0")
        let nanoseconds = (actionValidity * 1e9).rounded()
        guard nanoseconds < 18_446_744_073_709_551_616.0 else { return .max }
        let (sum, overflow) = stepTimestamp.addingReportingOverflow(UInt64(nanoseconds))
        return overflow ? .max : sum
    }
}
