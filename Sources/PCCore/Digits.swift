import Foundation
import PCNumerics

/// scikit-learn's 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
/// CC BY 4.0), shipped with PCCore: 1797 images, 64 pixels scaled to [0, 1] by x/16, 10 classes.
///
/// The files are SwiftPM resources of PCCore (`Sources/PCCore/Resources/digits.csv` and
/// `digits_split.csv`, written by `Data/digits/export_digits.py`), found through `Bundle.module`
/// next to the built products (`swift test`, `.build/<config>/pcctl`). Set the environment variable
/// `PCKIT_DIGITS_DIR` to a directory holding both files to read them from elsewhere.
public enum Digits {
    /// Number of samples.
    public static let sampleCount = 1797

    /// The whole data set in file order.
    /// - Throws: ``DatasetError`` when the files are missing or malformed.
    public static func load<Scalar: PCScalar>(as _: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let url = try resource("digits.csv")
        let data: Dataset<Scalar> = try CSVLoader.load(url.path, labelColumn: .name("label"), featureScale: 1.0 / 16)
        guard data.count == sampleCount, data.featureCount == 64, data.classCount == 10 else {
            throw DatasetError.invalid("\(url.path): expected 1797 × 64 with 10 classes, got \(data.count) × \(data.featureCount), \(data.classCount)")
        }
        return data
    }

    /// The fixed split of scikit-learn's `train_test_split(test_size=0.2, random_state=0)`:
    /// 1437 training and 360 test samples, read from the committed indices.
    public static func split<Scalar: PCScalar>(as _: Scalar.Type = Scalar.self) throws -> (train: Dataset<Scalar>, test: Dataset<Scalar>) {
        let all: Dataset<Scalar> = try load()
        let (train, test) = try splitIndices()
        return (try all.subset(train), try all.subset(test))
    }

    /// The committed split indices (train 1437, test 360), rows of `digits.csv`.
    public static func splitIndices() throws -> (train: [Int], test: [Int]) {
        let url = try resource("digits_split.csv")
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DatasetError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        var sets: [String: [Int]] = [:]
        for (n, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: ",")
            guard let name = fields.first else { continue }
            var indices: [Int] = []
            for (c, field) in fields.dropFirst().enumerated() {
                guard let i = Int(field), i >= 0, i < sampleCount else {
                    throw DatasetError.notANumber(line: n + 1, column: c + 2, field: String(field))
                }
                indices.append(i)
            }
            sets[String(name)] = indices
        }
        guard let train = sets["train"], let test = sets["test"], train.count == 1437, test.count == 360,
              Set(train + test).count == sampleCount else {
            throw DatasetError.invalid("\(url.path): expected disjoint train (1437) and test (360) index lines")
        }
        return (train, test)
    }

    /// The URL of a shipped file.
    static func resource(_ name: String) throws -> URL {
        if let directory = ProcessInfo.processInfo.environment["PCKIT_DIGITS_DIR"] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.unreadable(path: url.path, reason: "not found (PCKIT_DIGITS_DIR is set)")
            }
            return url
        }
        guard let url = Bundle.module.url(forResource: name, withExtension: nil) else {
            throw DatasetError.unreadable(path: name, reason: "not in PCCore's resource bundle (or set PCKIT_DIGITS_DIR)")
        }
        return url
    }
}
