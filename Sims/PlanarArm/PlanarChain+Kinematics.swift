#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PlanarChain {
    /// Absolute link angles φᵢ = q₀ + … + qᵢ, (n in 8 lanes).
    @inline(__always)
    func absoluteAngles(_ q: SIMD8<Double>) -> SIMD8<Double> {
        var phi = SIMD8<Double>()
        var sum = 0.0
        for i in 0..<linkCount { sum += q[i]; phi[i] = sum }
        return phi
    }

    /// Joint positions p₀ = 0, p₁, …, pₙ (pₙ the end of the last link): x and y lanes.
    @inline(__always)
    func jointPositions(cosines c: SIMD8<Double>, sines s: SIMD8<Double>) -> (x: SIMD8<Double>, y: SIMD8<Double>, endX: Double, endY: Double) {
        var x = SIMD8<Double>(), y = SIMD8<Double>()
        var px = 0.0, py = 0.0
        for i in 0..<linkCount {
            x[i] = px; y[i] = py
            px += length[i] * c[i]; py += length[i] * s[i]
        }
        return (x, y, px, py)
    }

    /// The position of a point fixed on link `link`, `along` metres from its joint along the link
    /// and `across` metres to its left: p = p_link + along·eᵢ + across·eᵢ⊥, eᵢ = (cos φᵢ, sin φᵢ).
    /// - Parameters:
    ///   - q: joint angles, (n) rad.
    ///   - link: 0 ..< n.
    /// - Returns: (x, y), m.
    public func pointPosition(q: [Double], link: Int, along: Double, across: Double = 0) -> SIMD2<Double> {
        precondition(q.count == linkCount && (0..<linkCount).contains(link), "pointPosition: bad q or link")
        return pointPosition(lanes(q), link: link, along: along, across: across)
    }

    @inline(__always)
    func pointPosition(_ q: SIMD8<Double>, link: Int, along: Double, across: Double) -> SIMD2<Double> {
        let phi = absoluteAngles(q)
        var px = 0.0, py = 0.0
        for i in 0..<link { px += length[i] * cos(phi[i]); py += length[i] * sin(phi[i]) }
        let c = cos(phi[link]), s = sin(phi[link])
        return SIMD2(px + along * c - across * s, py + along * s + across * c)
    }

    /// The end effector: the far end of the last link, (x, y) m.
    public func endEffector(q: [Double]) -> SIMD2<Double> {
        pointPosition(q: q, link: linkCount - 1, along: links[linkCount - 1].length)
    }

    @inline(__always)
    func endEffector(_ q: SIMD8<Double>) -> SIMD2<Double> {
        pointPosition(q, link: linkCount - 1, along: length[linkCount - 1], across: 0)
    }

    /// The 2 × n Jacobian ∂p/∂q of a point fixed on a link (see ``pointPosition(q:link:along:across:)``):
    /// column k ≤ link is ẑ × (p − pₖ) = (−(p_y − p_k,y), p_x − p_k,x); columns k > link are zero.
    /// - Returns: rows (∂x/∂q, ∂y/∂q), each (n).
    public func pointJacobian(q: [Double], link: Int, along: Double, across: Double = 0) -> [[Double]] {
        precondition(q.count == linkCount && (0..<linkCount).contains(link), "pointJacobian: bad q or link")
        let qs = lanes(q)
        let phi = absoluteAngles(qs)
        var c = SIMD8<Double>(), s = SIMD8<Double>()
        for i in 0..<linkCount { c[i] = cos(phi[i]); s[i] = sin(phi[i]) }
        let joints = jointPositions(cosines: c, sines: s)
        let p = pointPosition(qs, link: link, along: along, across: across)
        var rows = [[Double]](repeating: [Double](repeating: 0, count: linkCount), count: 2)
        for k in 0...link {
            rows[0][k] = -(p.y - joints.y[k])
            rows[1][k] = p.x - joints.x[k]
        }
        return rows
    }

    /// Copies (n) values into SIMD lanes.
    func lanes(_ values: [Double]) -> SIMD8<Double> {
        var v = SIMD8<Double>()
        for i in 0..<min(values.count, 8) { v[i] = values[i] }
        return v
    }
}
