import PCNumerics

/// A labelled classification data set: features in rows and integer class labels.
public struct Dataset<Scalar: PCScalar>: Sendable {
    /// The samples, (count × featureCount).
    public let features: Matrix<Scalar>
    /// The class of each sample, each in 0..<classCount, (count).
    public let labels: [Int]
    /// The number of classes.
    public let classCount: Int
    /// One-hot targets, (count × classCount).
    public let targets: Matrix<Scalar>

    /// - Throws: ``DatasetError`` when the counts differ or a label is outside 0..<classCount.
    public init(features: Matrix<Scalar>, labels: [Int], classCount: Int) throws {
        guard labels.count == features.rows else {
            throw DatasetError.countMismatch(features: features.rows, labels: labels.count)
        }
        guard classCount >= 1 else { throw DatasetError.invalid("classCount must be positive (got \(classCount))") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw DatasetError.invalid("label \(labels[bad]) of sample \(bad) is outside 0..<\(classCount)")
        }
        self.features = features
        self.labels = labels
        self.classCount = classCount
        var onehot = try Matrix<Scalar>(rows: labels.count, columns: classCount)
        for (i, label) in labels.enumerated() { onehot[i, label] = 1 }
        targets = onehot
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Number of features per sample.
    public var featureCount: Int { features.columns }

    /// The samples at `indices`, in that order (allocates).
    public func subset(_ indices: [Int]) throws -> Dataset {
        guard !indices.isEmpty else { throw DatasetError.invalid("an empty subset") }
        var x = try Matrix<Scalar>(rows: indices.count, columns: featureCount)
        try x.gatherRows(from: features, indices: indices)
        return try Dataset(features: x, labels: indices.map { labels[$0] }, classCount: classCount)
    }

    /// Copies the samples at `indices` into the first rows of `inputs` (B × featureCount) and their
    /// one-hot targets into `targets` (B × classCount), without allocating (a shuffled mini-batch).
    /// - Throws: ``PCCoreError/shapeMismatch(what:expected:got:)`` when the matrices do not fit.
    public func batch(_ indices: ArraySlice<Int>, inputs: inout Matrix<Scalar>, targets: inout Matrix<Scalar>) throws {
        try copyRows(features, indices, into: &inputs)
        try copyRows(self.targets, indices, into: &targets)
    }

    /// A seeded random split: a Fisher–Yates shuffle of 0..<count by `Xoshiro256(seed:)`, the first
    /// ⌊testFraction·count⌉ indices for the test set, the rest for training (each in shuffled order).
    /// - Parameters:
    ///   - testFraction: in (0, 1), default 0.2.
    ///   - seed: the shuffle's seed (default 0).
    public func split(testFraction: Double = 0.2, seed: UInt64 = 0) throws -> (train: Dataset, test: Dataset) {
        guard testFraction > 0, testFraction < 1 else { throw DatasetError.invalid("testFraction must be in (0, 1) (got \(testFraction))") }
        var generator = Xoshiro256(seed: seed)
        var order = Array(0..<count)
        generator.shuffle(&order)
        let testCount = max(1, min(count - 1, Int((testFraction * Double(count)).rounded())))
        return (try subset(Array(order[testCount...])), try subset(Array(order[..<testCount])))
    }
}

/// Why a data set could not be built or read. File errors name the line and column.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file has no data rows.
    case empty(path: String)
    /// A row has the wrong number of fields.
    case wrongFieldCount(line: Int, expected: Int, got: Int)
    /// A field is not a number (or not an integer label).
    case notANumber(line: Int, column: Int, field: String)
    /// The label column is not in the header, or its index is out of range.
    case labelColumnNotFound(String)
    /// Feature and label counts differ.
    case countMismatch(features: Int, labels: Int)
    /// Anything else about the data, described.
    case invalid(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .empty(path): "\(path) has no data rows"
        case let .wrongFieldCount(line, expected, got): "line \(line): expected \(expected) fields, got \(got)"
        case let .notANumber(line, column, field): "line \(line), column \(column): '\(field)' is not a number"
        case let .labelColumnNotFound(what): "label column \(what) not found"
        case let .countMismatch(features, labels): "\(features) feature rows but \(labels) labels"
        case let .invalid(why): why
        }
    }
}

/// Copies rows `indices` of `source` into the first rows of `destination` (same columns).
func copyRows<Scalar: PCScalar>(_ source: Matrix<Scalar>, _ indices: ArraySlice<Int>, into destination: inout Matrix<Scalar>) throws {
    guard source.columns == destination.columns, indices.count <= destination.rows else {
        throw PCCoreError.shapeMismatch(what: "batch rows", expected: Shape(indices.count, source.columns), got: destination.shape)
    }
    let n = source.columns
    for index in indices where index < 0 || index >= source.rows {
        throw PCCoreError.invalidOption(name: "indices", reason: "row \(index) outside 0..<\(source.rows)")
    }
    source.withUnsafeStorage { src, _ in
        destination.withUnsafeMutableStorage { dst, _ in
            var r = 0
            for index in indices {
                (dst + r * n).update(from: src + index * n, count: n)
                r += 1
            }
        }
    }
}
