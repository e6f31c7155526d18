/// Hard limits of the protocol (PROTOCOL.md §5). A message beyond them is refused with an error.
public enum WireLimits {
    /// Largest accepted message of either plane, in bytes.
    public static let maximumMessageBytes = 65_536
    /// Largest number of values in one data frame (and largest space dimension).
    public static let maximumValues = 4_096
    /// Longest robot name, in UTF-8 bytes.
    public static let maximumRobotNameBytes = 256
    /// Size of the fixed data-frame header, in bytes.
    public static let headerBytes = 48
}
