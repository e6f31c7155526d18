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

/// Reads numeric CSV files into a ``Dataset``: every field but the label is a feature (a number),
/// the label is an integer class 0…K−1 (K = the largest label + 1). Fields are comma-separated
/// without quoting; blank lines are skipped. Line and column numbers in errors are 1-based.
public enum CSVLoader {
    /// Loads `path`.
    /// - Parameters:
    ///   - path: the file.
    ///   - labelColumn: where the label is (default the last column).
    ///   - hasHeader: whether the first non-blank line names the columns (default true).
    ///   - featureScale: every feature is multiplied by this (default 1; the digits use 1/16).
    /// - Throws: ``DatasetError`` naming the line and column of the first bad field.
    public static func load<Scalar: PCScalar>(_ path: String, labelColumn: LabelColumn = .last, hasHeader: Bool = true,
                                              featureScale: Double = 1, as _: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, path: path, labelColumn: labelColumn, hasHeader: hasHeader, featureScale: featureScale)
    }

    /// Parses CSV text (see ``load(_:labelColumn:hasHeader:featureScale:as:)``); `path` only names the source in errors.
    public static func parse<Scalar: PCScalar>(_ text: String, path: String = "<text>", labelColumn: LabelColumn = .last,
                                               hasHeader: Bool = true, featureScale: Double = 1) throws -> Dataset<Scalar> {
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
                    guard let label = Int(field), label >= 0 else {
                        throw DatasetError.notANumber(line: lineNumber, column: column + 1, field: field)
                    }
                    labels.append(label)
                } else {
                    guard let value = Double(field), value.isFinite else {
                        throw DatasetError.notANumber(line: lineNumber, column: column + 1, field: field)
                    }
                    values.append(Scalar(value * featureScale))
                }
            }
        }
        guard !labels.isEmpty else { throw DatasetError.empty(path: path) }
        guard fieldCount >= 2 else { throw DatasetError.invalid("\(path): need at least one feature and a label") }
        let features = try Matrix<Scalar>(rows: labels.count, columns: fieldCount - 1, elements: values)
        return try Dataset(features: features, labels: labels, classCount: labels.max()! + 1)
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
