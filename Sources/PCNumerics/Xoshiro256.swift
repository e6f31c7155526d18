/// A seedable pseudo-random generator whose stream is identical on every machine.
///
/// Algorithm: **xoshiro256\*\*** (Blackman & Vigna, 2018) for the 64-bit stream; the 256-bit state
/// is filled from the 64-bit seed by four outputs of **SplitMix64** (Steele, Lea & Flood, 2014),
/// as the xoshiro authors recommend. Only integer arithmetic is involved, so every platform
/// produces the same `next()` sequence for the same seed.
///
/// Derived draws:
/// - ``nextUniform()``: the top 53 bits scaled by 2⁻⁵³, a Double in [0, 1) (bit-exact everywhere).
/// - ``nextNormal()``: the Marsaglia polar method on pairs of uniforms in (−1, 1); the second value
///   of each pair is kept for the next call. It uses `log` and `sqrt`: `sqrt` is exact under IEEE 754
///   and `log` comes from the platform's libm (glibc on Linux), so normals agree bit-for-bit across
///   Linux machines and to the last ulp elsewhere.
///
/// Every random draw in PCKit comes from a generator passed in explicitly; there is no global one.
///
/// ```swift
/// var rng = Xoshiro256(seed: 42)
/// let u = rng.nextUniform()          // [0, 1)
/// let z = rng.nextNormal()           // N(0, 1)
/// ```
public struct Xoshiro256: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The 256-bit generator state (never all zero).
    public var state: (UInt64, UInt64, UInt64, UInt64) { s }
    @usableFromInline var s: (UInt64, UInt64, UInt64, UInt64)
    /// The spare normal deviate of the polar method, if one is waiting.
    private var spareNormal: Double?

    /// Creates a generator from a 64-bit seed (any value, including 0).
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(&sm), splitMix(&sm), splitMix(&sm), splitMix(&sm))
    }

    /// The next 64 bits of the stream.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotateLeft(s.3, 45)
        return result
    }

    @usableFromInline
    @inline(__always)
    func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A Double uniformly distributed in [0, 1): `(next() >> 11) · 2⁻⁵³`.
    @inlinable
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A Double uniformly distributed in [low, high): `low + (high − low)·u`.
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextUniform()
    }

    /// An integer uniformly distributed in 0..<bound, by Lemire's nearly divisionless method
    /// (unbiased; bit-exact everywhere).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Xoshiro256.nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A standard normal deviate N(0, 1) by the Marsaglia polar method.
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * _log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }

    /// A normal deviate N(mean, standardDeviation²).
    public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        mean + standardDeviation * nextNormal()
    }

    /// Shuffles `array` in place by Fisher–Yates with ``nextInt(below:)`` (bit-exact everywhere).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }

    // Hashable/Codable over the state only (a pending spare normal is part of the state too).
    public static func == (a: Self, b: Self) -> Bool {
        a.state == b.state && a.spareNormal?.bitPattern == b.spareNormal?.bitPattern
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(state.0); hasher.combine(state.1); hasher.combine(state.2); hasher.combine(state.3)
    }
    private enum CodingKeys: String, CodingKey { case s0, s1, s2, s3, spareNormal }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        s = (try c.decode(UInt64.self, forKey: .s0), try c.decode(UInt64.self, forKey: .s1),
                 try c.decode(UInt64.self, forKey: .s2), try c.decode(UInt64.self, forKey: .s3))
        spareNormal = try c.decodeIfPresent(Double.self, forKey: .spareNormal)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state.0, forKey: .s0); try c.encode(state.1, forKey: .s1)
        try c.encode(state.2, forKey: .s2); try c.encode(state.3, forKey: .s3)
        try c.encodeIfPresent(spareNormal, forKey: .spareNormal)
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _log(_ x: Double) -> Double { Glibc.log(x) }
#elseif canImport(Darwin)
import Darwin
@usableFromInline func _log(_ x: Double) -> Double { Darwin.log(x) }
#endif
