/// The semantic version of the PCKit wire protocol (`MAJOR.MINOR.PATCH`).
///
/// A peer with a different major version is refused; a different minor version is accepted with a
/// warning; the patch level never matters on the wire. Binary frames carry only the major version.
public struct ProtocolVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    /// The version this build speaks.
    public static let current = ProtocolVersion(major: 1, minor: 1, patch: 0)

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `"MAJOR.MINOR.PATCH"` (three non-negative integers).
    /// - Throws: ``WireError/invalidMessage(_:)`` naming the text when it is not a version.
    public init(parsing text: String) throws(WireError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]),
              a >= 0, b >= 0, c >= 0 else {
            throw .invalidMessage("protocol version \"\(text.prefix(32))\" is not MAJOR.MINOR.PATCH")
        }
        self.init(major: a, minor: b, patch: c)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    /// Checks a peer's version against ours.
    /// - Returns: a warning when only the minor version differs, `nil` when compatible without remark.
    /// - Throws: ``WireError/unsupportedVersion(major:supported:)`` when the major versions differ.
    public func compatibility(with peer: ProtocolVersion) throws(WireError) -> String? {
        guard peer.major == major else { throw .unsupportedVersion(major: peer.major, supported: major) }
        if peer.minor != minor {
            return "peer speaks protocol \(peer), this server \(self): minor versions differ, continuing"
        }
        return nil
    }
}
