/// Hard limits of the protocol (PROTOCOL.md §5). A message beyond them is refused with an error.
public enum WireLimits {
    /// Largest accepted message of either plane, in bytes.
    public static let maximumMessageBytes = 65_536
    /// Largest number of values in one data frame (and largest space dimension).
    public static let maximumValues = 4_096
    /// Longest robot name, in UTF-8 bytes.
    public static let maximumRobotNameBytes = 256
    /// Largest `actionValidity` a hello may ask for, in seconds.
    public static let maximumActionValidity: Double = 60
    /// Largest `reset.seed` (2^53 − 1: exact in every JSON library's numbers).
    public static let maximumSeed: UInt64 = (1 << 53) - 1
    /// Largest session id (2^53 − 1); session ids are 1…maximumSessionID.
    public static let maximumSessionID: UInt64 = (1 << 53) - 1
    /// Size of the fixed data-frame header, in bytes.
    public static let headerBytes = 48
}
