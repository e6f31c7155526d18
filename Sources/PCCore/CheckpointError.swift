/// Why a checkpoint could not be written or read. Each kind of damage has its own case.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with the magic bytes "PCKC".
    case notACheckpoint(path: String)
    /// The format version is not one this build reads (it reads 1 up to `supported`).
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The file ends early: the header promises `expected` bytes, the file has `got`.
    case truncated(expected: Int, got: Int)
    /// The stored checksum does not match the contents (a flipped or overwritten byte).
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// The file holds parameters of another scalar type (4 = Float, 8 = Double bytes).
    case scalarTypeMismatch(expectedBytes: Int, foundBytes: Int)
    /// The network in the file has other layer sizes than the one expected.
    case architectureMismatch(expected: [Int], found: [Int])
    /// The stored standardisation has `features` statistics; the network takes `networkInputs` inputs.
    case preprocessingMismatch(features: Int, networkInputs: Int)
    /// The stored class names are `names`; the network has `networkOutputs` output units.
    case classNamesMismatch(names: Int, networkOutputs: Int)
    /// Class name `index` cannot be stored (too long, or a repeat of an earlier name).
    case invalidClassName(index: Int, reason: String)
    /// A header field has an impossible value (described).
    case corrupt(String)
    /// The file system refused (path and reason).
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notACheckpoint(path): "\(path) is not a PCKit checkpoint (bad magic)"
        case let .unsupportedVersion(found, supported): "checkpoint format version \(found) is not supported (this build reads versions 1 to \(supported))"
        case let .truncated(expected, got): "checkpoint truncated: expected \(expected) bytes, got \(got)"
        case let .checksumMismatch(stored, computed): "checkpoint corrupted: checksum \(String(stored, radix: 16)) stored, \(String(computed, radix: 16)) computed"
        case let .scalarTypeMismatch(expected, found): "checkpoint holds \(found)-byte scalars, expected \(expected)-byte"
        case let .architectureMismatch(expected, found): "checkpoint network has sizes \(found), expected \(expected)"
        case let .preprocessingMismatch(features, inputs):
            "checkpoint standardisation has statistics of \(features) features, but its network takes \(inputs) inputs"
        case let .classNamesMismatch(names, outputs): "checkpoint has \(names) class names, but its network has \(outputs) output units"
        case let .invalidClassName(index, reason): "checkpoint class name \(index): \(reason)"
        case let .corrupt(why): "checkpoint corrupted: \(why)"
        case let .io(path, reason): "\(path): \(reason)"
        }
    }
}
