#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything one evaluation of the dynamics needs about a configuration, computed once.
@usableFromInline
struct ChainGeometry {
    /// cos φᵢ, sin φᵢ of the absolute angles, (n).
    var cosine = SIMD8<Double>(), sine = SIMD8<Double>()
    /// Joint positions pᵢ, (n), and centres of mass cᵢ, (n), m.
    var jointX = SIMD8<Double>(), jointY = SIMD8<Double>()
    var comX = SIMD8<Double>(), comY = SIMD8<Double>()
}

extension PlanarChain {
    @inline(__always)
    func geometry(_ q: SIMD8<Double>) -> ChainGeometry {
        var g = ChainGeometry()
        var phi = 0.0, px = 0.0, py = 0.0
        for i in 0..<linkCount {
            phi += q[i]
            let c = cos(phi), s = sin(phi)
            g.cosine[i] = c; g.sine[i] = s
            g.jointX[i] = px; g.jointY[i] = py
            g.comX[i] = px + centerOfMass[i] * c; g.comY[i] = py + centerOfMass[i] * s
            px += length[i] * c; py += length[i] * s
        }
        return g
    }

    /// M(q) + diag(armature), row-major in an 8 × 8 block (only the lower triangle is filled):
    /// M_kl = Σ_{i ≥ max(k,l)} mᵢ (cᵢ − p_k)·(cᵢ − p_l) + Iᵢ.
    @inline(__always)
    func massMatrixLower(_ g: ChainGeometry) -> InlineArray<64, Double> {
        var m = InlineArray<64, Double>(repeating: 0)
        let n = linkCount
        for k in 0..<n {
            for l in 0...k {
                var sum = 0.0
                for i in k..<n {
                    let kx = g.comX[i] - g.jointX[k], ky = g.comY[i] - g.jointY[k]
                    let lx = g.comX[i] - g.jointX[l], ly = g.comY[i] - g.jointY[l]
                    sum += mass[i] * (kx * lx + ky * ly) + inertia[i]
                }
                m[k * 8 + l] = sum
            }
            m[k * 9] += armature[k]
        }
        return m
    }

    /// C(q, q̇)q̇ + G(q) by recursive Newton–Euler with q̈ = 0 and the base accelerating at +g
    /// (which stands for gravity), (n) N·m.
    @inline(__always)
    func biasTorques(_ g: ChainGeometry, velocity v: SIMD8<Double>) -> SIMD8<Double> {
        let n = linkCount
        // Forward pass: centre-of-mass accelerations (only centripetal terms, since q̈ = 0).
        var comAccelerationX = SIMD8<Double>(), comAccelerationY = SIMD8<Double>()
        var ax = 0.0, ay = gravity, omega = 0.0
        for i in 0..<n {
            omega += v[i]
            let w2 = omega * omega
            comAccelerationX[i] = ax - w2 * centerOfMass[i] * g.cosine[i]
            comAccelerationY[i] = ay - w2 * centerOfMass[i] * g.sine[i]
            ax -= w2 * length[i] * g.cosine[i]
            ay -= w2 * length[i] * g.sine[i]
        }
        // Backward pass: force f and moment on each link from its parent, about its joint.
        var h = SIMD8<Double>()
        var fx = 0.0, fy = 0.0, moment = 0.0
        for i in stride(from: n - 1, through: 0, by: -1) {
            let mx = mass[i] * comAccelerationX[i], my = mass[i] * comAccelerationY[i]
            let c = g.cosine[i], s = g.sine[i]
            moment += centerOfMass[i] * (c * my - s * mx) + length[i] * (c * fy - s * fx)
            fx += mx; fy += my
            h[i] = moment
        }
        return h
    }

    /// Solves A x = b for the symmetric positive definite A given by its lower triangle (in place Cholesky).
    @inline(__always)
    func solveSymmetric(_ a: inout InlineArray<64, Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
        let n = linkCount
        // A = L Lᵀ, L overwriting the lower triangle.
        for j in 0..<n {
            var d = a[j * 9]
            for k in 0..<j { d -= a[j * 8 + k] * a[j * 8 + k] }
            let root = d.squareRoot()
            a[j * 9] = root
            for i in (j + 1)..<max(j + 1, n) {
                var sum = a[i * 8 + j]
                for k in 0..<j { sum -= a[i * 8 + k] * a[j * 8 + k] }
                a[i * 8 + j] = sum / root
            }
        }
        // L y = b, then Lᵀ x = y.
        var x = b
        for i in 0..<n {
            var sum = x[i]
            for k in 0..<i { sum -= a[i * 8 + k] * x[k] }
            x[i] = sum / a[i * 9]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in (i + 1)..<max(i + 1, n) { sum -= a[k * 8 + i] * x[k] }
            x[i] = sum / a[i * 9]
        }
        return x
    }

    /// q̈ = (M + diag(armature))⁻¹ (τ − C q̇ − G − D q̇), all (n) in 8 lanes.
    @inline(__always)
    func acceleration(_ q: SIMD8<Double>, _ v: SIMD8<Double>, torque: SIMD8<Double>) -> SIMD8<Double> {
        let g = geometry(q)
        var m = massMatrixLower(g)
        let rhs = torque - biasTorques(g, velocity: v) - damping * v
        return solveSymmetric(&m, rhs)
    }

    // MARK: Public array API (allocates; for analysis, tests and planners that are not hot)

    /// The joint-space inertia matrix M(q) (+ diag(armature) when `includingArmature`), (n × n) kg·m².
    public func massMatrix(q: [Double], includingArmature: Bool = true) -> [[Double]] {
        precondition(q.count == linkCount, "massMatrix: q has \(q.count) values, expected \(linkCount)")
        let m = massMatrixLower(geometry(lanes(q)))
        return (0..<linkCount).map { k in
            (0..<linkCount).map { l in
                let value = k >= l ? m[k * 8 + l] : m[l * 8 + k]
                return (k == l && !includingArmature) ? value - armature[k] : value
            }
        }
    }

    /// C(q, q̇)q̇ + G(q), the torques needed to hold q̈ = 0 without damping, (n) N·m.
    public func biasTorques(q: [Double], velocity: [Double]) -> [Double] {
        precondition(q.count == linkCount && velocity.count == linkCount, "biasTorques: wrong lengths")
        let h = biasTorques(geometry(lanes(q)), velocity: lanes(velocity))
        return (0..<linkCount).map { h[$0] }
    }

    /// G(q) = ∂V/∂q, the gravity torques, (n) N·m.
    public func gravityTorques(q: [Double]) -> [Double] {
        biasTorques(q: q, velocity: [Double](repeating: 0, count: linkCount))
    }

    /// q̈ for torques τ, (n) rad/s².
    public func acceleration(q: [Double], velocity: [Double], torque: [Double]) -> [Double] {
        precondition(q.count == linkCount && velocity.count == linkCount && torque.count == linkCount,
                     "acceleration: wrong lengths")
        let a = acceleration(lanes(q), lanes(velocity), torque: lanes(torque))
        return (0..<linkCount).map { a[$0] }
    }

    /// Kinetic energy ½ q̇ᵀ (M + diag(armature)) q̇, J.
    public func kineticEnergy(q: [Double], velocity: [Double]) -> Double {
        let m = massMatrix(q: q)
        var sum = 0.0
        for k in 0..<linkCount { for l in 0..<linkCount { sum += velocity[k] * m[k][l] * velocity[l] } }
        return 0.5 * sum
    }

    /// Potential energy Σ mᵢ g y_cᵢ, J (zero with every link horizontal).
    public func potentialEnergy(q: [Double]) -> Double {
        let g = geometry(lanes(q))
        var sum = 0.0
        for i in 0..<linkCount { sum += mass[i] * gravity * g.comY[i] }
        return sum
    }
}
