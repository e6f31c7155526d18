import PCNumerics

/// The output errors and energy of a cross-entropy output layer, shared by every PC engine.
///
/// With targets y (one-hot or soft) and output predictions μ_L, the output layer is not a value
/// node: its error is ε_L = y − softmax(μ_L) and its energy is the cross-entropy
/// F_L = −Σ_i yᵢᵀ log softmax(μ_i) = Σ_i Σ_j y_ij (logsumexp(μ_i) − μ_ij) (<doc:EnergyAndInference#Energy>).
///
/// - Parameters:
///   - targets: y, (batch × classes).
///   - predictions: μ_L, (batch × classes).
///   - softmax: scratch that receives softmax(μ_L), (batch × classes).
///   - errors: receives ε_L, (batch × classes).
/// - Returns: the summed (not averaged) cross-entropy over the batch.
func crossEntropyOutputErrors<Scalar: PCScalar>(targets: Matrix<Scalar>, predictions: Matrix<Scalar>,
                                                softmax: inout Matrix<Scalar>, errors: inout Matrix<Scalar>) throws -> Double {
    try predictions.softmaxRows(into: &softmax)
    let (rows, columns) = (errors.rows, errors.columns)
    var total = 0.0
    targets.withUnsafeStorage { py, _ in
        predictions.withUnsafeStorage { pm, _ in
            softmax.withUnsafeStorage { ps, _ in
                errors.withUnsafeMutableStorage { pe, _ in
                    for r in 0..<rows {
                        let o = r * columns
                        // logsumexp, stabilised by the row maximum.
                        var m = pm[o]
                        for j in 1..<max(columns, 1) where pm[o + j] > m { m = pm[o + j] }
                        var z = 0.0
                        for j in 0..<columns { z += pcExp(Double(pm[o + j] - m)) }
                        let lse = Double(m) + pcLog(z)
                        for j in 0..<columns {
                            pe[o + j] = py[o + j] - ps[o + j]
                            total += Double(py[o + j]) * (lse - Double(pm[o + j]))
                        }
                    }
                }
            }
        }
    }
    return total
}
