#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kinematic link of <doc:KinematicReaching#Kinematic-link>: the extrinsic state (p, φ) of joint ℓ predicted from its parent's and
/// its own angle.
/// ```text
/// g_ext(p_{ℓ−1}, φ_{ℓ−1}, θ_ℓ) = (p_{ℓ−1} + l_ℓ (cos φ_ℓ, sin φ_ℓ), φ_ℓ),   φ_ℓ = φ_{ℓ−1} + θ_ℓ
/// ```
public enum KinematicLink {
    /// g_ext, (3): (x, y, φ).
    public static func predict(parent: (x: Double, y: Double, phi: Double), angle: Double,
                               length: Double) -> (x: Double, y: Double, phi: Double) {
        let phi = parent.phi + angle
        return (parent.x + length * cos(phi), parent.y + length * sin(phi), phi)
    }

    /// The Jacobian of g_ext with respect to (x_{ℓ−1}, y_{ℓ−1}, φ_{ℓ−1}, θ_ℓ), (3 × 4), row-major:
    /// ```text
    /// [[1, 0, −l sin φ_ℓ, −l sin φ_ℓ],
    ///  [0, 1,  l cos φ_ℓ,  l cos φ_ℓ],
    ///  [0, 0,  1,          1        ]]
    /// ```
    public static func jacobian(parent: (x: Double, y: Double, phi: Double), angle: Double, length: Double) -> [Double] {
        let phi = parent.phi + angle
        let s = length * sin(phi), c = length * cos(phi)
        return [1, 0, -s, -s,
                0, 1, c, c,
                0, 0, 1, 1]
    }
}
