import Testing

/// Checks `|actual − expected| ≤ atol + rtol·|expected|`, the NumPy `isclose` rule.
///
/// The one tolerance helper of the test suites: every oracle test states its tolerances here.
/// NaN equals NaN only when both are NaN; infinities must match exactly.
public func isClose<T: BinaryFloatingPoint>(_ actual: T, _ expected: T, rtol: T, atol: T) -> Bool {
    if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
    if actual.isInfinite || expected.isInfinite { return actual == expected }
    return abs(actual - expected) <= atol + rtol * abs(expected)
}

/// Records a test issue unless `actual` is close to `expected` (see ``isClose(_:_:rtol:atol:)``).
public func assertClose<T: BinaryFloatingPoint>(
    _ actual: T, _ expected: T, rtol: T, atol: T, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    if !isClose(actual, expected, rtol: rtol, atol: atol) {
        let message = "expected \(expected), got \(actual) (|Δ| = \(abs(actual - expected)), rtol \(rtol), atol \(atol))"
        Issue.record(Comment(rawValue: message + (comment.map { ": \($0.rawValue)" } ?? "")),
                     sourceLocation: sourceLocation)
    }
}

/// Elementwise ``assertClose(_:_:rtol:atol:_:sourceLocation:)`` over two sequences of equal length;
/// reports the count of mismatches and the worst one.
public func assertClose<T: BinaryFloatingPoint, A: Collection, B: Collection>(
    _ actual: A, _ expected: B, rtol: T, atol: T, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) where A.Element == T, B.Element == T {
    guard actual.count == expected.count else {
        Issue.record("length mismatch: expected \(expected.count) elements, got \(actual.count)",
                     sourceLocation: sourceLocation)
        return
    }
    var failures = 0
    var worst: (index: Int, actual: T, expected: T, excess: T)? = nil
    for (index, (a, e)) in zip(actual, expected).enumerated() where !isClose(a, e, rtol: rtol, atol: atol) {
        failures += 1
        let excess = (a.isNaN || e.isNaN) ? T.infinity : abs(a - e) - (atol + rtol * abs(e))
        if worst == nil || excess > worst!.excess { worst = (index, a, e, excess) }
    }
    if let worst {
        let message = "\(failures) of \(actual.count) elements differ; worst at [\(worst.index)]: expected \(worst.expected), got \(worst.actual) (rtol \(rtol), atol \(atol))"
        Issue.record(Comment(rawValue: message + (comment.map { ": \($0.rawValue)" } ?? "")),
                     sourceLocation: sourceLocation)
    }
}

/// The largest relative difference `|a − b| / max(|b|, floor)` over two equal-length sequences.
public func maxRelativeDifference<T: BinaryFloatingPoint, A: Collection, B: Collection>(
    _ actual: A, _ expected: B, floor: T = 1e-300 as T
) -> T where A.Element == T, B.Element == T {
    precondition(actual.count == expected.count, "maxRelativeDifference: lengths differ")
    var worst: T = 0
    for (a, e) in zip(actual, expected) {
        let d = abs(a - e) / max(abs(e), floor)
        if d.isNaN { return .nan }
        worst = max(worst, d)
    }
    return worst
}
