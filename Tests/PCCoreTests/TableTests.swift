import Testing
import PCCore
import PCNumerics

/// CSV tables as a user has them: bounded class counts, text labels, a declared class list, and
/// standardisation with training statistics.
struct TableTests {
    @Test func aStrayHugeLabelIsAnErrorNamingItsLineNotAnAllocation() throws {
        #expect(throws: DatasetError.invalid("line 3, column 3: label 50000000 is beyond the 1000-class limit (integer labels are classes 0…999; give --labels discover to number the labels found)")) {
            let _: Dataset<Float> = try CSVLoader.parse("a,b,label\n1,2,0\n3,4,50000000\n")
        }
        // The largest allowed integer label still loads (1,000 classes).
        let wide: Dataset<Float> = try CSVLoader.parse("a,label\n1,999\n2,0\n")
        #expect(wide.classCount == CSVLoader.maximumClasses)
    }

    @Test func discoveredLabelsAreNumberedInSortedOrder() throws {
        let table: CSVLoader.Table<Double> = try CSVLoader.parseTable(
            "x,label\n1,setosa\n2,10\n3,virginica\n4,9\n5,setosa\n", labels: .discovered)
        #expect(table.classNames == ["9", "10", "setosa", "virginica"])  // numbers by value, then text
        #expect(table.dataset.labels == [2, 1, 3, 0, 2])
        #expect(table.dataset.classCount == 4)
    }

    @Test func aDeclaredClassListRefusesOtherLabels() throws {
        let table: CSVLoader.Table<Double> = try CSVLoader.parseTable("x,y\n1,b\n2,a\n", labels: .declared(["a", "b", "c"]))
        #expect(table.dataset.labels == [1, 0] && table.dataset.classCount == 3)
        #expect(throws: DatasetError.invalid("line 3, column 2: label 'd' is not one of the classes a, b")) {
            let _: CSVLoader.Table<Double> = try CSVLoader.parseTable("x,y\n1,b\n2,d\n", labels: .declared(["a", "b"]))
        }
        #expect(throws: DatasetError.self) {
            let _: CSVLoader.Table<Double> = try CSVLoader.parseTable("x,y\n1,b\n", labels: .declared(["a", "a"]))
        }
    }

    @Test func standardisationUsesTheTrainingStatistics() throws {
        // Column 0: values 1, 3 (mean 2, sd 1); column 1: constant 5 (only centred).
        let train = try Matrix<Double>(rows: 2, columns: 2, elements: [1, 5, 3, 5])
        let scaling = try FeatureStandardization(fitting: train)
        #expect(scaling.means == [2, 5] && scaling.standardDeviations == [1, 1])
        #expect(try scaling.apply(train).elements == [-1, 0, 1, 0])
        let test = try Matrix<Double>(rows: 1, columns: 2, elements: [4, 7])
        #expect(try scaling.apply(test).elements == [2, 2])  // the test set gets the training statistics
        #expect(throws: DatasetError.self) { _ = try scaling.apply(try Matrix<Double>(rows: 1, columns: 3)) }
    }
}
