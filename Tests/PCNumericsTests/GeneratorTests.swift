import Testing
import PCNumerics
import _PCTestSupport
import Foundation

struct GeneratorTests {
    static var fixture: [Substring] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/xoshiro256_seed42.txt")
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// The first 1,000 draws of each kind equal the independent Python reference's (golden file).
    @Test func firstThousandDrawsMatchGoldenFile() throws {
        let lines = Self.fixture
        try #require(lines.count == 3000)
        var g = Xoshiro256(seed: 42)
        for i in 0..<1000 { #expect(g.next() == UInt64(lines[i])!, "raw draw \(i)") }
        for i in 0..<1000 {
            let expected = Double(String(lines[1000 + i]))  // hex float literal
            #expect(g.nextUniform() == expected, "uniform draw \(i)")
        }
        for i in 0..<1000 { #expect(g.nextInt(below: 1000) == Int(lines[2000 + i])!, "bounded draw \(i)") }
    }

    @Test func sameSeedSameStreamDifferentSeedDifferentStream() {
        var a = Xoshiro256(seed: 7), b = Xoshiro256(seed: 7), c = Xoshiro256(seed: 8)
        let sa = (0..<100).map { _ in a.nextNormal() }
        let sb = (0..<100).map { _ in b.nextNormal() }
        let sc = (0..<100).map { _ in c.nextNormal() }
        #expect(sa.map(\.bitPattern) == sb.map(\.bitPattern))
        #expect(sa != sc)
    }

    @Test func normalAndUniformMomentsAreRight() {
        var g = Xoshiro256(seed: 2024)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, uSum = 0.0
        for _ in 0..<n {
            let z = g.nextNormal()
            sum += z; sumSq += z * z
            uSum += g.nextUniform()
        }
        // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032; allow 5 of them.
        assertClose(sum / Double(n), 0, rtol: 0, atol: 0.012)
        assertClose(sumSq / Double(n), 1, rtol: 0, atol: 0.016)
        assertClose(uSum / Double(n), 0.5, rtol: 0, atol: 0.004)
    }

    @Test func initializersHaveTheirStatedScale() throws {
        var g = Xoshiro256(seed: 1)
        let he = try Matrix<Double>(rows: 400, columns: 200, initializer: .heNormal, using: &g)
        let variance = he.sumOfSquares / Double(he.count)
        assertClose(variance, 2.0 / 200, rtol: 0.03, atol: 0)
        let xu = try Matrix<Double>(rows: 300, columns: 100, initializer: .xavierUniform, using: &g)
        let a = (6.0 / 400).squareRoot()
        #expect(xu.elements.allSatisfy { abs($0) <= a })
        assertClose(xu.sumOfSquares / Double(xu.count), a * a / 3, rtol: 0.03, atol: 0)
    }

    @Test func shuffleIsAPermutationAndDeterministic() {
        var a = Array(0..<50), b = Array(0..<50)
        var g1 = Xoshiro256(seed: 3), g2 = Xoshiro256(seed: 3)
        g1.shuffle(&a); g2.shuffle(&b)
        #expect(a == b)
        #expect(a.sorted() == Array(0..<50))
        #expect(a != Array(0..<50))
    }
}
