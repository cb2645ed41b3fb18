import XCTest
@testable import LinearAlgebra

final class MatrixTests: XCTestCase {
    func testBroadcastingFollowsNumPy() {
        let a = Matrix([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual((a + Matrix(row: [10, 20, 30])).nestedRows, [[11, 22, 33], [14, 25, 36]])
        XCTAssertEqual((a - Matrix(column: [1, 4])).nestedRows, [[0, 1, 2], [0, 1, 2]])
        XCTAssertEqual((Matrix(column: [1, 2]) + Matrix(row: [10, 20, 30])).nestedRows, [[11, 21, 31], [12, 22, 32]])
        XCTAssertEqual((2 * a - 1).nestedRows, [[1, 3, 5], [7, 9, 11]])
        XCTAssertEqual((a * a).nestedRows, [[1, 4, 9], [16, 25, 36]])
        XCTAssertEqual((1 / Matrix(row: [2, 4])).nestedRows, [[0.5, 0.25]])
        var b = a
        b += Matrix(row: [1, 1, 1])
        XCTAssertEqual(b.nestedRows, [[2, 3, 4], [5, 6, 7]])
    }

    func testReductionsAlongAxes() {
        let a = Matrix([[1, 5, 3], [4, 2, 6]])
        XCTAssertEqual(a.sum(), 21)
        XCTAssertEqual(a.sum(axis: 0).nestedRows, [[5, 7, 9]])
        XCTAssertEqual(a.sum(axis: 1).nestedRows, [[9], [12]])
        XCTAssertEqual(a.mean(axis: 0).nestedRows, [[2.5, 3.5, 4.5]])
        XCTAssertEqual(a.max(axis: 1).nestedRows, [[5], [6]])
        XCTAssertEqual(a.min(axis: 0).nestedRows, [[1, 2, 3]])
        XCTAssertEqual(a.argmax(axis: 1), [1, 2])
        XCTAssertEqual(a.argmax(axis: 0), [1, 0, 1])
        XCTAssertEqual(Matrix(row: [3, 7, 7]).argmax(axis: 1), [1], "first maximum on ties")
    }

    func testSumOfSquaresMatchesSquaredSum() {
        var rng = SeededGenerator(seed: 3)
        for (r, c) in [(1, 1), (3, 17), (40, 3), (5, 64)] {
            let a = Matrix.gaussian(r, c, using: &rng)
            for axis in [0, 1] {
                XCTAssertLessThan((a.sumOfSquares(axis: axis) - a.squared.sum(axis: axis)).magnitude.max(), 1e-12, "(\(r), \(c)) axis \(axis)")
            }
        }
        XCTAssertEqual(Matrix([[3, 4], [1, 0]]).sumOfSquares(axis: 1).nestedRows, [[25], [1]])
    }

    func testTransposeGatherAndRows() {
        var rng = SeededGenerator(seed: 1)
        let a = Matrix.gaussian(37, 45, using: &rng)
        XCTAssertEqual(a.transposed.transposed, a)
        XCTAssertEqual(a.transposed[44, 36], a[36, 44])
        let g = a.rows(at: [3, 0, 3])
        XCTAssertEqual(g.row(0), a.row(3))
        XCTAssertEqual(g.row(1), a.row(0))
        XCTAssertEqual(a.rows(2 ..< 5), a.rows(at: [2, 3, 4]))
        var b = a
        b[row: 5] = Matrix(row: Array(repeating: 1, count: 45))
        XCTAssertEqual(b.row(5).sum(), 45)
        XCTAssertEqual(Matrix.stacking([a.rows(0 ..< 10), a.rows(10 ..< 37)]), a)
        XCTAssertEqual(Matrix.stacking([Matrix.zeros(3, 0), Matrix.zeros(2, 0)]).shape.rows, 5, "empty rows still count")
    }

    func testMatmulAgainstDefinition() {
        var rng = SeededGenerator(seed: 2)
        for (m, k, n) in [(1, 1, 1), (3, 5, 2), (17, 300, 9), (64, 1, 33)] {
            let a = Matrix.gaussian(m, k, using: &rng)
            let b = Matrix.gaussian(k, n, using: &rng)
            var expected = Matrix.zeros(m, n)
            for i in 0 ..< m { for j in 0 ..< n { for p in 0 ..< k { expected[i, j] += a[i, p] * b[p, j] } } }
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let c = matmul(ta ? a.transposed : a, tb ? b.transposed : b, transposeA: ta, transposeB: tb)
                XCTAssertLessThan((c - expected).magnitude.max(), 1e-10, "(\(m), \(k), \(n)) transposeA \(ta) transposeB \(tb)")
            }
        }
    }

    func testSeededGeneratorIsReproducibleAndPlausible() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        XCTAssertEqual((0 ..< 5).map { _ in a.next() }, (0 ..< 5).map { _ in b.next() })
        var rng = SeededGenerator(seed: 7)
        let g = Matrix.gaussian(1, 100_000, using: &rng)
        XCTAssertEqual(g.mean(), 0, accuracy: 0.02)
        XCTAssertEqual((g.squared.mean()).squareRoot(), 1, accuracy: 0.02)
        let u = Matrix.uniform(1, 100_000, low: -1, high: 3, using: &rng)
        XCTAssertGreaterThanOrEqual(u.min(), -1)
        XCTAssertLessThan(u.max(), 3)
        XCTAssertEqual(u.mean(), 1, accuracy: 0.02)
        XCTAssertEqual(rng.permutation(50).sorted(), Array(0 ..< 50))
        let counts = (0 ..< 30_000).reduce(into: [0, 0, 0]) { c, _ in c[rng.integer(below: 3)] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 10_000) < 400 }, "\(counts)")
    }
}
