/// The scalar types PCKit computes with: `Float` (the default for training) and `Double`
/// (control and exactness tests).
///
/// The numerical kernels exist for these two types only. The protocol has no requirements of its
/// own beyond the standard ones, so nothing stops another module from conforming a third type;
/// such a type stops the program at its first kernel call with a message naming it.
public protocol PCScalar: BinaryFloatingPoint, Sendable, Codable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {}

extension Float: PCScalar {}
extension Double: PCScalar {}

/// Binary elementwise operations of the kernel.
public enum ElementwiseOperation: Sendable {
    /// a ⊙ b (Hadamard product)
    case multiply
    /// a − b
    case subtract
    /// a + b
    case add
}
