import Foundation
import PCNumerics

/// Which column of a CSV file holds the class label.
public enum LabelColumn: Sendable, Hashable {
    /// The column with this header name (requires a header row).
    case name(String)
    /// The column at this 0-based index.
    case index(Int)
    /// The last column.
    case last
}

/// How a CSV file's label field becomes a class index.
public enum LabelEncoding: Sendable, Hashable {
    /// The label is an integer class 0…K−1, K = the largest label + 1 ≤ ``CSVLoader/maximumClasses``.
    case integer
    /// The label is any text; the classes are the distinct labels found, in sorted order (numbers
    /// by value, then the rest as text), at most ``CSVLoader/maximumClasses``.
    case discovered
    /// The label is one of these names (class i = `names[i]`); any other label is an error.
    case declared([String])
}

/// Reads numeric CSV files into a ``Dataset``: every field but the label is a feature (a number),
/// the label a class (``LabelEncoding``: an integer 0…K−1 by default). Fields are comma-separated
/// without quoting; blank lines are skipped. Line and column numbers in errors are 1-based.
///
/// Bounds, checked before anything is allocated for them: a file of at most
/// ``maximumFileBytes`` and at most ``maximumClasses`` classes (a stray label such as 50000000
/// is an error naming its line, not a 50-million-way output).
public enum CSVLoader {
    /// The largest number of classes a file may declare or contain: 1,000.
    public static let maximumClasses = 1_000
    /// The largest CSV file read: 1 GiB.
    public static let maximumFileBytes = 1 << 30

    /// A loaded table: the data set and the name of each class (its label in the file).
    public struct Table<Scalar: PCScalar>: Sendable {
        public let dataset: Dataset<Scalar>
        /// The label text of class i, (classCount).
        public let classNames: [String]
    }

    /// Loads `path` with its class names (see ``load(_:labelColumn:hasHeader:featureScale:as:)``).
    /// - Parameter labels: how labels become classes; pass the training table's names as
    ///   `.declared(train.classNames)` to read a test file with the same classes.
    public static func loadTable<Scalar: PCScalar>(_ path: String, labelColumn: LabelColumn = .last, hasHeader: Bool = true,
                                                   labels: LabelEncoding = .integer,
                                                   as _: Scalar.Type = Scalar.self) throws -> Table<Scalar> {
        let text = try read(path)
        return try parseTable(text, path: path, labelColumn: labelColumn, hasHeader: hasHeader, featureScale: 1, labels: labels)
    }

    private static func read(_ path: String) throws -> String {
        let size: Int
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard size <= maximumFileBytes else {
            throw DatasetError.invalid("\(path) has \(size) bytes; CSV files are read up to \(maximumFileBytes) bytes (1 GiB)")
        }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
    /// Loads `path`.
    /// - Parameters:
    ///   - path: the file.
    ///   - labelColumn: where the label is (default the last column).
    ///   - hasHeader: whether the first non-blank line names the columns (default true).
    ///   - featureScale: every feature is multiplied by this (default 1; the digits use 1/16).
    /// - Throws: ``DatasetError`` naming the line and column of the first bad field.
    public static func load<Scalar: PCScalar>(_ path: String, labelColumn: LabelColumn = .last, hasHeader: Bool = true,
                                              featureScale: Double = 1, as _: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let text = try read(path)
        return try parse(text, path: path, labelColumn: labelColumn, hasHeader: hasHeader, featureScale: featureScale)
    }

    /// Parses CSV text (see ``load(_:labelColumn:hasHeader:featureScale:as:)``); `path` only names the source in errors.
    public static func parse<Scalar: PCScalar>(_ text: String, path: String = "<text>", labelColumn: LabelColumn = .last,
                                               hasHeader: Bool = true, featureScale: Double = 1) throws -> Dataset<Scalar> {
        try parseTable(text, path: path, labelColumn: labelColumn, hasHeader: hasHeader, featureScale: featureScale, labels: .integer).dataset
    }

    /// Parses CSV text into a table (see ``loadTable(_:labelColumn:hasHeader:labels:as:)``).
    public static func parseTable<Scalar: PCScalar>(_ text: String, path: String = "<text>", labelColumn: LabelColumn = .last,
                                                    hasHeader: Bool = true, featureScale: Double = 1,
                                                    labels encoding: LabelEncoding = .integer) throws -> Table<Scalar> {
        if case let .declared(names) = encoding {
            guard !names.isEmpty, names.count <= maximumClasses, Set(names).count == names.count else {
                throw DatasetError.invalid("declared classes must be 1…\(maximumClasses) distinct names (got \(names.count))")
            }
        }
        let declaredIndex: [String: Int] = {
            if case let .declared(names) = encoding { return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }) }
            return [:]
        }()
        var labelTexts: [String] = []
        var header: [String]? = nil
        var fieldCount = -1
        var labelIndex = -1
        var values: [Scalar] = []
        var labels: [Int] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if hasHeader && header == nil {
                header = fields
                fieldCount = fields.count
                labelIndex = try resolve(labelColumn, header: fields, count: fields.count)
                continue
            }
            if fieldCount < 0 {
                fieldCount = fields.count
                labelIndex = try resolve(labelColumn, header: nil, count: fields.count)
            }
            guard fields.count == fieldCount else {
                throw DatasetError.wrongFieldCount(line: lineNumber, expected: fieldCount, got: fields.count)
            }
            for (column, field) in fields.enumerated() {
                if column == labelIndex {
                    switch encoding {
                    case .integer:
                        guard let label = Int(field), label >= 0 else {
                            if Double(field) == nil && !field.isEmpty {
                                throw DatasetError.invalid("line \(lineNumber), column \(column + 1): label '\(field)' is text, not an integer class 0…\(maximumClasses - 1) (for text labels give --labels discover, or the class names with --classes; in Swift, LabelEncoding.discovered or .declared)")
                            }
                            throw DatasetError.notANumber(line: lineNumber, column: column + 1, field: field)
                        }
                        guard label < maximumClasses else {
                            throw DatasetError.invalid("line \(lineNumber), column \(column + 1): label \(label) is beyond the \(maximumClasses)-class limit (integer labels are classes 0…\(maximumClasses - 1); give --labels discover to number the labels found)")
                        }
                        labels.append(label)
                    case .declared(let names):
                        guard let index = declaredIndex[field] else {
                            throw DatasetError.invalid("line \(lineNumber), column \(column + 1): label '\(field)' is not one of the classes \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", …" : "")")
                        }
                        labels.append(index)
                    case .discovered:
                        labelTexts.append(field)
                        if labelTexts.count % 4096 == 0, Set(labelTexts).count > maximumClasses {
                            throw DatasetError.invalid("\(path): more than \(maximumClasses) distinct labels by line \(lineNumber)")
                        }
                    }
                } else {
                    guard let value = Double(field), value.isFinite else {
                        throw DatasetError.notANumber(line: lineNumber, column: column + 1, field: field)
                    }
                    values.append(Scalar(value * featureScale))
                }
            }
        }
        var classNames: [String]
        switch encoding {
        case .integer:
            guard !labels.isEmpty else { throw DatasetError.empty(path: path) }
            classNames = (0...labels.max()!).map(String.init)
        case .declared(let names):
            classNames = names
        case .discovered:
            let distinct = Set(labelTexts)
            guard distinct.count <= maximumClasses else {
                throw DatasetError.invalid("\(path): \(distinct.count) distinct labels; at most \(maximumClasses) classes")
            }
            classNames = distinct.sorted { a, b in
                switch (Double(a), Double(b)) {
                case let (x?, y?): return x < y || (x == y && a < b)
                case (.some, nil): return true
                case (nil, .some): return false
                case (nil, nil): return a < b
                }
            }
            let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
            labels = labelTexts.map { index[$0]! }
        }
        guard !labels.isEmpty else { throw DatasetError.empty(path: path) }
        guard fieldCount >= 2 else { throw DatasetError.invalid("\(path): need at least one feature and a label") }
        let features = try Matrix<Scalar>(rows: labels.count, columns: fieldCount - 1, elements: values)
        return Table(dataset: try Dataset(features: features, labels: labels, classCount: classNames.count), classNames: classNames)
    }

    private static func resolve(_ column: LabelColumn, header: [String]?, count: Int) throws -> Int {
        switch column {
        case .last: return count - 1
        case .index(let i):
            guard i >= 0 && i < count else { throw DatasetError.labelColumnNotFound("index \(i) (the file has \(count) columns)") }
            return i
        case .name(let name):
            guard let header else { throw DatasetError.labelColumnNotFound("'\(name)' (the file has no header)") }
            guard let i = header.firstIndex(of: name) else { throw DatasetError.labelColumnNotFound("'\(name)'") }
            return i
        }
    }
}
