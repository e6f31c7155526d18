import ArgumentParser
import Foundation
import PCCore
import PCNumerics

/// `pcctl evaluate <checkpoint> <file.csv>`: the accuracy of a saved MLP on a raw table, with the
/// feature preprocessing and class names the checkpoint recorded at training.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a checkpoint written by `pcctl train --checkpoint` on a CSV file of raw features and labels.",
        discussion: """
        The file has the columns training read (a header, numeric features, a label column). The \
        checkpoint's preprocessing (--standardize statistics or --feature-scale) is applied to the \
        features, and its class names (--labels discover or --classes) map the labels to classes; \
        without names, labels are integer classes below the network's output size. A label the \
        checkpoint does not know, or another feature count, is an error.
        """
    )

    @Argument(help: "A checkpoint written by `pcctl train --checkpoint`.")
    var checkpoint: String

    @Argument(help: "A CSV file with the training file's columns.")
    var data: String

    @Option(help: "The label column, by header name or 0-based index (default: the last column).")
    var labelColumn: String?

    @Flag(help: "Print one JSON object instead of a line.")
    var json = false

    func run() throws {
        let loaded = try Checkpoint<Float>.read(from: checkpoint)
        let network = loaded.network
        let inputs = network.sizes[0], outputs = network.sizes[network.depth]
        let column: LabelColumn = labelColumn.map { Int($0).map(LabelColumn.index) ?? .name($0) } ?? .last
        let table: CSVLoader.Table<Float> = try CSVLoader.loadTable(data, labelColumn: column,
                                                                      labels: loaded.classNames.map(LabelEncoding.declared) ?? .integer)
        guard table.dataset.featureCount == inputs else {
            throw ValidationError("\(data) has \(table.dataset.featureCount) features; the network in \(checkpoint) takes \(inputs)")
        }
        guard table.dataset.classCount <= outputs else {
            throw ValidationError("\(data) has label \(table.dataset.classCount - 1); the network in \(checkpoint) has classes 0…\(outputs - 1)")
        }
        var samples = try Dataset(features: table.dataset.features, labels: table.dataset.labels, classCount: outputs)
        if let preprocessing = loaded.preprocessing { samples = try preprocessing.apply(to: samples) }
        let accuracy = try Trainer.accuracy(network, on: samples)
        if json {
            struct Output: Encodable { var checkpoint: String; var data: String; var samples: Int; var accuracy: Double; var preprocessing: String; var classNames: [String]? }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let output = Output(checkpoint: checkpoint, data: data, samples: samples.count, accuracy: accuracy,
                                preprocessing: loaded.preprocessing.map(Inspect.describe) ?? "none", classNames: loaded.classNames)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print("\(checkpoint) on \(data): accuracy \(String(format: "%.2f", 100 * accuracy))% (\(samples.count) samples; preprocessing: \(loaded.preprocessing.map(Inspect.describe) ?? "none"))")
        }
    }
}
