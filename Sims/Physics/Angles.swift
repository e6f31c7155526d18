#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wraps an angle into [−π, π): ((x + π) mod 2π) − π, with the floored modulo of NumPy's
/// `np.remainder` (the result takes the sign of the divisor), so that it matches Gymnasium's
/// `angle_normalize` bit for bit.
/// - Parameter angle: radians.
/// - Returns: radians in [−π, π).
@inline(__always)
public func wrappedAngle(_ angle: Double) -> Double {
    let period = 2 * Double.pi
    // fmod is exact; NumPy then adds the divisor when the signs differ.
    var remainder = (angle + .pi).truncatingRemainder(dividingBy: period)
    if remainder != 0 {
        if remainder < 0 { remainder += period }
    } else {
        remainder = 0
    }
    return remainder - .pi
}

/// Wraps an angle into [low, high] by repeated shifts of (high − low), as Gymnasium's Acrobot
/// `wrap` does (no modulo, so the rounding matches it bit for bit).
@inline(__always)
func shiftedIntoRange(_ x: Double, _ low: Double, _ high: Double) -> Double {
    let width = high - low
    var y = x
    while y > high { y -= width }
    while y < low { y += width }
    return y
}

/// min(max(x, low), high).
@inline(__always)
func clamped(_ x: Double, _ low: Double, _ high: Double) -> Double {
    Swift.min(Swift.max(x, low), high)
}
