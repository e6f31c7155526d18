import Testing
import PCCore
import PCNumerics

/// CSV loading, the shipped digits, and their split.
struct DatasetTests {
    @Test func csvLabelColumnByNameOrIndex() throws {
        let text = "a,label,b\n1,0,2.5\n3,2,-4\n\n5,1,6\n"
        let byName: Dataset<Double> = try CSVLoader.parse(text, labelColumn: .name("label"))
        let byIndex: Dataset<Double> = try CSVLoader.parse(text, labelColumn: .index(1))
        #expect(byName.labels == [0, 2, 1])
        #expect(byName.features.elements == [1, 2.5, 3, -4, 5, 6])
        #expect(byName.classCount == 3)
        #expect(byIndex.features == byName.features)
        #expect(byName.targets.row(1) == [0, 0, 1])
    }

    @Test func badRowsNameLineAndColumn() throws {
        #expect(throws: DatasetError.notANumber(line: 3, column: 2, field: "x")) {
            let _: Dataset<Double> = try CSVLoader.parse("a,b,label\n1,2,0\n3,x,1\n")
        }
        #expect(throws: DatasetError.wrongFieldCount(line: 2, expected: 3, got: 2)) {
            let _: Dataset<Double> = try CSVLoader.parse("a,b,label\n1,2\n")
        }
        #expect(throws: DatasetError.notANumber(line: 2, column: 3, field: "1.5")) {
            let _: Dataset<Double> = try CSVLoader.parse("a,b,label\n1,2,1.5\n")
        }
        #expect(throws: DatasetError.labelColumnNotFound("'class'")) {
            let _: Dataset<Double> = try CSVLoader.parse("a,b,label\n1,2,1\n", labelColumn: .name("class"))
        }
    }

    @Test func digitsShipWithTheFixedSplit() throws {
        let all: Dataset<Float> = try Digits.load()
        #expect(all.count == 1797 && all.featureCount == 64 && all.classCount == 10)
        #expect(all.features.elements.allSatisfy { $0 >= 0 && $0 <= 1 })
        // The first digit of scikit-learn's load_digits is a 0.
        #expect(all.labels[0] == 0)
        let (train, test) = try Digits.split(as: Float.self)
        #expect(train.count == 1437 && test.count == 360)
        let indices = try Digits.splitIndices()
        #expect(Set(indices.train).isDisjoint(with: indices.test))
        #expect(train.labels[0] == all.labels[indices.train[0]])
    }

    @Test func seededSplitIsDeterministic() throws {
        let all: Dataset<Double> = try Digits.load()
        let a = try all.split(testFraction: 0.2, seed: 3), b = try all.split(testFraction: 0.2, seed: 3)
        #expect(a.test.labels == b.test.labels && a.train.count == 1438 && a.test.count == 359)
    }
}
