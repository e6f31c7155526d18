import PCNumerics

/// Per-feature standardisation x′ = (x − m) / s, with the mean m and the standard deviation s of
/// each feature (column) of a training set; a constant feature (s = 0) is only centred (s := 1).
public struct FeatureStandardization: Sendable, Equatable, Codable {
    /// m, per feature, (featureCount).
    public let means: [Double]
    /// s, per feature (population standard deviation; 1 for a constant feature), (featureCount).
    public let standardDeviations: [Double]

    /// The statistics of `features`, (count × featureCount), count ≥ 1.
    /// - Throws: ``DatasetError/invalid(_:)`` for an empty matrix.
    public init<Scalar: PCScalar>(fitting features: Matrix<Scalar>) throws {
        guard features.rows >= 1, features.columns >= 1 else { throw DatasetError.invalid("standardisation needs at least one sample and one feature") }
        let n = features.rows, d = features.columns
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(features[i, j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { let e = Double(features[i, j]) - mean[j]; square[j] += e * e } }
        means = mean
        standardDeviations = square.map { let s = ($0 / Double(n)).squareRoot(); return s > 0 && s.isFinite ? s : 1 }
    }

    /// Statistics given directly (for example read from a checkpoint).
    /// - Parameters:
    ///   - means: m, finite, (featureCount ≥ 1).
    ///   - standardDeviations: s, finite and positive, (featureCount).
    /// - Throws: ``DatasetError/invalid(_:)`` naming the first count or value that is not allowed.
    public init(means: [Double], standardDeviations: [Double]) throws {
        guard !means.isEmpty, means.count == standardDeviations.count else {
            throw DatasetError.invalid("standardisation needs as many standard deviations as means, at least one (got \(means.count) means, \(standardDeviations.count) standard deviations)")
        }
        if let j = means.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError.invalid("standardisation mean of feature \(j) is \(means[j]); it must be finite")
        }
        if let j = standardDeviations.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw DatasetError.invalid("standardisation standard deviation of feature \(j) is \(standardDeviations[j]); it must be finite and positive")
        }
        self.means = means
        self.standardDeviations = standardDeviations
    }

    /// The number of features the statistics describe.
    public var featureCount: Int { means.count }

    /// `features` standardised, (count × featureCount).
    /// - Throws: ``DatasetError/invalid(_:)`` when the feature count differs from the fitted one.
    public func apply<Scalar: PCScalar>(_ features: Matrix<Scalar>) throws -> Matrix<Scalar> {
        guard features.columns == means.count else {
            throw DatasetError.invalid("\(features.columns) features to standardise with statistics of \(means.count)")
        }
        var out = features
        for i in 0..<features.rows {
            for j in 0..<features.columns { out[i, j] = Scalar((Double(features[i, j]) - means[j]) / standardDeviations[j]) }
        }
        return out
    }
}

/// What is done to a table's raw features before they reach the network; a checkpoint stores it
/// so that evaluating the saved network on raw data repeats what training did.
public enum FeaturePreprocessing: Sendable, Equatable {
    /// x′ = c·x for every feature (c finite and non-zero), computed in the data's scalar type.
    case scale(Double)
    /// x′ = (x − m) / s per feature (``FeatureStandardization``).
    case standardization(FeatureStandardization)

    /// `features` transformed, (count × featureCount).
    /// - Throws: ``DatasetError/invalid(_:)`` when a standardisation was fitted to another feature
    ///   count, or the scale is not finite and non-zero.
    public func apply<Scalar: PCScalar>(_ features: Matrix<Scalar>) throws -> Matrix<Scalar> {
        switch self {
        case .scale(let c):
            guard c.isFinite, c != 0 else { throw DatasetError.invalid("feature scale must be finite and non-zero (got \(c))") }
            return try Matrix(rows: features.rows, columns: features.columns, elements: features.elements.map { $0 * Scalar(c) })
        case .standardization(let statistics):
            return try statistics.apply(features)
        }
    }

    /// `data` with its features transformed (labels and classes unchanged).
    /// - Throws: as the matrix form of `apply`, or ``DatasetError`` if the result cannot be a data set.
    public func apply<Scalar: PCScalar>(to data: Dataset<Scalar>) throws -> Dataset<Scalar> {
        try Dataset(features: try apply(data.features), labels: data.labels, classCount: data.classCount)
    }
}
