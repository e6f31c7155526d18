/// Central finite-difference gradient of a scalar function, the oracle for analytic gradients.
///
/// gᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / (2h), with h = `step`·max(1, |xᵢ|). The truncation error is
/// O(h²) and the rounding error O(ε·|f|/h); in Double a step of 1e-6 gives ~1e-9 relative accuracy
/// for smooth functions of order one.
///
/// - Parameters:
///   - x: the point, (n).
///   - step: the relative step h.
///   - f: the function; called 2n times with perturbed copies of `x`.
/// - Returns: the gradient estimate, (n).
public func finiteDifferenceGradient(
    at x: [Double], step: Double = 1e-6, _ f: ([Double]) -> Double
) -> [Double] {
    var point = x
    var gradient = [Double](repeating: 0, count: x.count)
    for i in x.indices {
        let h = step * max(1, abs(x[i]))
        point[i] = x[i] + h
        let plus = f(point)
        point[i] = x[i] - h
        let minus = f(point)
        point[i] = x[i]
        gradient[i] = (plus - minus) / (2 * h)
    }
    return gradient
}

/// Central finite-difference Jacobian of a vector function: J[i][j] = ∂fᵢ/∂xⱼ, shape (m, n).
public func finiteDifferenceJacobian(
    at x: [Double], step: Double = 1e-6, _ f: ([Double]) -> [Double]
) -> [[Double]] {
    var point = x
    var columns: [[Double]] = []
    for j in x.indices {
        let h = step * max(1, abs(x[j]))
        point[j] = x[j] + h
        let plus = f(point)
        point[j] = x[j] - h
        let minus = f(point)
        point[j] = x[j]
        columns.append(zip(plus, minus).map { ($0 - $1) / (2 * h) })
    }
    let m = columns.first?.count ?? 0
    return (0..<m).map { i in columns.map { $0[i] } }
}
